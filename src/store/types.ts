/**
 * Which analysis a run buys: the basic batch (`/crm_basico_batch`, 1 credit a person) or the complete one
 * (`/crm_batch`, 2 credits). Outcomes are stored per endpoint; `servingRule` says which serve which.
 */
export type Analysis = "basic" | "complete";

/** One stored answer of the API for one person on one endpoint. */
export interface StoredOutcome {
  fp: string;
  /** The endpoint that produced it, e.g. "crm_basico_batch" or "crm_batch". */
  endpoint: string;
  kind: "ok" | "error";
  /** The analise object as JSON text, exactly as received (kind ok). */
  analise?: string;
  /** Terminal error code, e.g. PROFILE_NOT_FOUND (kind error). */
  code?: string;
  message?: string;
  /** ms epoch */
  fetchedAt: number;
  runId: string;
}

/** An outcome as a run hands it to the store; the store stamps time, endpoint and run. */
export type NewOutcome = Omit<StoredOutcome, "fetchedAt" | "runId" | "endpoint">;

/** What beginRun found left behind by runs that died. */
export interface RunStart {
  runId: string;
  /** In-flight profiles of dead runs that were released (they may or may not have been charged). */
  staleInflight: number;
  /** Dead runs found and marked ended. */
  staleRuns: number;
}

export interface ClaimResult {
  /** fps now held in flight by this run: send them. */
  claimed: string[];
  /** A fresh outcome appeared meanwhile (e.g. another run got it): do not send. */
  done: Map<string, StoredOutcome>;
  /** Held in flight by another live run: do not send now; retry the claim later. */
  busy: string[];
}

export interface StoreStats {
  /** Where the store lives, safe to print (a PostgreSQL URL never shows its password). */
  path: string;
  /** "sqlite" or "postgres". */
  backend: StoreBackend;
  /** Bytes on disk: the database file plus its write-ahead log, or the PostgreSQL tables. */
  sizeBytes: number;
  outcomes: number;
  ok: number;
  errors: number;
  /** ms epoch of the oldest outcome. */
  oldest?: number;
  /** ms epoch of the newest outcome. */
  newest?: number;
  /** Profiles currently claimed by runs. */
  inflight: number;
  /** Runs recorded (ended ones are dropped by prune). */
  runs: number;
}

export type StoreBackend = "sqlite" | "postgres";

export interface OpenStoreOptions {
  /** Clock in ms epoch. Default Date.now. */
  now?: () => number;
  /** How often a run refreshes its heartbeat (its lease). Default 5000. */
  heartbeatMs?: number;
  /** A run whose heartbeat is older than this is dead; its claims expire. Default 30000. */
  staleAfterMs?: number;
}

/**
 * The memory of paid lookups, shared by every run that uses it: outcomes per (fingerprint, endpoint),
 * plus in-flight claims so that concurrent runs never pay twice for one person. Two implementations, an
 * embedded SQLite file and a shared PostgreSQL database; the pipeline only ever sees this interface.
 * Failures reach the caller as UserErrors (exit 7 when the store cannot be read or written, 8 when it
 * stays locked by another process).
 */
export interface OutcomeStore {
  readonly backend: StoreBackend;
  /** Where the store lives, safe to print and to write into a summary. */
  readonly location: string;
  /** Registers this process as a run, starts its heartbeat and clears what dead runs left in flight. */
  beginRun(): Promise<RunStart>;
  /** How many profiles dead runs left in flight, without clearing them (for dry runs). */
  peekStaleInflight(): Promise<number>;
  /** Fresh outcomes (fetchedAt >= freshSince) that can serve `analysis` for these fps (servingRule). */
  lookup(fps: readonly string[], analysis: Analysis, freshSince: number): Promise<Map<string, StoredOutcome>>;
  /** Decides atomically, per fp, whether this run may send it now. */
  claim(
    runId: string,
    batchId: string,
    analysis: Analysis,
    fps: readonly string[],
    freshSince: number,
  ): Promise<ClaimResult>;
  /** Stores the batch's terminal outcomes and releases this run's claims on all its fps, atomically. */
  commitBatch(
    runId: string,
    analysis: Analysis,
    outcomes: readonly NewOutcome[],
    fps: readonly string[],
  ): Promise<void>;
  /** Releases this run's claims on fps without storing anything (a retryable failure). */
  release(runId: string, analysis: Analysis, fps: readonly string[]): Promise<void>;
  /** Stops the heartbeat, releases the run's remaining claims and marks it ended. */
  endRun(runId: string): Promise<void>;
  stats(): Promise<StoreStats>;
  /** Deletes outcomes and ended runs older than olderThanMs; returns the outcomes deleted. */
  prune(olderThanMs: number): Promise<number>;
  /** Stops heartbeats and closes the connection; claims stay until endRun or a later beginRun. */
  close(): Promise<void>;
}
