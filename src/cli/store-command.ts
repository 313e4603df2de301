import { existsSync } from "node:fs";
import type { Command } from "commander";
import { asStoreFailure } from "../fs/io-errors.js";
import { defaultStorePath } from "../store/default-store-path.js";
import { isPostgresSpec, openStore } from "../store/open-store.js";
import { parseAge } from "../store/parse-age.js";
import type { StoreStats } from "../store/types.js";
import { formatCount } from "./format-units.js";

/**
 * Counts of the store `spec` names (a SQLite file or a postgres:// URL); all zeros, and no file created,
 * when there is no SQLite file yet. `path` is safe to print: a URL's password is never in it.
 */
export async function storeStatsReport(spec: string): Promise<StoreStats & { journal: JournalStats }> {
  const stats = await readStats(spec);
  // Loaded here, not with the command line: --help must not pay for it.
  const { journalDir, pendingJournal } = await import("../store/journal.js");
  const dir = journalDir(stats.path);
  return { ...stats, journal: { ...(await pendingJournal(dir)), dir } };
}

/** Paid outcomes this machine's journal holds for the store, waiting for the next run to store them. */
export interface JournalStats {
  files: number;
  outcomes: number;
  dir: string;
}

async function readStats(spec: string): Promise<StoreStats> {
  if (!exists(spec)) {
    return {
      path: spec,
      backend: "sqlite",
      sizeBytes: 0,
      outcomes: 0,
      ok: 0,
      errors: 0,
      inflight: 0,
      runs: 0,
      activeRuns: [],
    };
  }
  const store = await openStore(spec);
  try {
    return await store.stats();
  } catch (error) {
    throw asStoreFailure(error, spec);
  } finally {
    await store.close();
  }
}

/**
 * Deletes outcomes older than `olderThan` (e.g. "30d"; "0" deletes all); a missing store deletes nothing.
 * `location` is where, safe to print.
 */
export async function storePrune(
  spec: string,
  olderThan: string,
): Promise<{ deleted: number; location: string }> {
  const olderThanMs = parseAge(olderThan);
  if (!exists(spec)) return { deleted: 0, location: spec };
  const store = await openStore(spec);
  try {
    return { deleted: await store.prune(olderThanMs), location: store.location };
  } catch (error) {
    throw asStoreFailure(error, spec);
  } finally {
    await store.close();
  }
}

function exists(spec: string): boolean {
  return isPostgresSpec(spec) || existsSync(spec);
}

/** Human-readable stats, one fact per line. */
export function formatStoreStats(stats: StoreStats & { journal?: JournalStats }): string {
  const count = formatCount;
  const date = (ms: number | undefined) => (ms === undefined ? "-" : new Date(ms).toISOString());
  return [
    `Store:     ${stats.path}`,
    `Size:      ${formatSize(stats.sizeBytes)}`,
    `Outcomes:  ${count(stats.outcomes)} (${count(stats.ok)} ok, ${count(stats.errors)} errors)`,
    `Oldest:    ${date(stats.oldest)}`,
    `Newest:    ${date(stats.newest)}`,
    `In flight: ${count(stats.inflight)} (runs recorded: ${count(stats.runs)})`,
    `Active:    ${stats.activeRuns.length === 0 ? "no run" : `${count(stats.activeRuns.length)} run(s)`}`,
    ...stats.activeRuns.map(
      (run) =>
        `  ${run.host} pid ${run.pid}, since ${date(run.startedAt)}${run.keyId ? `, key ${run.keyId.slice(0, 8)}` : ""}`,
    ),
    ...(stats.journal && stats.journal.outcomes > 0
      ? [
          `Journal:   ${count(stats.journal.outcomes)} paid outcome(s) a run on this machine could not store (${stats.journal.dir}); the next run on this store stores them first`,
        ]
      : []),
  ].join("\n");
}

function formatSize(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

const STORE_HELP =
  "a SQLite file or postgres://user@host:port/db (default: $FLUENCE_STORE, else the platform cache dir)";

interface StoreFlags {
  store?: string;
  json?: boolean;
}

/** Adds `fluence store stats` and `fluence store prune --older-than <age>`. */
export function registerStoreCommand(program: Command): void {
  const store = program
    .command("store")
    .description("inspect or prune the store of enriched profiles (a SQLite file or a PostgreSQL database)")
    .addHelpText("after", "\nExamples:\n  $ fluence store stats\n  $ fluence store prune --older-than 30d");

  store
    .command("stats")
    .description("show what the store holds")
    .addHelpText(
      "after",
      "\nExamples:\n  $ fluence store stats\n  $ fluence store stats --store /srv/crm/fluence.sqlite --json\n  $ PGPASSWORD=... fluence store stats --store postgres://fluence@db.internal:5432/crm",
    )
    .option("--store <file|url>", STORE_HELP)
    .option("--json", "print JSON")
    .action(async (flags: StoreFlags) => {
      const path = flags.store ?? defaultStorePath(process.env);
      const stats = await storeStatsReport(path);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(stats)}\n`);
      } else if (!exists(path)) {
        process.stdout.write(`No store at ${path} yet; it is created by the first enrich run.\n`);
      } else {
        process.stdout.write(`${formatStoreStats(stats)}\n`);
      }
    });

  store
    .command("prune")
    .description("delete stored outcomes older than an age")
    .addHelpText(
      "after",
      "\nExamples:\n  $ fluence store prune --older-than 90d\n  $ fluence store prune --older-than 0 --json   # forget everything",
    )
    .requiredOption("--older-than <age>", "e.g. 30d, 12h, 90m, 45s, 2w, or 0 for everything")
    .option("--store <file|url>", STORE_HELP)
    .option("--json", "print JSON")
    .action(async (flags: StoreFlags & { olderThan: string }) => {
      const path = flags.store ?? defaultStorePath(process.env);
      const result = await storePrune(path, flags.olderThan);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ deleted: result.deleted })}\n`);
      } else {
        const noun = result.deleted === 1 ? "outcome" : "outcomes";
        process.stdout.write(`Deleted ${formatCount(result.deleted)} ${noun} from ${result.location}.\n`);
      }
    });
}
