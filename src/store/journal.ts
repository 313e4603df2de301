import { createHash } from "node:crypto";
import { type FileHandle, open, readdir, readFile, rename, rmdir, unlink } from "node:fs/promises";
import path from "node:path";
import { ensureDir } from "../fs/ensure-dir.js";
import { type IoTrouble, troubleOf } from "../fs/io-errors.js";
import { pidAlive } from "../fs/pid-alive.js";
import { fluenceCacheDir } from "./default-store-path.js";
import type { Analysis, NewOutcome, OutcomeStore } from "./types.js";

/**
 * The write-ahead journal of paid outcomes. An answer the API charged for is appended (and flushed to the
 * disk) here before it is committed to the store, and marked once the store has it; so when the store
 * fails (a PostgreSQL server stopping, a full disk under a SQLite file) nothing that reached fluence is
 * lost, and the next run on that store puts it there before planning, so nobody is paid for twice.
 *
 * One file per run (`<pid>-<run id>.jsonl`), in a directory per store under fluence's cache directory on
 * this machine (owner-only): runs of one host never write the same file, and a file whose pid is gone
 * belongs to a run that ended without clearing it. Records are JSON lines: `{"b":n,"a":analysis,"r":run,
 * "o":[outcomes]}` for a batch, `{"c":n}` once batch n is in the store. A torn last line (a crash mid-write)
 * is ignored: that batch's commit had not started.
 */

/** The journal directory of the store at `location` (a SQLite path, or a PostgreSQL URL without password). */
export function journalDir(location: string, env: NodeJS.ProcessEnv = process.env): string {
  const key = createHash("sha256").update(location).digest("hex").slice(0, 24);
  return path.join(fluenceCacheDir(env), "journal", key);
}

interface BatchRecord {
  b: number;
  a: Analysis;
  r: string;
  o: readonly NewOutcome[];
}

export class OutcomeJournal {
  readonly file: string;
  #handle: FileHandle;
  /** Batches appended and not yet marked committed. */
  readonly #pending = new Map<number, number>();
  #seq = 0;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(file: string, handle: FileHandle) {
    this.file = file;
    this.#handle = handle;
  }

  /** Creates this run's journal file; throws (an I/O error) when the directory cannot be written. */
  static async create(dir: string, runId: string): Promise<OutcomeJournal> {
    const file = path.join(dir, `${process.pid}-${runId}.jsonl`);
    for (let attempt = 1; ; attempt++) {
      await ensureDir(dir, 0o700);
      try {
        return new OutcomeJournal(file, await open(file, "a", 0o600));
      } catch (error) {
        // Another run removed the (then empty) directory between the two calls: make it again, once.
        if ((error as NodeJS.ErrnoException).code !== "ENOENT" || attempt > 1) throw error;
      }
    }
  }

  /** Outcomes appended and not yet in the store: what would be left for the next run. */
  get pendingOutcomes(): number {
    let n = 0;
    for (const count of this.#pending.values()) n += count;
    return n;
  }

  /**
   * Appends one answer's outcomes and flushes them to the disk; resolves with the record's number for
   * committed(). Appends are queued, so records never interleave.
   */
  record(analysis: Analysis, runId: string, outcomes: readonly NewOutcome[]): Promise<number> {
    const seq = ++this.#seq;
    const line = `${JSON.stringify({ b: seq, a: analysis, r: runId, o: outcomes } satisfies BatchRecord)}\n`;
    return this.#serially(async () => {
      await this.#handle.write(line);
      await this.#handle.datasync();
      this.#pending.set(seq, outcomes.length);
      return seq;
    });
  }

  /**
   * The store has record `seq`. The mark needs no flush: lost, the record is replayed, and replaying is
   * idempotent. With nothing pending, the file is emptied, so it stays as small as what is in flight.
   */
  committed(seq: number): Promise<void> {
    return this.#serially(async () => {
      this.#pending.delete(seq);
      if (this.#pending.size === 0) await this.#handle.truncate(0);
      else await this.#handle.write(`${JSON.stringify({ c: seq })}\n`);
    });
  }

  /** Closes the file; removes it when nothing is left for the next run. */
  async close(): Promise<void> {
    await this.#tail.catch(() => undefined);
    await this.#handle.close().catch(() => undefined);
    if (this.#pending.size > 0) return;
    await unlink(this.file).catch(() => undefined);
    // A store's directory goes with its last file, so tests and throw-away stores leave nothing behind.
    await rmdir(path.dirname(this.file)).catch(() => undefined);
  }

  #serially<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(run, run);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/** Why the journal cannot be written, in a few words (the I/O classifier's troubles), naming where. */
export function journalTrouble(error: unknown, where: string | undefined): string {
  const words: Partial<Record<IoTrouble, string>> = {
    space: "no space left on the device",
    quota: "the disk quota is used up",
    "read-only": "a read-only filesystem",
    permission: "permission denied",
    device: "an I/O error",
  };
  const trouble = troubleOf((error as { code?: unknown } | null)?.code);
  const why = (trouble && words[trouble]) ?? (error as Error).message;
  return where ? `${where}: ${why}` : why;
}

/** What is left in a journal file: its batches not yet marked committed. */
function uncommitted(text: string): BatchRecord[] {
  const batches = new Map<number, BatchRecord>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let record: Partial<BatchRecord> & { c?: number };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      continue;
    }
    if (typeof record.c === "number") batches.delete(record.c);
    else if (typeof record.b === "number" && Array.isArray(record.o))
      batches.set(record.b, record as BatchRecord);
  }
  return [...batches.values()];
}

/** Journal files of runs that are gone (their pid is not alive on this host). */
async function orphans(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names.filter((name) => {
    const pid = Number(/^(\d+)-/u.exec(name)?.[1]);
    return name.endsWith(".jsonl") && Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid);
  });
}

/** Outcomes left by runs that are gone, for `store stats`. */
export async function pendingJournal(dir: string): Promise<{ files: number; outcomes: number }> {
  let outcomes = 0;
  const files = await orphans(dir);
  for (const name of files) {
    const text = await readFile(path.join(dir, name), "utf8").catch(() => "");
    for (const batch of uncommitted(text)) outcomes += batch.o.length;
  }
  return { files: files.length, outcomes };
}

/**
 * Puts into the store what runs that are gone left in their journals, then deletes those files; returns
 * the outcomes recovered. Each file is first renamed to this process's pid, so two runs starting at once
 * never replay the same file, and a run killed while replaying leaves it for the next one. Every batch is
 * marked as it is stored, and storing one again is harmless (an upsert of the same outcome), so a replay cut
 * short repeats at most one batch and counts nobody twice.
 */
export async function replayJournals(dir: string, store: OutcomeStore): Promise<number> {
  let recovered = 0;
  for (const name of await orphans(dir)) {
    const taken = path.join(dir, `${process.pid}-replay-${name.replace(/^\d+-/u, "")}`);
    try {
      await rename(path.join(dir, name), taken);
    } catch {
      continue; // Another run took it first.
    }
    const handle = await open(taken, "a+", 0o600);
    try {
      for (const batch of uncommitted(await readFile(taken, "utf8"))) {
        await store.commitBatch(batch.r, batch.a, batch.o, []);
        await handle.write(`${JSON.stringify({ c: batch.b })}\n`);
        recovered += batch.o.length;
      }
    } finally {
      await handle.close();
    }
    await unlink(taken);
  }
  if (recovered > 0) await rmdir(dir).catch(() => undefined);
  return recovered;
}
