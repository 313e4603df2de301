import Database, { type Statement } from "better-sqlite3";
import type { ProfileInput } from "../api/types.js";
import type { PersonEntry, SendLedger } from "../send/send-ledger.js";
import type { NewOutcome } from "../store/index.js";

export type { PersonEntry };

/**
 * The per-run bookkeeping of the distinct people this run has to send, kept in a private temporary SQLite
 * database (on disk, deleted when closed) so memory stays flat however large the input is, whichever store
 * backend the run uses. People the store already knew at plan time are not recorded here: their rows
 * resolve from the store, which keeps re-runs cheap.
 *
 * status: queued (to send), sending, done (outcome committed to the store, kept here too), failed (a failure
 * kept only for this run: code/message/retryable).
 */
export type LedgerStatus = "queued" | "sending" | "done" | "failed";

export interface LedgerEntry {
  fp: string;
  status: LedgerStatus;
  /** The failure of a failed person. */
  code: string | null;
  message: string | null;
  retryable: boolean;
  inDoubt: boolean;
  /** The outcome of a done person. */
  outcome: NewOutcome | null;
}

interface EntryRow {
  fp: string;
  status: LedgerStatus;
  code: string | null;
  message: string | null;
  retryable: number | null;
  in_doubt: number;
  kind: "ok" | "error" | null;
  analise: string | null;
  o_code: string | null;
  o_message: string | null;
}

export class RunLedger implements SendLedger {
  readonly #db: Database.Database;
  readonly #insertChunk: Statement<[{ rows: string }]>;
  readonly #take: Statement<[number]>;
  readonly #setStatus: Statement<[string, string]>;
  readonly #done: Statement<[string | null, string | null, string | null, string | null, string]>;
  readonly #fail: Statement<[string, string, number, string]>;
  readonly #doubt: Statement<[string]>;
  readonly #resolve: Statement<[{ fps: string }]>;
  /** Distinct people recorded: progress reads it after every answer, so it is kept, not counted. */
  #people = 0;

