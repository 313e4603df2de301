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
  /** The key's slot for this batch, when one was asked and someone was claimed. */
  slot?: SlotGrant;
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
  /** Runs alive on the store now. */
  activeRuns: ActiveRun[];
}

export type StoreBackend = "sqlite" | "postgres";

/** A run the store believes alive (its lease or heartbeat is current), for `fluence store stats`. */
export interface ActiveRun {
  runId: string;
  host: string;
  pid: number;
  /** ms epoch, the run's own clock. */
  startedAt: number;
  /** The key it paces (a hash), when it shares one. */
  keyId: string | null;
}

/**
 * A start asked of the key's shared schedule, folded into the claim of the batch it is for (the slot is
 * only taken when at least one person was claimed). Rates are starts per minute, already less the margin.
 */
export interface SlotRequest {
  keyId: string;
  /** What this run was told the key allows (--rate less the margin). */
  targetPerMinute: number;
  /** The shared rate never drops below this after throttling. */
  floorPerMinute: number;
  /** Rate regained per healthy answer, per minute. */
  recoveryPerMinute: number;
  /** Healthy answers this run saw since its last slot. */
  healthy: number;
  /** Smallest gap between starts (--delay), ms. */
  minGapMs: number;
}

/** The slot the schedule gave: when the batch may start, and the key's state as the store sees it. */
export interface SlotGrant {
  /** ms from the store's answer until the slot; 0 when it is now. */
  waitMs: number;
  /** The key's shared rate now, per minute. */
  ratePerMinute: number;
  /** The store's clock as it answered, ms epoch (PostgreSQL's clock_timestamp(), or this host's). */
  storeNow: number;
  /** When a run last saw the key's quota spent, store clock, or null. */
  quotaAt: number | null;
  /** Runs alive on this key, this one included. */
  runs: number;
}

/** The key's schedule as a run finds it, before its first start. */
export interface KeyShare {
  /** The shared rate now, per minute, or null if no run has used the key on this store. */
  ratePerMinute: number | null;
  /** Runs alive on this key. */
  runs: number;
  quotaAt: number | null;
  /** No run starts before this (a Retry-After one of them got), store clock. */
  pauseUntil: number;
  storeNow: number;
}

/** A throttling answer, reported to the key's schedule so that every run slows and pauses with it. */
export interface ThrottleReport {
  keyId: string;
  /** When the throttled request started, on the store's clock: the rate drops once per round. */
  startedAt: number;
  retryAfterMs?: number | undefined;
  decreaseRatio: number;
  floorPerMinute: number;
}

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
  /**
   * Registers this process as a run (pacing `keyId`, if given), starts its heartbeat and clears what dead
   * runs left in flight.
   */
  beginRun(keyId?: string): Promise<RunStart>;
  /** How many profiles dead runs left in flight, without clearing them (for dry runs). */
  peekStaleInflight(): Promise<number>;
  /** Fresh outcomes (fetchedAt >= freshSince) that can serve `analysis` for these fps (servingRule). */
  lookup(fps: readonly string[], analysis: Analysis, freshSince: number): Promise<Map<string, StoredOutcome>>;
  /**
   * Decides atomically, per fp, whether this run may send it now; with `slot`, also takes the key's next
   * start in the same round trip when anyone was claimed.
   */
  claim(
    runId: string,
    batchId: string,
    analysis: Analysis,
    fps: readonly string[],
    freshSince: number,
    slot?: SlotRequest,
  ): Promise<ClaimResult>;
  /** The key's shared schedule as it stands. */
  keyShare(keyId: string): Promise<KeyShare>;
  /** A throttling answer: the key's shared rate drops (once per round) and a Retry-After pauses every run. */
  keyThrottled(report: ThrottleReport): Promise<void>;
  /** The key's quota is spent: runs that began before now stop at their next start. */
  keyQuotaSpent(keyId: string): Promise<void>;
  /** Runs on this key whose lifetime overlapped this one's (it included). */
  fleetRuns(keyId: string, runId: string): Promise<number>;
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
