import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { hostname } from "node:os";
import type { Database } from "better-sqlite3";
import { takeSlot, throttleRow } from "./key-schedule.js";
import { runIsDead } from "./liveness.js";
import { openDatabase } from "./open-database.js";
import { type OutcomeRow, toOutcome } from "./outcome-row.js";
import { preferOwn, servingRule } from "./serving-rule.js";
import { prepareStatements, type Statements } from "./statements.js";
import type {
  Analysis,
  ClaimResult,
  KeyShare,
  NewOutcome,
  OpenStoreOptions,
  OutcomeStore,
  RunStart,
  SlotGrant,
  SlotRequest,
  StoredOutcome,
  StoreStats,
  ThrottleReport,
} from "./types.js";

/** fps per lookup query: bounds the JSON text built per query, not a SQLite limit (json_each is one parameter). */
const LOOKUP_CHUNK = 5_000;

/**
 * The embedded store: one SQLite file (WAL) on this machine. Every write that decides who sends what is one
 * IMMEDIATE transaction, so concurrent runs on this host serialize their claims. SQLite answers
 * synchronously; the methods are async only to share the OutcomeStore interface with PostgreSQL.
 */
export class SqliteStore implements OutcomeStore {
  readonly backend = "sqlite" as const;
  readonly location: string;
  readonly db: Database;
  private readonly now: () => number;
  private readonly heartbeatMs: number;
  private readonly staleAfterMs: number;
  private readonly heartbeats = new Map<string, NodeJS.Timeout>();
  private readonly sql: Statements;

  /** Opens or creates the store; ":memory:" is allowed. */
  static open(path: string, options: OpenStoreOptions = {}): SqliteStore {
    return new SqliteStore(path, openDatabase(path), options);
  }

  private constructor(path: string, db: Database, options: OpenStoreOptions) {
    this.location = path;
    this.db = db;
    this.now = options.now ?? Date.now;
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.staleAfterMs = options.staleAfterMs ?? 30_000;
    this.sql = prepareStatements(db);
  }

  async peekStaleInflight(): Promise<number> {
    const now = this.now();
    const rows = this.db
      .prepare("SELECT run_id, COUNT(*) AS n FROM inflight GROUP BY run_id")
      .all() as Array<{
      run_id: string;
      n: number;
    }>;
    let stale = 0;
    for (const row of rows) {
      if (runIsDead(this.sql.getRun.get(row.run_id), now, this.staleAfterMs)) stale += row.n;
    }
    return stale;
  }

  async beginRun(keyId?: string): Promise<RunStart> {
    const runId = randomUUID();
    const result = this.db
      .transaction(() => {
        const now = this.now();
        this.sql.insertRun.run(runId, process.pid, hostname(), now, now, keyId ?? null);
        let staleRuns = 0;
        for (const run of this.sql.openRuns.all(runId)) {
          if (runIsDead(run, now, this.staleAfterMs)) {
            this.sql.markEnded.run(now, run.id);
            staleRuns++;
          }
        }
        // Also sweeps claims whose run row is missing or already ended.
        const staleInflight = this.sql.deleteOrphanInflight.run().changes;
        return { runId, staleInflight, staleRuns };
      })
      .immediate();
    const timer = setInterval(() => this.beat(runId), this.heartbeatMs);
    timer.unref();
    this.heartbeats.set(runId, timer);
    return result;
  }