  constructor() {
    // An empty name is SQLite's private temporary database: spills to a temp file, removed on close.
    this.#db = new Database("");
    this.#db.exec(`
      CREATE TABLE people (
        fp TEXT PRIMARY KEY, seq INTEGER NOT NULL, n INTEGER NOT NULL DEFAULT 1, status TEXT NOT NULL,
        profile TEXT, code TEXT, message TEXT, retryable INTEGER, in_doubt INTEGER NOT NULL DEFAULT 0,
        kind TEXT, analise TEXT, o_code TEXT, o_message TEXT
      ) WITHOUT ROWID;
      CREATE INDEX people_queue ON people(status, seq);
    `);
    const db = this.#db;
    // "WHERE true" lets SQLite parse an upsert after INSERT ... SELECT.
    this.#insertChunk = db.prepare(
      `INSERT INTO people (fp, seq, status, profile)
       SELECT j.value ->> 0, j.value ->> 1, 'queued', j.value ->> 2 FROM json_each(@rows) j WHERE true
       ON CONFLICT(fp) DO UPDATE SET n = n + 1
       RETURNING n`,
    );
    this.#take = db.prepare(
      `UPDATE people SET status = 'sending'
       WHERE fp IN (SELECT fp FROM people WHERE status = 'queued' ORDER BY seq LIMIT ?)
       RETURNING fp, profile, seq`,
    );
    this.#setStatus = db.prepare("UPDATE people SET status = ? WHERE fp = ?");
    this.#done = db.prepare(
      `UPDATE people SET status = 'done', profile = NULL, kind = ?, analise = ?, o_code = ?, o_message = ?
       WHERE fp = ?`,
    );
    this.#fail = db.prepare(
      "UPDATE people SET status = 'failed', code = ?, message = ?, retryable = ? WHERE fp = ?",
    );
    this.#doubt = db.prepare("UPDATE people SET in_doubt = 1 WHERE fp = ?");
    this.#resolve = db.prepare(
      `SELECT p.fp, p.status, p.code, p.message, p.retryable, p.in_doubt, p.kind, p.analise, p.o_code, p.o_message
       FROM json_each(@fps) j JOIN people p ON p.fp = j.value`,
    );
  }

  /** Records people to send (one chunk, one statement); a person already recorded just counts a row more. */
  addQueued(entries: PersonEntry[]): void {
    if (entries.length === 0) return;
    const rows = entries.map((e) => [e.fp, e.seq, JSON.stringify(e.profile)]);
    // A row returned with n = 1 is a person recorded for the first time (a repeat updates n to 2 and up).
    const counts = this.#insertChunk.pluck().all({ rows: JSON.stringify(rows) }) as number[];
    for (const n of counts) if (n === 1) this.#people++;
  }

  /** Takes the next `limit` queued people in input order and marks them as sending. */
  takeQueued(limit: number): PersonEntry[] {
    const rows = this.#take.all(limit) as Array<{ fp: string; profile: string; seq: number }>;
    rows.sort((a, b) => a.seq - b.seq);
    return rows.map((r) => ({ fp: r.fp, seq: r.seq, profile: JSON.parse(r.profile) as ProfileInput }));
  }

  /** Puts people back in the queue (never sent: stopped for credits, interrupted). */
  requeue(fps: readonly string[]): void {
    this.#each(fps, (fp) => this.#setStatus.run("queued", fp));
  }

  /** These people's outcomes are in the store (sent by this run, or found there at claim time). */
  markDone(outcomes: readonly NewOutcome[]): void {
    this.#each(outcomes, (o) =>
      this.#done.run(o.kind, o.analise ?? null, o.code ?? null, o.message ?? null, o.fp),
    );
  }

  markFailed(fps: readonly string[], code: string, message: string, retryable: boolean): void {
    this.#each(fps, (fp) => this.#fail.run(code, message, retryable ? 1 : 0, fp));
  }

  /** The request carrying these people may have been charged without an answer. */
  markInDoubt(fps: readonly string[]): void {
    this.#each(fps, (fp) => this.#doubt.run(fp));
  }

  /** The entries of those fps this run had to send; people absent from the map resolve from the store. */
  resolve(fps: readonly string[]): Map<string, LedgerEntry> {
    const out = new Map<string, LedgerEntry>();
    if (fps.length === 0) return out;
    for (const r of this.#resolve.all({ fps: JSON.stringify(fps) }) as EntryRow[]) {
      out.set(r.fp, {
        fp: r.fp,
        status: r.status,
        code: r.code,
        message: r.message,
        retryable: r.retryable === 1,
        inDoubt: r.in_doubt === 1,
        outcome: r.kind === null ? null : outcomeOf(r),
      });
    }
    return out;
  }

  /** The analyses (JSON text) of every person this run enriched, in no particular order. */
  *doneAnalyses(): IterableIterator<string> {
    const rows = this.#db.prepare("SELECT analise FROM people WHERE kind = 'ok'").pluck();
    for (const analise of rows.iterate() as IterableIterator<string>) yield analise;
  }

  /** Distinct people recorded to send in this run (whatever their status now). */
  peopleCount(): number {
    return this.#people;
  }

  close(): void {
    this.#db.close();
  }

  #each<T>(items: readonly T[], fn: (item: T) => void): void {
    if (items.length === 0) return;
    this.#db.transaction(() => {
      for (const item of items) fn(item);
    })();
  }
}

function outcomeOf(r: EntryRow): NewOutcome {
  const outcome: NewOutcome = { fp: r.fp, kind: r.kind! };
  if (r.analise !== null) outcome.analise = r.analise;
  if (r.o_code !== null) outcome.code = r.o_code;
  if (r.o_message !== null) outcome.message = r.o_message;
  return outcome;
}
