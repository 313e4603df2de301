import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach } from "vitest";
import type { SandboxHandle, SandboxOptions } from "../../src/sandbox/index.js";
import {
  type CliResult,
  FIXTURES,
  parseCsvText,
  readCsv,
  readJson,
  runCli,
  sandboxEnv,
  tempDir,
} from "../helpers/cli-harness.js";

/** Flags that keep a test fast: no 500 ms gap between batches, no 100/min ceiling. */
export const FAST = ["--delay", "0", "--rate", "6000"];

export const OUTPUT_COLUMNS = [
  "fluence_cargo",
  "fluence_tipo_stakeholder",
  "fluence_dores",
  "fluence_ganhos_procurados",
  "fluence_linguagem_impacto",
  "fluence_analise",
];
export const ERROR_COLUMNS = ["fluence_row", "fluence_error_code", "fluence_error", "fluence_retryable"];

export type Summary = Record<string, unknown> & {
  rows: number;
  enriched: number;
  failed: number;
  invalid: number;
  duplicates: number;
  batches: number;
  profiles_sent: number;
  retries: number;
  rate_limited: number;
  in_doubt: number;
  credits_used: number;
  credits_remaining: number | null;
  plan: string | null;
  errors_by_code: Record<string, number>;
  retryable_failures: number;
  billing_check: {
    ok: boolean;
    balance_drop: number | null;
    credits_reported: number;
    mismatch: string | null;
  };
  stopped: string | null;
  exit_code: number;
  outputs: { enriched: string; errors: string; summary: string };
};

export interface Outputs {
  header: string[];
  enriched: string[][];
  errors: string[][];
  enrichedHeader: string[];
  errorsHeader: string[];
  summary: Summary;
}

/** Reads `<name>.enriched.csv`, `<name>.errors.csv` and `<name>.summary.json` from `dir`. */
export function readOutputs(dir: string, name: string): Outputs {
  const enriched = readCsv(path.join(dir, `${name}.enriched.csv`));
  const errors = readCsv(path.join(dir, `${name}.errors.csv`));
  return {
    header: enriched[0] ?? [],
    enrichedHeader: enriched[0] ?? [],
    errorsHeader: errors[0] ?? [],
    enriched: enriched.slice(1),
    errors: errors.slice(1),
    summary: readJson<Summary>(path.join(dir, `${name}.summary.json`)),
  };
}

/** The cell of `row` under `column` of `header`; throws when the column is absent so typos fail loudly. */
export function cell(header: string[], row: string[], column: string): string {
  const index = header.indexOf(column);
  if (index < 0) throw new Error(`no column ${column} in ${header.join(",")}`);
  return row[index] ?? "";
}

/** errors rows keyed by an id column, with their code and retryable flag. */
export function errorsById(
  out: Outputs,
  idColumn = "id",
): Map<string, { code: string; retryable: string; row: string; message: string }> {
  const map = new Map<string, { code: string; retryable: string; row: string; message: string }>();
  for (const row of out.errors) {
    map.set(cell(out.errorsHeader, row, idColumn), {
      code: cell(out.errorsHeader, row, "fluence_error_code"),
      retryable: cell(out.errorsHeader, row, "fluence_retryable"),
      row: cell(out.errorsHeader, row, "fluence_row"),
      message: cell(out.errorsHeader, row, "fluence_error"),
    });
  }
  return map;
}

/** Lead rows with a leading "id" column (r1, r2, ...), so rows can be traced across both outputs. */
export function idRows(rows: string[][]): string[][] {
  return rows.map((row, i) => (i === 0 ? ["id", ...row] : [`r${i}`, ...row]));
}

/** fixtures/leads.csv parsed, with an "id" column in front. */
export function fixtureRowsWithIds(): string[][] {
  const text = readFileSync(path.join(FIXTURES, "leads.csv"), "utf8");
  return idRows(parseCsvText(text).filter((row) => row.length > 1));
}

/**
 * Checks the contract every run must keep: each data row of `input` appears exactly once across the two
 * outputs, each output in input order, with the input's columns unchanged cell for cell.
 */
export function expectEveryRowOnce(
  input: string[][],
  out: Outputs,
  expect: ExpectLike,
  /** The enriched file's own columns; default the basic analysis's. */
  enrichedColumns: readonly string[] = OUTPUT_COLUMNS,
): void {
  const header = input[0]!;
  const width = header.length;
  expect(out.enrichedHeader).toEqual([...header, ...enrichedColumns]);
  expect(out.errorsHeader).toEqual([...header, ...ERROR_COLUMNS]);
  const idAt = header.indexOf("id");
  const byId = new Map(input.slice(1).map((row, i) => [row[idAt]!, { row, index: i }]));
  const seen: string[] = [];
  let lastEnriched = -1;
  for (const row of out.enriched) {
    const id = row[idAt]!;
    const original = byId.get(id);
    expect(original, `enriched row ${id} is not an input row`).toBeDefined();
    expect(row.slice(0, width)).toEqual(original!.row);
    expect(original!.index).toBeGreaterThan(lastEnriched);
    lastEnriched = original!.index;
    seen.push(id);
  }
  let lastError = -1;
  for (const row of out.errors) {
    const id = row[idAt]!;
    const original = byId.get(id);
    expect(original, `errors row ${id} is not an input row`).toBeDefined();
    expect(row.slice(0, width)).toEqual(original!.row);
    expect(row[width], `fluence_row of ${id}`).toBe(String(original!.index + 1));
    expect(original!.index).toBeGreaterThan(lastError);
    lastError = original!.index;
    seen.push(id);
  }
  expect([...seen].sort()).toEqual([...byId.keys()].sort());
  expect(seen.length).toBe(input.length - 1);
}

