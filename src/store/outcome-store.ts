import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { hostname } from "node:os";
import type { Database } from "better-sqlite3";
import { runIsDead } from "./liveness.js";
import { openDatabase } from "./open-database.js";
import { toOutcome } from "./outcome-row.js";
import { prepareStatements, type Statements } from "./statements.js";
import type { ClaimResult, OpenStoreOptions, RunStart, StoredOutcome, StoreStats } from "./types.js";

/** fps per lookup query: bounds the JSON text built per query, not a SQLite limit (json_each is one parameter). */
const LOOKUP_CHUNK = 5_000;

type NewOutcome = Omit<StoredOutcome, "fetchedAt" | "runId">;

/**
 * The local memory of paid lookups: outcomes per (fingerprint, endpoint), plus in-flight claims so that
 * concurrent runs sharing one file never pay twice for one person. Every write that decides who sends
 * what is one IMMEDIATE transaction.
 */
export class OutcomeStore {
  readonly path: string;
  readonly db: Database;
  private readonly now: () => number;
  private readonly heartbeatMs: number;
  private readonly staleAfterMs: number;
  private readonly heartbeats = new Map<string, NodeJS.Timeout>();
  private readonly sql: Statements;

  /** Opens or creates the store; ":memory:" is allowed. */
  static open(path: string, options: OpenStoreOptions = {}): OutcomeStore {
    return new OutcomeStore(path, openDatabase(path), options);
  }

  private constructor(path: string, db: Database, options: OpenStoreOptions) {
    this.path = path;
    this.db = db;
    this.now = options.now ?? Date.now;
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.staleAfterMs = options.staleAfterMs ?? 30_000;
    this.sql = prepareStatements(db);
  }

  /** Registers this process as a run, starts its heartbeat and clears what dead runs left in flight. */
  /**
   * How many profiles dead runs left in flight, without clearing them: a dry run reports them and leaves
   * them for the real run to report and take over.
   */
  peekStaleInflight(): number {
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

  beginRun(): RunStart {
    const runId = randomUUID();
    const result = this.db
      .transaction(() => {
        const now = this.now();
        this.sql.insertRun.run(runId, process.pid, hostname(), now, now);
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

  /** Fresh outcomes (fetchedAt >= freshSince) for these fps on this endpoint. */
  lookup(fps: string[], endpoint: string, freshSince: number): Map<string, StoredOutcome> {
    const found = new Map<string, StoredOutcome>();
    for (let start = 0; start < fps.length; start += LOOKUP_CHUNK) {
      const chunk = JSON.stringify(fps.slice(start, start + LOOKUP_CHUNK));
      for (const row of this.sql.lookupChunk.all(chunk, endpoint, freshSince)) {
        found.set(row.fp, toOutcome(row));
      }
    }
    return found;
  }

  /** One IMMEDIATE transaction deciding, per fp, whether this run may send it now. */
  claim(runId: string, batchId: string, endpoint: string, fps: string[], freshSince: number): ClaimResult {
    return this.db
      .transaction((): ClaimResult => {
        const now = this.now();
        const result: ClaimResult = { claimed: [], done: new Map(), busy: [] };
        const deadByRun = new Map<string, boolean>();
        for (const fp of new Set(fps)) {
          const fresh = this.sql.getOutcome.get(fp, endpoint, freshSince);
          if (fresh) {
            result.done.set(fp, toOutcome(fresh));
            this.sql.releaseOne.run(fp, endpoint, runId);
            continue;
          }
          const holder = this.sql.getHolder.get(fp, endpoint);
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
          this.sql.upsertInflight.run(fp, endpoint, runId, batchId, now);
          result.claimed.push(fp);
        }
        return result;
      })
      .immediate();
  }

  /** One transaction: stores the outcomes and releases this run's claims on every fp of the batch. */
  commitBatch(runId: string, endpoint: string, outcomes: NewOutcome[], fps: string[]): void {
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

  /** Releases this run's claims on fps without storing anything (a retryable failure). */
  release(runId: string, fps: string[]): void {
    this.db
      .transaction(() => {
        for (const fp of fps) this.sql.releaseAnyEndpoint.run(fp, runId);
      })
      .immediate();
  }

  /** Stops the heartbeat, releases the run's remaining claims and marks it ended. */
  endRun(runId: string): void {
    this.stopHeartbeat(runId);
    this.db
      .transaction(() => {
        this.sql.releaseRun.run(runId);
        this.sql.markEnded.run(this.now(), runId);
      })
      .immediate();
  }

  stats(): StoreStats {
    const totals = this.sql.outcomeTotals.get()!;
    const stats: StoreStats = {
      path: this.path,
      sizeBytes: this.sizeBytes(),
      outcomes: totals.outcomes,
      ok: totals.ok ?? 0,
      errors: totals.errors ?? 0,
      inflight: this.sql.inflightCount.pluck().get() as number,
      runs: this.sql.runCount.pluck().get() as number,
    };
    if (totals.oldest !== null) stats.oldest = totals.oldest;
    if (totals.newest !== null) stats.newest = totals.newest;
    return stats;
  }

  /** Deletes outcomes and ended runs older than olderThanMs, then gives the space back to the OS. */
  prune(olderThanMs: number): number {
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

  /** Stops heartbeats and closes the connection; claims stay until endRun or a later beginRun. */
  close(): void {
    for (const runId of [...this.heartbeats.keys()]) this.stopHeartbeat(runId);
    this.db.close();
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
    for (const file of [this.path, `${this.path}-wal`]) {
      try {
        total += statSync(file).size;
      } catch {
        // The WAL file exists only while a connection has it open.
      }
    }
    return total;
  }
}
