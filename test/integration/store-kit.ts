import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import Database from "better-sqlite3";
import type { SandboxHandle, SandboxOptions, SandboxStats } from "../../src/sandbox/index.js";
import { fingerprint } from "../../src/store/index.js";
import { type CliResult, readCsv, runCli, sandboxEnv, tempDir } from "../helpers/cli-harness.js";

/** Flags that take the CLI's pacing out of the way (the defaults wait ~600 ms per batch). */
export const FAST = ["--delay", "0", "--rate", "6000"];

export const BATCH_ROUTE = "POST /crm_basico_batch";

/** One temp dir, one sandbox, one store file per test; everything the child sees lives in the temp dir. */
export interface StoreWorld {
  dir: string;
  file(name: string): string;
  storeFile: string;
  sandbox: SandboxHandle;
  /** FLUENCE_BASE_URL, FLUENCE_API_KEY, FLUENCE_STORE, and TMPDIR / XDG_CACHE_HOME inside the temp dir. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function storeWorld(options: SandboxOptions = {}): Promise<StoreWorld> {
  const t = tempDir("fluence-it-store-");
  const storeFile = t.file("store.sqlite");
  const { sandbox, env } = await sandboxEnv(options, storeFile);
  const tmp = t.file("tmp");
  mkdirSync(tmp);
  return {
    dir: t.dir,
    file: t.file,
    storeFile,
    sandbox,
    env: { ...env, TMPDIR: tmp, XDG_CACHE_HOME: t.file("cache") },
    cleanup: async () => {
      await sandbox.close();
      t.cleanup();
    },
  };
}

export function enrich(
  world: StoreWorld,
  input: string,
  extra: string[] = [],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  return runCli(["enrich", input, ...FAST, ...extra], {
    env: { ...world.env, ...env },
    cwd: world.dir,
    timeoutMs: 45_000,
  });
}

/** Outcomes a SQLite store holds now, read beside the run that writes it (0 before it exists). */
export function storedOutcomes(file: string): number {
  if (!existsSync(file)) return 0;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare("SELECT count(*) AS n FROM outcomes").get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // Not created yet, or mid-migration.
  }
}

export function batchRequests(stats: SandboxStats): number {
  return stats.requests[BATCH_ROUTE] ?? 0;
}

/** Rows of a CSV output as objects keyed by its header. */
export function csvObjects(file: string): Array<Record<string, string>> {
  const [header, ...rows] = readCsv(file);
  return rows.map((row) => Object.fromEntries(header!.map((name, i) => [name, row[i] ?? ""])));
}

export function bytes(file: string): Buffer {
  return readFileSync(file);
}

/** Fingerprints the CLI computes for leadRows-style rows (no contexto_adicional column). */
export function leadFingerprints(rows: string[][]): string[] {
  return rows
    .slice(1)
    .map(([primeiro_nome, ultimo_nome, empresa]) =>
      fingerprint({ primeiro_nome: primeiro_nome!, ultimo_nome: ultimo_nome!, empresa: empresa! }),
    );
}

/**
 * Makes stored outcomes look older, as if fetched `ageMs` earlier. There is no public API for this on
 * purpose; tests reach into the outcomes table so max-age and prune can be checked without sleeping.
 */
export function backdate(storeFile: string, fps: string[] | "all", ageMs: number): number {
  const db = new Database(storeFile, { timeout: 5_000 });
  try {
    if (fps === "all")
      return db.prepare("UPDATE outcomes SET fetched_at = fetched_at - ?").run(ageMs).changes;
    const stmt = db.prepare("UPDATE outcomes SET fetched_at = fetched_at - ? WHERE fp = ?");
    return db.transaction(() => fps.reduce((n, fp) => n + stmt.run(ageMs, fp).changes, 0))();
  } finally {
    db.close();
  }
}

/** Files whose name looks like a SQLite store or one of its side files. */
export function sqliteFilesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((name) =>
    /\.(sqlite|db)(-wal|-shm|-journal)?$/u.test(name),
  );
}

/** A small deterministic PRNG for kill points: the sandbox's own. */
export { mulberry32 as seeded } from "../../src/sandbox/sandbox-faults.js";

export { until } from "../helpers/wait.js";