// vitest's expect, typed loosely so helpers do not depend on its generics.
// biome-ignore lint/suspicious/noExplicitAny: a structural stand-in for vitest's ExpectStatic.
export type ExpectLike = (value: unknown, message?: string) => any;

/** A recorded POST /crm_basico_batch body, as the recording proxy saw it. */
export interface RecordedBatch {
  profiles: Record<string, unknown>[];
}

/** One answered request as the proxy saw it, e.g. { route: "POST /crm_basico_batch", status: 429 }. */
export interface Exchange {
  route: string;
  status: number;
}

/**
 * A transparent HTTP proxy in front of the sandbox that keeps every batch body it forwards, so tests can
 * assert on exactly which profiles reached the API (the sandbox itself only counts them).
 */
export async function recordingProxy(
  targetUrl: string,
  /** Runs when an answer arrives from the sandbox, before the client sees it. Default: nothing. */
  onAnswer?: (exchange: Exchange, exchanges: readonly Exchange[]) => void,
): Promise<{ url: string; batches: RecordedBatch[]; exchanges: Exchange[]; close(): Promise<void> }> {
  const target = new URL(targetUrl);
  const batches: RecordedBatch[] = [];
  const exchanges: Exchange[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.method === "POST" && req.url?.startsWith("/crm_basico_batch")) {
        try {
          batches.push(JSON.parse(body.toString("utf8")) as RecordedBatch);
        } catch {
          batches.push({ profiles: [] });
        }
      }
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (answer) => {
          const exchange = { route: `${req.method} ${req.url}`, status: answer.statusCode ?? 0 };
          exchanges.push(exchange);
          onAnswer?.(exchange, exchanges);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    batches,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Per-test resources: a temp dir and sandboxes, released by `release()` in afterEach. */
export class Scenario {
  readonly tmp = tempDir("fluence-it-enrich-");
  readonly #closers: Array<() => Promise<void>> = [];

  async sandbox(
    options: SandboxOptions = {},
  ): Promise<{ sandbox: SandboxHandle; env: Record<string, string> }> {
    const started = await sandboxEnv(options, this.tmp.file("store.sqlite"));
    this.#closers.push(() => started.sandbox.close());
    return started;
  }

  async proxy(
    targetUrl: string,
    onAnswer?: Parameters<typeof recordingProxy>[1],
  ): Promise<Awaited<ReturnType<typeof recordingProxy>>> {
    const proxy = await recordingProxy(targetUrl, onAnswer);
    this.#closers.push(() => proxy.close());
    return proxy;
  }

  onRelease(close: () => Promise<void>): void {
    this.#closers.push(close);
  }

  async release(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) await close();
    this.tmp.cleanup();
  }
}

/** Runs `fluence enrich <input> ...args` fast, against `env`, with a 50 s ceiling. */
export function enrich(
  input: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 50_000,
): Promise<CliResult> {
  return runCli(["enrich", input, ...FAST, ...args], { env, timeoutMs });
}

/** Every file under `dir` (recursively), with its bytes as latin1 text so binary files can be searched too. */
export function filesUnder(dir: string): Array<{ file: string; text: string }> {
  if (!existsSync(dir)) return [];
  const found: Array<{ file: string; text: string }> = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    found.push({ file, text: readFileSync(file).toString("latin1") });
  }
  return found;
}

/**
 * Every 8-character window of a key: none may show up anywhere (the last 4 characters alone may). Windows
 * that are also part of `publicText` are skipped: sandbox keys spell their plan ("sbxEnterprise..."),
 * and the plan name ("enterprise_crm") is rightly in the summary.
 */
export function keyFragments(key: string, publicText = ""): string[] {
  const fragments: string[] = [];
  for (let i = 0; i + 8 <= key.length; i++) {
    const fragment = key.slice(i, i + 8);
    if (!publicText.includes(fragment)) fragments.push(fragment);
  }
  return fragments;
}

export { until } from "../helpers/wait.js";

/** Registers the cleanup of the scenario each test sets up, and returns the function that sets one up. */
export function useScenarios(): () => Scenario {
  let current: Scenario | undefined;
  afterEach(async () => {
    await current?.release();
    current = undefined;
  });
  return () => {
    current = new Scenario();
    return current;
  };
}
