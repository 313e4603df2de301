/** Public shapes of the local Fluence API sandbox. */

export type SandboxPlanId = "enterprise" | "business" | "professional" | "essentials";

export interface SandboxFaults {
  /** Probability (0..1) of answering 500 without charging. Default 0. */
  error500?: number;
  /** Probability of an injected 429 (docs mode: `Retry-After: 1`) that uses no rate-limit slot. Default 0. */
  error429?: number;
  /** Probability of processing and charging, then destroying the socket with no answer. Default 0. */
  drop?: number;
  /** Probability of processing and charging, then answering 200 with truncated JSON. Default 0. */
  malformed?: number;
  /**
   * Probability of processing and charging, then answering 502 `{"message":"Internal server error"}` (the
   * gateway's answer when its integration fails): the client cannot know it was charged. Default 0.
   */
  error502?: number;
  /** Probability of answering 503 Service Unavailable without charging. Default 0. */
  error503?: number;
}

/** AWS API Gateway in front of the service, as CONTRACT.md ("The API as deployed") describes it. */
export interface GatewayOptions {
  /**
   * Stage prefix every route lives under, e.g. "/prod" (a leading slash is added when missing); a request
   * without it gets 403 Missing Authentication Token. Default: none, routes at the root.
   */
  stage?: string;
  /** Token-bucket capacity per key, on top of the steady rate `rateLimit` per `rateWindowMs`. Default 10. */
  burst?: number;
  /**
   * Requests per key for the period (every request past auth and throttling counts, utility ones too);
   * when spent: 429 Limit Exceeded. Default: the plan's monthly quota.
   */
  quota?: number;
  /**
   * A paid request whose processing takes longer gets 504 at this moment, while the work goes on and is
   * charged when it completes. Default 29_000 (API Gateway's REST default).
   */
  integrationTimeoutMs?: number;
}

export interface SandboxOptions {
  /** TCP port. Default 0 (a random free port). */
  port?: number;
  /** Interface to bind. Default "127.0.0.1"; other hosts only when given explicitly. */
  host?: string;
  /** Fixed latency added before answering each paid request, in ms. Default 0. */
  latencyMs?: number;
  /** Latency added per profile of a batch (a single request counts as one), in ms. Default 0. */
  latencyPerProfileMs?: number;
  /**
   * Uniform random extra latency per paid request, an integer in [0, latencyJitterMs] ms, drawn from a
   * PRNG of its own derived from `seed` (the fault sequence stays the same). Default 0.
   */
  latencyJitterMs?: number;
  /** Slow spells of the service (a step, a ramp), timed from the sandbox's start on its clock. */
  latencySpells?: LatencySpell[];
  /** Starting balance of every key. Default: the plan's monthly quota. */
  credits?: number;
  /** Accepted requests per key per window (gateway mode: the token bucket's steady rate). Default 100. */
  rateLimit?: number;
  /** Length of the sliding rate-limit window (gateway mode: of the refill rate), in ms. Default 60_000. */
  rateWindowMs?: number;
  /**
   * Batch requests (/crm_basico_batch and /crm_batch) processed at once, over all keys; one more is
   * answered 503 at once, uncharged. Default: unlimited.
   */
  maxConcurrentBatches?: number;
  /** Answer as AWS API Gateway in front of the service does (true: every GatewayOptions default). Default off. */
  gateway?: boolean | GatewayOptions;
  /** Fault probabilities per request to a paid POST endpoint, drawn in that order. Default all 0. */
  faults?: SandboxFaults;
  /** Seed of the fault and jitter PRNGs: the same seed and request order reproduce a run. Default 1. */
  seed?: number;
  /**
   * The clock of the rate limiters (the sliding window, the gateway's token bucket) and of the uptime, in
   * ms: a test advances it instead of sleeping. Latency is real time either way. Default performance.now.
   */
  now?: () => number;
  /** /health and /status answer 503 "degraded". Default false. */
  unhealthy?: boolean;
  /** Receives one line per request: "METHOD /path status ms". Default: no log. */
  log?: (line: string) => void;
}

export interface SandboxStats {
  /** By "METHOD /path" as requested (stage included), every request including rejected ones (/__sandbox excepted). */
  requests: Record<string, number>;
  /** By status code string. Dropped requests have no status. */
  statuses: Record<string, number>;
  /** Profiles processed by paid endpoints (a single request counts one); rejected requests count none. */
  profilesReceived: number;
  /** Profiles analysed successfully, basic and complete. */
  profilesSucceeded: number;
  /** The part of profilesSucceeded that got the complete analysis (POST /crm and POST /crm_batch). */
  completeProfilesSucceeded: number;
  /** Credits debited over all keys, net of refunds. */
  creditsDebited: number;
  /** 429s sent because the limit (gateway mode: the token bucket) was exceeded; injected ones are faults. */
  rateLimited: number;
  /** Gateway mode: 429 Limit Exceeded answers, the key's quota being spent. */
  quotaRefused: number;
  /** Batch requests answered 503 because maxConcurrentBatches were already being processed. */
  refusedOverCapacity: number;
  /** Gateway mode: 504s sent at the integration timeout (the work was charged later if it succeeded). */
  gatewayTimeouts: number;
  faultsInjected: {
    error500: number;
    error429: number;
    drop: number;
    malformed: number;
    error502: number;
    error503: number;
  };
  /**
   * Size of every batch body that reached a batch endpoint (/crm_basico_batch or /crm_batch) past auth,
   * rate limit, tier and capacity, in order.
   */
  batchSizes: number[];
  /** The same, for POST /crm_batch alone. */
  completeBatchSizes: number[];
  /** Most requests inside the handler at the same time. */
  peakConcurrency: number;
  /** Most batch requests being processed at the same time (work left running after a 504 included). */
  peakBatchConcurrency: number;
  /** Gateway mode: the x-amzn-RequestId of every non-2xx answer, oldest first, the last 100. */
  failedRequestIds: string[];
}

export interface SandboxHandle {
  /** Base URL of the server, e.g. "http://127.0.0.1:43123". */
  url: string;
  /** Base URL a client should use: `url` plus the gateway stage, if any. */
  apiUrl: string;
  port: number;
  /** One 40-character alphanumeric key per plan, the same on every start. */
  keys: Record<SandboxPlanId, string>;
  stats(): SandboxStats;
  resetStats(): void;
  /** Current credit balance of a key; throws for an unknown key. */
  balance(key: string): number;
  setBalance(key: string, credits: number): void;
  /** Gateway mode: requests counted against the key's quota so far (always 0 otherwise); throws for an unknown key. */
  quotaUsed(key: string): number;
  /** Gateway mode: sets the key's quota for the period (no effect otherwise); throws for an unknown key. */
  setQuota(key: string, requests: number): void;
  setUnhealthy(value: boolean): void;
  /**
   * Closes the server and every open socket; pending slow requests, and work still running after a 504,
   * are abandoned uncharged.
   */
  close(): Promise<void>;
}

/**
 * A slow spell of the service: from `atMs` after the sandbox started, the time per profile grows by up to
 * `extraPerProfileMs`, rising over `rampMs` (0: a step), held `holdMs`, falling back over `fallMs`.
 * Per profile, as the docs describe: a smaller batch is a real way out of it.
 */
export interface LatencySpell {
  atMs: number;
  rampMs?: number;
  holdMs: number;
  fallMs?: number;
  extraPerProfileMs: number;
}
