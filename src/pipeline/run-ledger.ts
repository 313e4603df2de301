import type { Database, Statement } from "better-sqlite3";
import type { ProfileInput } from "../api/types.js";

/**
 * The per-run bookkeeping of the distinct people this run has to send, kept in a TEMP table on the
 * store's connection so memory stays flat however large the input is. People the store already knew
 * are not recorded here: their rows resolve straight from the store, which keeps re-runs cheap.
 *
 * status: queued (to send), sending, done (outcome committed to the store by this run), failed (a
 * failure kept only for this run: code/message/retryable). Resolution adds stored (a fresh outcome in the
 * store, not sent by this run) and missing (neither: the outcome vanished from the store meanwhile).
 */
export type PersonStatus = "stored" | "missing" | "queued" | "sending" | "done" | "failed";

export interface PersonEntry {
  fp: string;
  profile: ProfileInput;
  seq: number;
}

export interface RowResolution {
  fp: string;
  status: PersonStatus;
  code: string | null;
  message: string | null;
  retryable: boolean;
  inDoubt: boolean;
  kind: "ok" | "error" | null;
  analise: string | null;
  outcomeCode: string | null;
  outcomeMessage: string | null;
}

interface ResolutionRow {
  fp: string;
  status: PersonStatus | null;
  code: string | null;
  message: string | null;
  retryable: number | null;
  in_doubt: number;
  kind: "ok" | "error" | null;
  analise: string | null;
  o_code: string | null;
  o_message: string | null;
}

export class RunLedger {
  readonly #db: Database;
  readonly #insertChunk: Statement<[{ rows: string }]>;
  readonly #take: Statement<[number]>;
  readonly #setStatus: Statement<[string, string]>;
  readonly #fail: Statement<[string, string, number, string]>;
  readonly #doubt: Statement<[string]>;
  readonly #resolve: Statement<[{ endpoint: string; fps: string }]>;

  constructor(db: Database) {
    this.#db = db;
    db.exec(`
      DROP TABLE IF EXISTS temp.people;
      CREATE TEMP TABLE people (
        fp TEXT PRIMARY KEY, seq INTEGER NOT NULL, n INTEGER NOT NULL DEFAULT 1, status TEXT NOT NULL,
        profile TEXT, code TEXT, message TEXT, retryable INTEGER, in_doubt INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      CREATE INDEX temp.people_queue ON people(status, seq);
    `);
    // "WHERE true" lets SQLite parse an upsert after INSERT ... SELECT.
    this.#insertChunk = db.prepare(
      `INSERT INTO temp.people (fp, seq, status, profile)
       SELECT j.value ->> 0, j.value ->> 1, 'queued', j.value ->> 2 FROM json_each(@rows) j WHERE true
       ON CONFLICT(fp) DO UPDATE SET n = n + 1`,
    );
    this.#take = db.prepare(
      `UPDATE temp.people SET status = 'sending'
       WHERE fp IN (SELECT fp FROM temp.people WHERE status = 'queued' ORDER BY seq LIMIT ?)
       RETURNING fp, profile, seq`,
    );
    this.#setStatus = db.prepare("UPDATE temp.people SET status = ? WHERE fp = ?");
    this.#fail = db.prepare(
      "UPDATE temp.people SET status = 'failed', code = ?, message = ?, retryable = ? WHERE fp = ?",
    );
    this.#doubt = db.prepare("UPDATE temp.people SET in_doubt = 1 WHERE fp = ?");
    this.#resolve = db.prepare(
      `SELECT j.value AS fp, p.status, p.code, p.message, p.retryable, COALESCE(p.in_doubt, 0) AS in_doubt,
              o.kind, o.analise, o.code AS o_code, o.message AS o_message
       FROM json_each(@fps) j
       LEFT JOIN temp.people p ON p.fp = j.value
       LEFT JOIN main.outcomes o ON o.fp = j.value AND o.endpoint = @endpoint`,
    );
  }

  /** Records people to send (one chunk, one statement); a person already recorded just counts a row more. */
  addQueued(entries: PersonEntry[]): void {
    if (entries.length === 0) return;
    const rows = entries.map((e) => [e.fp, e.seq, JSON.stringify(e.profile)]);
    this.#insertChunk.run({ rows: JSON.stringify(rows) });
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

  markDone(fps: readonly string[]): void {
    this.#each(fps, (fp) => this.#setStatus.run("done", fp));
  }

  markFailed(fps: readonly string[], code: string, message: string, retryable: boolean): void {
    this.#each(fps, (fp) => this.#fail.run(code, message, retryable ? 1 : 0, fp));
  }

  /** The request carrying these people may have been charged without an answer. */
  markInDoubt(fps: readonly string[]): void {
    this.#each(fps, (fp) => this.#doubt.run(fp));
  }

  /** Everything needed to write the rows of these fingerprints, joined with the store's outcomes. */
  resolve(fps: readonly string[], endpoint: string): Map<string, RowResolution> {
    const out = new Map<string, RowResolution>();
    if (fps.length === 0) return out;
    for (const r of this.#resolve.all({ endpoint, fps: JSON.stringify(fps) }) as ResolutionRow[]) {
      out.set(r.fp, {
        fp: r.fp,
        status: r.status ?? (r.kind === null ? "missing" : "stored"),
        code: r.code,
        message: r.message,
        retryable: r.retryable === 1,
        inDoubt: r.in_doubt === 1,
        kind: r.kind,
        analise: r.analise,
        outcomeCode: r.o_code,
        outcomeMessage: r.o_message,
      });
    }
    return out;
  }

  /** Distinct people recorded to send in this run (whatever their status now). */
  peopleCount(): number {
    return (this.#db.prepare("SELECT COUNT(*) AS n FROM temp.people").get() as { n: number }).n;
  }

  /** Every person still waiting: used when a run stops early, to give them a reason. */
  pendingFps(): string[] {
    return (
      this.#db.prepare("SELECT fp FROM temp.people WHERE status IN ('queued', 'sending')").all() as Array<{
        fp: string;
      }>
    ).map((r) => r.fp);
  }

  drop(): void {
    this.#db.exec("DROP TABLE IF EXISTS temp.people");
  }

  #each(fps: readonly string[], fn: (fp: string) => void): void {
    if (fps.length === 0) return;
    this.#db.transaction(() => {
      for (const fp of fps) fn(fp);
    })();
  }
}
