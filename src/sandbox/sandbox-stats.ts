import type { SandboxStats } from "./sandbox-types.js";

const FAILED_IDS_KEPT = 100;

function emptyStats(): SandboxStats {
  return {
    requests: {},
    statuses: {},
    profilesReceived: 0,
    profilesSucceeded: 0,
    completeProfilesSucceeded: 0,
    creditsDebited: 0,
    rateLimited: 0,
    quotaRefused: 0,
    refusedOverCapacity: 0,
    gatewayTimeouts: 0,
    faultsInjected: { error500: 0, error429: 0, drop: 0, malformed: 0, error502: 0, error503: 0 },
    batchSizes: [],
    completeBatchSizes: [],
    peakConcurrency: 0,
    peakBatchConcurrency: 0,
    failedRequestIds: [],
  };
}

/** Counters of one sandbox. In-flight counts survive a reset so the peaks stay truthful. */
export class StatsRecorder {
  data: SandboxStats = emptyStats();
  private inFlight = 0;
  private batchesInFlight = 0;

  request(route: string): void {
    this.data.requests[route] = (this.data.requests[route] ?? 0) + 1;
  }

  status(status: number): void {
    const code = String(status);
    this.data.statuses[code] = (this.data.statuses[code] ?? 0) + 1;
  }

  failedRequestId(id: string): void {
    this.data.failedRequestIds.push(id);
    if (this.data.failedRequestIds.length > FAILED_IDS_KEPT) this.data.failedRequestIds.shift();
  }

  enter(): void {
    this.inFlight += 1;
    this.data.peakConcurrency = Math.max(this.data.peakConcurrency, this.inFlight);
  }

  leave(): void {
    this.inFlight -= 1;
  }

  /** Batch requests being processed now. */
  get batches(): number {
    return this.batchesInFlight;
  }

  enterBatch(): void {
    this.batchesInFlight += 1;
    this.data.peakBatchConcurrency = Math.max(this.data.peakBatchConcurrency, this.batchesInFlight);
  }

  leaveBatch(): void {
    this.batchesInFlight -= 1;
  }

  snapshot(): SandboxStats {
    return structuredClone(this.data);
  }

  reset(): void {
    this.data = emptyStats();
    this.data.peakConcurrency = this.inFlight;
    this.data.peakBatchConcurrency = this.batchesInFlight;
  }
}
