/** Public shapes of the local Fluence API sandbox. */

export type SandboxPlanId = "enterprise" | "business" | "professional" | "essentials";

export interface SandboxFaults {
  /** Probability (0..1) of answering 500 without charging. Default 0. */
  error500?: number;
  /** Probability of an injected 429 with `Retry-After: 1`. Default 0. */
  error429?: number;
  /** Probability of processing and charging, then destroying the socket with no answer. Default 0. */
  drop?: number;
  /** Probability of processing and charging, then answering 200 with truncated JSON. Default 0. */
  malformed?: number;
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
  /** Starting balance of every key. Default: the plan's monthly quota. */
  credits?: number;
  /** Accepted requests per key per window. Default 100. */
  rateLimit?: number;
  /** Length of the sliding rate-limit window, in ms. Default 60_000. */
  rateWindowMs?: number;
  /** Fault probabilities per request to a paid POST endpoint, drawn in that order. Default all 0. */
  faults?: SandboxFaults;
  /** Seed of the fault and jitter PRNGs: the same seed and request order reproduce a run. Default 1. */
  seed?: number;
  /** /health and /status answer 503 "degraded". Default false. */
  unhealthy?: boolean;
  /** Receives one line per request: "METHOD /path status ms". Default: no log. */
  log?: (line: string) => void;
}

export interface SandboxStats {
  /** By "METHOD /path", every request including rejected ones (the /__sandbox routes excepted). */
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
  /** 429s sent because the limit was exceeded (injected 429s are counted in faultsInjected). */
  rateLimited: number;
  faultsInjected: { error500: number; error429: number; drop: number; malformed: number };
  /**
   * Size of every batch body that reached a batch endpoint (/crm_basico_batch or /crm_batch) past auth,
   * rate limit, tier and capacity, in order.
   */
  batchSizes: number[];
  /** The same, for POST /crm_batch alone. */
  completeBatchSizes: number[];
  /** Most requests inside the handler at the same time. */
  peakConcurrency: number;
}

export interface SandboxHandle {
  /** Base URL, e.g. "http://127.0.0.1:43123". */
  url: string;
  port: number;
  /** One 40-character alphanumeric key per plan, the same on every start. */
  keys: Record<SandboxPlanId, string>;
  stats(): SandboxStats;
  resetStats(): void;
  /** Current credit balance of a key; throws for an unknown key. */
  balance(key: string): number;
  setBalance(key: string, credits: number): void;
  setUnhealthy(value: boolean): void;
  /** Closes the server and every open socket; pending slow requests are abandoned uncharged. */
  close(): Promise<void>;
}
