import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { QueryConfig, QueryResultRow } from "pg";
import { type OutcomeRow, toOutcome } from "../outcome-row.js";
import { preferOwn, servingRule } from "../serving-rule.js";
import type {
  Analysis,
  ClaimResult,
  KeyShare,
  NewOutcome,
  OpenStoreOptions,
  OutcomeStore,
  RunStart,
  SlotRequest,
  StoredOutcome,
  StoreStats,
  ThrottleReport,
} from "../types.js";
import { connect, type Session } from "./connect.js";
import { isConnectionLoss, isRetryableConflict, lostConnection, statementFailure } from "./errors.js";
import { SQL } from "./queries.js";

/** fps per lookup statement: one `= ANY($1)` array parameter each. */
const LOOKUP_CHUNK = 5_000;
/** A deadlock or serialization failure rolls one statement back whole; trying it again is safe. */
const CONFLICT_ATTEMPTS = 5;

export interface PostgresStoreOptions extends OpenStoreOptions {
  /** How long to wait for the server to accept a connection. Default 10000. */
  connectTimeoutMs?: number;
}

type ActiveRunRow = { id: string; host: string; pid: number; started_at: number; key_id: string | null };

type ClaimRow = OutcomeRow & {
  claimed: boolean | null;
  slot_wait_ms: number | null;
  slot_rate: number | null;
  store_now: number | null;
  quota_at: number | null;
  key_runs: number | null;
};

/**
 * The shared store: one PostgreSQL database (schema `fluence`) for every run of a team, on any host. A
 * run's claims carry a lease on the server's clock that its heartbeat renews every `heartbeatMs` and that
 * expires `staleAfterMs` after the last renewal, so a run that died anywhere (kill -9, a lost machine)
 * frees its people for the next one. One connection per store; each method is one statement, so one
 * round trip, except lookups of more than LOOKUP_CHUNK fps.
 */
