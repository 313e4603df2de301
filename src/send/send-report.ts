import type { FluenceApiError } from "../api/index.js";
import type { BillingInfo } from "../api/types.js";
import type { StopReason } from "./stop-reasons.js";

/** One request that failed, for the summary and for support (the gateway's request id). */
export interface FailedRequest {
  /** ISO time of the answer. */
  at: string;
  endpoint: string;
  /** HTTP status, or null when no answer came (timeout, dropped connection). */
  status: number | null;
  code: string;
  request_id: string | null;
  profiles: number;
  message: string;
}

/** The failed requests kept in a summary; the count of all of them is `failedRequestCount`. */
export const FAILED_REQUESTS_KEPT = 100;

export interface SendReport {
  batches: number;
  profilesSent: number;
  peopleDone: number;
  peopleFailed: number;
  enriched: number;
  retries: number;
  rateLimited: number;
  inDoubt: number;
  /** Sum of billing_info.creditos_utilizados (or successes x credits per profile where an answer had none). */
  creditsUsed: number;
  /** What the successes should have cost, from each answer's creditos_por_perfil when it gave one. */
  expectedCharge: number;
  successes: number;
  /** 504s from the gateway (the service may have done the work). */
  gatewayTimeouts: number;
  /** Batches sent per size, e.g. { "10": 98, "5": 4 }. */
  batchSizes: Record<string, number>;
  failedRequests: FailedRequest[];
  failedRequestCount: number;
  firstBilling: BillingInfo | undefined;
  lastBilling: BillingInfo | undefined;
  stop: StopReason | undefined;
  fatal: FluenceApiError | undefined;
  /** The store's failure that stopped the run (stop "store"), as the user should read it. */
  storeFailure: Error | undefined;
  /** Outcomes paid for that neither the store nor the journal could keep (in this run's outputs only). */
  unkept: number;
}

export function emptyReport(): SendReport {
  return {
    batches: 0,
    profilesSent: 0,
    peopleDone: 0,
    peopleFailed: 0,
    enriched: 0,
    retries: 0,
    rateLimited: 0,
    inDoubt: 0,
    creditsUsed: 0,
    expectedCharge: 0,
    successes: 0,
    gatewayTimeouts: 0,
    batchSizes: {},
    failedRequests: [],
    failedRequestCount: 0,
    firstBilling: undefined,
    lastBilling: undefined,
    stop: undefined,
    fatal: undefined,
    storeFailure: undefined,
    unkept: 0,
  };
}
