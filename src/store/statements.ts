import type { Database, RunResult, Statement } from "better-sqlite3";
import type { KeyRateRow } from "./key-schedule.js";
import type { RunRow } from "./liveness.js";
import { OUTCOME_COLUMNS, type OutcomeRow } from "./outcome-row.js";

export type Statements = ReturnType<typeof prepareStatements>;

/**
 * What the store uses of a prepared statement. Spelled out because better-sqlite3's own statement type
 * lives in a namespace the emitted declarations (the package's types) cannot name.
 */
export interface Prepared<P extends unknown[], R> {
  run(...params: P): RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
  pluck(toggle?: boolean): Prepared<P, R>;
}

const prefixed = (alias: string) =>
  OUTCOME_COLUMNS.split(", ")
    .map((column) => alias + column)
    .join(", ");

/** Every statement of the store, prepared once per connection. */
export function prepareStatements(db: Database) {
  const s = <P extends unknown[], R = unknown>(sql: string): Prepared<P, R> =>
    db.prepare<P, R>(sql) as Statement<P, R> as unknown as Prepared<P, R>;
  return {
    insertRun: s<[string, number, string, number, number, string | null]>(
      "INSERT INTO runs (id, pid, host, started_at, heartbeat_at, key_id) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    getKeyRate: s<[string], KeyRateRow>(
      `SELECT tat, rate, pause_until AS pauseUntil, last_decrease AS lastDecrease, quota_at AS quotaAt
       FROM key_rate WHERE key_id = ?`,
    ),
    putKeyRate: s<[{ keyId: string } & KeyRateRow]>(
      `INSERT INTO key_rate (key_id, tat, rate, pause_until, last_decrease, quota_at)
       VALUES (@keyId, @tat, @rate, @pauseUntil, @lastDecrease, @quotaAt)
       ON CONFLICT (key_id) DO UPDATE SET tat = excluded.tat, rate = excluded.rate,
         pause_until = excluded.pause_until, last_decrease = excluded.last_decrease, quota_at = excluded.quota_at`,
    ),
    keyRuns: s<[string], RunRow & { id: string; started_at: number }>(
      "SELECT id, pid, host, heartbeat_at, ended_at, started_at FROM runs WHERE key_id = ?",
    ),
    liveRuns: s<[], RunRow & { id: string; started_at: number; key_id: string | null }>(
      "SELECT id, pid, host, heartbeat_at, ended_at, started_at, key_id FROM runs WHERE ended_at IS NULL",
    ),
    heartbeat: s<[number, string]>("UPDATE runs SET heartbeat_at = ? WHERE id = ?"),
    openRuns: s<[string], RunRow & { id: string }>(
      "SELECT id, pid, host, heartbeat_at, ended_at FROM runs WHERE ended_at IS NULL AND id != ?",
    ),
    getRun: s<[string], RunRow & { started_at: number }>(
      "SELECT pid, host, heartbeat_at, ended_at, started_at FROM runs WHERE id = ?",
    ),
    markEnded: s<[number, string]>("UPDATE runs SET ended_at = ? WHERE id = ? AND ended_at IS NULL"),
    deleteOrphanInflight: s<[]>(
      "DELETE FROM inflight WHERE run_id NOT IN (SELECT id FROM runs WHERE ended_at IS NULL)",
    ),
    // json_each beat chunks of 500 "IN (?, ...)" by ~10% on 1M lookups, and needs no padding.
    // The endpoint condition is the serving rule (serving-rule.ts): the run's own endpoint, or the other
    // one's outcomes of an allowed kind. Both are probed through the unique (fp, endpoint) index.
    lookupChunk: s<[{ fps: string; own: string; other: string; otherOk: number; since: number }], OutcomeRow>(
      `SELECT ${prefixed("o.")} FROM json_each(@fps) AS j
       JOIN outcomes AS o ON o.fp = j.value AND o.endpoint IN (@own, @other)
       WHERE o.fetched_at >= @since AND (o.endpoint = @own OR @otherOk OR o.kind = 'error')`,
    ),
    getOutcomes: s<[{ fp: string; own: string; other: string; otherOk: number; since: number }], OutcomeRow>(
      `SELECT ${OUTCOME_COLUMNS} FROM outcomes
       WHERE fp = @fp AND endpoint IN (@own, @other) AND fetched_at >= @since
         AND (endpoint = @own OR @otherOk OR kind = 'error')`,
    ),
    getHolder: s<[string, string], string>(
      "SELECT run_id FROM inflight WHERE fp = ? AND endpoint = ?",
    ).pluck(),
    upsertInflight: s<[string, string, string, string, number]>(
      `INSERT INTO inflight (fp, endpoint, run_id, batch_id, started_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (fp, endpoint) DO UPDATE SET
         run_id = excluded.run_id, batch_id = excluded.batch_id, started_at = excluded.started_at`,
    ),
    releaseOne: s<[string, string, string]>(
      "DELETE FROM inflight WHERE fp = ? AND endpoint = ? AND run_id = ?",
    ),
    releaseRun: s<[string]>("DELETE FROM inflight WHERE run_id = ?"),
    upsertOutcome: s<[string, string, string, string | null, string | null, string | null, number, string]>(
      `INSERT INTO outcomes (fp, endpoint, kind, analise, code, message, fetched_at, run_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (fp, endpoint) DO UPDATE SET
         kind = excluded.kind, analise = excluded.analise, code = excluded.code, message = excluded.message,
         fetched_at = excluded.fetched_at, run_id = excluded.run_id`,
    ),
    outcomeTotals: s<
      [],
      {
        outcomes: number;
        ok: number | null;
        errors: number | null;
        oldest: number | null;
        newest: number | null;
      }
    >(
      `SELECT count(*) AS outcomes, sum(kind = 'ok') AS ok, sum(kind = 'error') AS errors,
              min(fetched_at) AS oldest, max(fetched_at) AS newest FROM outcomes`,
    ),
    inflightCount: s<[]>("SELECT count(*) FROM inflight"),
    runCount: s<[]>("SELECT count(*) FROM runs"),
    pruneOutcomes: s<[number]>("DELETE FROM outcomes WHERE fetched_at < ?"),
    pruneRuns: s<[number]>("DELETE FROM runs WHERE ended_at IS NOT NULL AND ended_at < ?"),
  };
}
