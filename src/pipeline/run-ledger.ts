import type { Database, Statement } from "better-sqlite3";
import type { ProfileInput } from "../api/types.js";

/**
 * The per-run bookkeeping of distinct people, kept in a TEMP table on the store's connection so that
 * memory stays flat however large the input is, and so outputs can be rebuilt in input order by joining
 * each row's fingerprint with the store.
 *
 * status: stored (fresh outcome in the store before the run), queued (to send), sending, done (outcome
 * committed to the store by this run), failed (a failure kept only for this run: code/message/retryable).
 */
export type PersonStatus = "stored" | "queued" | "sending" | "done" | "failed";

export interface PersonEntry {
  fp: string;
  profile: ProfileInput;
  seq: number;
}

export interface RowResolution {
  fp: string;
  status: PersonStatus;
  firstRow: number;
  code: string | null;
  message: string | null;
  retryable: boolean;
  inDoubt: boolean;
  kind: "ok" | "error" | null;
  analise: string | null;
  outcomeCode: string | null;
  outcomeMessage: string | null;
}

export interface LedgerCounts {
  distinct: number;
  rows: number;
  storedPeople: number;
  storedRows: number;
  queuedPeople: number;
  queuedRows: number;
}

interface ResolutionRow {
  fp: string;
  status: PersonStatus;
  seq: number;
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
       SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3 FROM json_each(@rows) j WHERE true
       ON CONFLICT(fp) DO UPDATE SET n = n + 1
       RETURNING fp, seq`,
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
      `SELECT p.fp, p.status, p.seq, p.code, p.message, p.retryable, p.in_doubt,
              o.kind, o.analise, o.code AS o_code, o.message AS o_message
       FROM json_each(@fps) j
       JOIN temp.people p ON p.fp = j.value
       LEFT JOIN main.outcomes o ON o.fp = p.fp AND o.endpoint = @endpoint`,
    );
  }

  /**
   * Records one chunk of valid rows in one statement (a statement per row dominated re-runs of large
   * files). `stored` holds the fingerprints with a fresh stored outcome. Returns each person's first row
   * in this run, which tells duplicates apart.
   */
  addChunk(entries: PersonEntry[], stored: ReadonlySet<string>): Map<string, number> {
    const firstRows = new Map<string, number>();
    if (entries.length === 0) return firstRows;
    const rows = entries.map((e) => {
      const isStored = stored.has(e.fp);
      return [e.fp, e.seq, isStored ? "stored" : "queued", isStored ? null : JSON.stringify(e.profile)];
    });
    for (const r of this.#insertChunk.all({ rows: JSON.stringify(rows) }) as Array<{
      fp: string;
      seq: number;
    }>) {
      firstRows.set(r.fp, r.seq);
    }
    return firstRows;
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
        status: r.status,
        firstRow: r.seq,
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

  counts(): LedgerCounts {
    const row = this.#db
      .prepare(
        `SELECT COUNT(*) AS distinct_, COALESCE(SUM(n), 0) AS rows_,
                COALESCE(SUM(status = 'stored'), 0) AS sp, COALESCE(SUM(CASE WHEN status = 'stored' THEN n END), 0) AS sr,
                COALESCE(SUM(status = 'queued'), 0) AS qp, COALESCE(SUM(CASE WHEN status = 'queued' THEN n END), 0) AS qr
         FROM temp.people`,
      )
      .get() as { distinct_: number; rows_: number; sp: number; sr: number; qp: number; qr: number };
    return {
      distinct: row.distinct_,
      rows: row.rows_,
      storedPeople: row.sp,
      storedRows: row.sr,
      queuedPeople: row.qp,
      queuedRows: row.qr,
    };
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