  async lookup(
    fps: readonly string[],
    analysis: Analysis,
    freshSince: number,
  ): Promise<Map<string, StoredOutcome>> {
    const rule = servingRule(analysis);
    const found = new Map<string, StoredOutcome>();
    for (let start = 0; start < fps.length; start += LOOKUP_CHUNK) {
      const rows = this.sql.lookupChunk.all({
        fps: JSON.stringify(fps.slice(start, start + LOOKUP_CHUNK)),
        own: rule.own,
        other: rule.other,
        otherOk: rule.otherOk ? 1 : 0,
        since: freshSince,
      });
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
    const rule = servingRule(analysis);
    return this.db
      .transaction((): ClaimResult => {
        const now = this.now();
        const result: ClaimResult = { claimed: [], done: new Map(), busy: [] };
        const deadByRun = new Map<string, boolean>();
        for (const fp of new Set(fps)) {
          const fresh = this.freshOutcome(fp, rule, freshSince);
          if (fresh) {
            result.done.set(fp, fresh);
            this.sql.releaseOne.run(fp, rule.own, runId);
            continue;
          }
          const holder = this.sql.getHolder.get(fp, rule.own);
          if (holder && holder !== runId) {
            let dead = deadByRun.get(holder);
            if (dead === undefined) {
              dead = runIsDead(this.sql.getRun.get(holder), now, this.staleAfterMs);
              deadByRun.set(holder, dead);
            }
            if (!dead) {
              result.busy.push(fp);
              continue;
            }
          }
          this.sql.upsertInflight.run(fp, rule.own, runId, batchId, now);
          result.claimed.push(fp);
        }
        if (slot && result.claimed.length > 0) result.slot = this.takeSlot(slot, now);
        return result;
      })
      .immediate();
  }

  async commitBatch(
    runId: string,
    analysis: Analysis,
    outcomes: readonly NewOutcome[],
    fps: readonly string[],
  ): Promise<void> {
    const endpoint = servingRule(analysis).own;
    this.db
      .transaction(() => {
        const now = this.now();
        for (const o of outcomes) {
          this.sql.upsertOutcome.run(
            o.fp,
            endpoint,
            o.kind,
            o.analise ?? null,
            o.code ?? null,
            o.message ?? null,
            now,
            runId,
          );
        }
        for (const fp of fps) this.sql.releaseOne.run(fp, endpoint, runId);
      })
      .immediate();
  }

  async release(runId: string, analysis: Analysis, fps: readonly string[]): Promise<void> {
    const endpoint = servingRule(analysis).own;
    this.db
      .transaction(() => {
        for (const fp of fps) this.sql.releaseOne.run(fp, endpoint, runId);
      })
      .immediate();
  }

  async keyShare(keyId: string): Promise<KeyShare> {
    const now = this.now();
    const row = this.sql.getKeyRate.get(keyId);
    return {
      ratePerMinute: row?.rate ?? null,
      runs: this.keyRunsAlive(keyId, now),
      quotaAt: row?.quotaAt ?? null,
      pauseUntil: row?.pauseUntil ?? 0,
      storeNow: now,
    };
  }

  async keyThrottled(report: ThrottleReport): Promise<void> {
    this.db
      .transaction(() => {
        const row = this.sql.getKeyRate.get(report.keyId);
        if (row) this.sql.putKeyRate.run({ keyId: report.keyId, ...throttleRow(row, report, this.now()) });
      })
      .immediate();
  }

  async keyQuotaSpent(keyId: string): Promise<void> {
    this.db
      .transaction(() => {
        const row = this.sql.getKeyRate.get(keyId);
        if (row) this.sql.putKeyRate.run({ keyId, ...row, quotaAt: this.now() });
      })
      .immediate();
  }

  async fleetRuns(keyId: string, runId: string): Promise<number> {
    const me = this.sql.getRun.get(runId);
    if (!me) return 1;
    const now = this.now();
    let n = 0;
    for (const run of this.sql.keyRuns.all(keyId)) {
      const end = run.ended_at ?? (runIsDead(run, now, this.staleAfterMs) ? run.heartbeat_at : now);
      if (run.id === runId || (run.started_at <= now && end >= me.started_at)) n++;
    }
    return Math.max(1, n);
  }

  async endRun(runId: string): Promise<void> {
    this.stopHeartbeat(runId);
    this.db
      .transaction(() => {
        this.sql.releaseRun.run(runId);
        this.sql.markEnded.run(this.now(), runId);
      })
      .immediate();
  }

  async stats(): Promise<StoreStats> {
    const totals = this.sql.outcomeTotals.get()!;
    const stats: StoreStats = {
      path: this.location,
      backend: this.backend,
      sizeBytes: this.sizeBytes(),
      outcomes: totals.outcomes,
      ok: totals.ok ?? 0,
      errors: totals.errors ?? 0,
      inflight: this.sql.inflightCount.pluck().get() as number,
      runs: this.sql.runCount.pluck().get() as number,
      activeRuns: this.sql.liveRuns
        .all()
        .filter((run) => !runIsDead(run, this.now(), this.staleAfterMs))
        .map((run) => ({
          runId: run.id,
          host: run.host,
          pid: run.pid,
          startedAt: run.started_at,
          keyId: run.key_id,
        })),
    };
    if (totals.oldest !== null) stats.oldest = totals.oldest;
    if (totals.newest !== null) stats.newest = totals.newest;
    return stats;
  }

  async prune(olderThanMs: number): Promise<number> {
    const cutoff = this.now() - olderThanMs;
    const deleted = this.db
      .transaction(() => {
        this.sql.pruneRuns.run(cutoff);
        return this.sql.pruneOutcomes.run(cutoff).changes;
      })
      .immediate();
    // Vacuum first: under WAL the freed pages only leave the db file when the checkpoint copies them back.
    if (this.db.pragma("auto_vacuum", { simple: true }) === 2) this.db.pragma("incremental_vacuum");
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    return deleted;
  }

  async close(): Promise<void> {
    for (const runId of [...this.heartbeats.keys()]) this.stopHeartbeat(runId);
    this.db.close();
  }

  private freshOutcome(
    fp: string,
    rule: ReturnType<typeof servingRule>,
    freshSince: number,
  ): StoredOutcome | undefined {
    const rows: OutcomeRow[] = this.sql.getOutcomes.all({
      fp,
      own: rule.own,
      other: rule.other,
      otherOk: rule.otherOk ? 1 : 0,
      since: freshSince,
    });
    let best: StoredOutcome | undefined;
    for (const row of rows) best = preferOwn(rule, best, toOutcome(row));
    return best;
  }

  /** Inside the claim's transaction: the key's next start, and what the others should know of it. */
  private takeSlot(request: SlotRequest, now: number): SlotGrant {
    const { row, slot } = takeSlot(this.sql.getKeyRate.get(request.keyId), request, now);
    this.sql.putKeyRate.run({ keyId: request.keyId, ...row });
    return {
      waitMs: Math.max(0, slot - now),
      ratePerMinute: row.rate,
      storeNow: now,
      quotaAt: row.quotaAt,
      runs: this.keyRunsAlive(request.keyId, now),
    };
  }

  private keyRunsAlive(keyId: string, now: number): number {
    return this.sql.keyRuns.all(keyId).filter((run) => !runIsDead(run, now, this.staleAfterMs)).length;
  }

  private beat(runId: string): void {
    try {
      this.sql.heartbeat.run(this.now(), runId);
    } catch {
      // A busy or closed database must not crash the run; a missed beat only ages the heartbeat.
    }
  }

  private stopHeartbeat(runId: string): void {
    clearInterval(this.heartbeats.get(runId));
    this.heartbeats.delete(runId);
  }

  private sizeBytes(): number {
    if (this.db.memory) {
      const pages = this.db.pragma("page_count", { simple: true }) as number;
      return pages * (this.db.pragma("page_size", { simple: true }) as number);
    }
    let total = 0;
    for (const file of [this.location, `${this.location}-wal`]) {
      try {
        total += statSync(file).size;
      } catch {
        // The WAL file exists only while a connection has it open.
      }
    }
    return total;
  }
}
