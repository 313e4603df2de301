/** One stored answer of the API for one person on one endpoint. */
export interface StoredOutcome {
  fp: string;
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
  path: string;
  /** Database file plus its write-ahead log. */
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

export interface OpenStoreOptions {
  /** Clock in ms epoch. Default Date.now. */
  now?: () => number;
  /** How often a run refreshes its heartbeat. Default 5000. */
  heartbeatMs?: number;
  /** A run whose heartbeat is older than this is dead. Default 30000. */
  staleAfterMs?: number;
}