export class PostgresStore implements OutcomeStore {
  readonly backend = "postgres" as const;
  readonly location: string;
  private readonly session: Session;
  private readonly now: () => number;
  private readonly heartbeatMs: number;
  private readonly leaseMs: number;
  private readonly heartbeats = new Map<string, NodeJS.Timeout>();
  private readonly beats = new Map<string, Promise<void>>();
  /** The statement before the next one: a pg client runs one at a time, and queuing is ours to do. */
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** Connects, migrates, and refuses a database written by a newer fluence; failures are UserErrors. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    return new PostgresStore(await connect(url, options.connectTimeoutMs ?? 10_000), options);
  }

  private constructor(session: Session, options: OpenStoreOptions) {
    this.session = session;
    this.location = session.target.location;
    this.now = options.now ?? Date.now;
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.leaseMs = options.staleAfterMs ?? 30_000;
  }

  async beginRun(keyId?: string): Promise<RunStart> {
    const runId = randomUUID();
    const values = [runId, hostname(), process.pid, this.now(), this.leaseMs, keyId ?? null];
    const [row] = await this.rows<{ stale_inflight: number; stale_runs: number }>(SQL.beginRun, values);
    const timer = setInterval(() => this.beat(runId), this.heartbeatMs);
    timer.unref();
    this.heartbeats.set(runId, timer);
    return { runId, staleInflight: row!.stale_inflight, staleRuns: row!.stale_runs };
  }

  async peekStaleInflight(): Promise<number> {
    const [row] = await this.rows<{ n: number }>(SQL.peekStale, []);
    return row!.n;
  }

  async lookup(
    fps: readonly string[],
    analysis: Analysis,
    freshSince: number,
  ): Promise<Map<string, StoredOutcome>> {
    const rule = servingRule(analysis);
    const found = new Map<string, StoredOutcome>();
    for (let start = 0; start < fps.length; start += LOOKUP_CHUNK) {
      const chunk = fps.slice(start, start + LOOKUP_CHUNK);
      const rows = await this.rows<OutcomeRow>(SQL.lookup, [
        chunk,
        rule.own,
        rule.other,
        rule.otherOk,
        freshSince,
      ]);
      for (const row of rows) found.set(row.fp, preferOwn(rule, found.get(row.fp), toOutcome(row)));
    }
    return found;
  }

  async claim(
    runId: string,
    batchId: string,
    analysis: Analysis,
    fps: readonly string[],
    freshSince: number,
    slot?: SlotRequest,
  ): Promise<ClaimResult> {
    const result: ClaimResult = { claimed: [], done: new Map(), busy: [] };
    const wanted = [...new Set(fps)];
    if (wanted.length === 0) return result;
    const rule = servingRule(analysis);
    const values = [
      ...[runId, batchId, rule.own, rule.other, rule.otherOk, wanted, freshSince, this.leaseMs],
      ...[slot?.keyId ?? null, slot?.targetPerMinute ?? null, slot?.recoveryPerMinute ?? null],
      ...[slot?.healthy ?? null, slot?.minGapMs ?? null],
    ];
    const held = new Set<string>();
    for (const row of await this.rows<ClaimRow>(SQL.claim, values)) {
      if (row.claimed === null) {
        result.slot = {
          waitMs: row.slot_wait_ms!,
          ratePerMinute: row.slot_rate!,
          storeNow: row.store_now!,
          quotaAt: row.quota_at,
          runs: row.key_runs!,
        };
      } else if (row.claimed) held.add(row.fp);
      else result.done.set(row.fp, preferOwn(rule, result.done.get(row.fp), toOutcome(row)));
    }
    for (const fp of wanted) {
      if (result.done.has(fp)) continue;
      if (held.has(fp)) result.claimed.push(fp);
      else result.busy.push(fp);
    }
    return result;
  }

  async commitBatch(
    runId: string,
    analysis: Analysis,
    outcomes: readonly NewOutcome[],
    fps: readonly string[],
  ): Promise<void> {
    if (outcomes.length === 0 && fps.length === 0) return;
    // One statement cannot upsert a row twice: the last outcome for a person wins, as it would in SQLite.
    const last = new Map(outcomes.map((o) => [o.fp, o]));
    const batch = [...last.values()];
    await this.rows(SQL.commitBatch, [
      servingRule(analysis).own,
      runId,
      batch.map((o) => o.fp),
      batch.map((o) => o.kind),
      batch.map((o) => o.analise ?? null),
      batch.map((o) => o.code ?? null),
      batch.map((o) => o.message ?? null),
      this.now(),
      [...fps],
    ]);
  }

  async release(runId: string, analysis: Analysis, fps: readonly string[]): Promise<void> {
    if (fps.length === 0) return;
    await this.rows(SQL.release, [servingRule(analysis).own, runId, [...fps]]);
  }

  async keyShare(keyId: string): Promise<KeyShare> {
    const [row] = await this.rows<{
      rate: number | null;
      quota_at: number | null;
      pause_until: number;
      store_now: number;
      runs: number;
    }>(SQL.keyShare, [keyId]);
    return {
      ratePerMinute: row!.rate,
      runs: row!.runs,
      quotaAt: row!.quota_at,
      pauseUntil: row!.pause_until,
      storeNow: row!.store_now,
    };
  }

  async keyThrottled(report: ThrottleReport): Promise<void> {
    await this.rows(SQL.keyThrottled, [
      report.keyId,
      report.startedAt,
      report.retryAfterMs ?? null,
      report.decreaseRatio,
      report.floorPerMinute,
    ]);
  }

  async keyQuotaSpent(keyId: string): Promise<void> {
    await this.rows(SQL.keyQuotaSpent, [keyId]);
  }

  async fleetRuns(keyId: string, runId: string): Promise<number> {
    const [row] = await this.rows<{ n: number }>(SQL.fleetRuns, [keyId, runId, this.now()]);
    return Math.max(1, row!.n);
  }

  async endRun(runId: string): Promise<void> {
    await this.stopHeartbeat(runId);
    await this.rows(SQL.endRun, [runId, this.now()]);
  }

  async stats(): Promise<StoreStats> {
    const [row] = await this.rows<Record<string, string | null> & { active: ActiveRunRow[] }>(SQL.stats, []);
    const active = row!.active;
    const n = (key: string) => Number(row![key as keyof typeof row] ?? 0);
    const stats: StoreStats = {
      path: this.location,
      backend: this.backend,
      sizeBytes: n("size_bytes"),
      outcomes: n("outcomes"),
      ok: n("ok"),
      errors: n("errors"),
      inflight: n("inflight"),
      runs: n("runs"),
      activeRuns: active.map((run) => ({
        runId: run.id,
        host: run.host,
        pid: run.pid,
        startedAt: Number(run.started_at),
        keyId: run.key_id,
      })),
    };
    if (row!.oldest !== null) stats.oldest = n("oldest");
    if (row!.newest !== null) stats.newest = n("newest");
    return stats;
  }

  async prune(olderThanMs: number): Promise<number> {
    const [row] = await this.rows<{ deleted: number }>(SQL.prune, [this.now() - olderThanMs]);
    return row!.deleted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.heartbeats.keys()].map((runId) => this.stopHeartbeat(runId)));
    await this.session.client.end().catch(() => undefined);
  }

  /** Runs one statement; a lost connection or a refusal by the server becomes a UserError. */
  private async rows<R extends QueryResultRow>(query: QueryConfig, values: unknown[]): Promise<R[]> {
    const { target } = this.session;
    for (let attempt = 1; ; attempt++) {
      if (this.session.lost) throw lostConnection(target, this.session.lost);
      if (this.closed) throw new Error("The PostgreSQL store was used after close().");
      try {
        return (await this.serially(() => this.session.client.query<R>({ ...query, values }))).rows;
      } catch (error) {
        if (isConnectionLoss(error)) this.session.lost ??= error as Error;
        if (attempt < CONFLICT_ATTEMPTS && isRetryableConflict(error)) {
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
          continue;
        }
        throw statementFailure(target, error);
      }
    }
  }

  private serially<T>(run: () => Promise<T>): Promise<T> {
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private beat(runId: string): void {
    // One renewal at a time: a slow server must not pile them up.
    if (this.beats.has(runId)) return;
    const beat = this.rows(SQL.heartbeat, [runId, this.leaseMs])
      .then(
        () => undefined,
        // A lost connection is reported by the next store call; a missed beat only shortens the lease.
        () => undefined,
      )
      .finally(() => this.beats.delete(runId));
    this.beats.set(runId, beat);
  }

  /** Stops the timer and waits for a renewal in flight, which must not land after the run ended. */
  private async stopHeartbeat(runId: string): Promise<void> {
    clearInterval(this.heartbeats.get(runId));
    this.heartbeats.delete(runId);
    await this.beats.get(runId);
  }
}
