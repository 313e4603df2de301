import type { SandboxStats } from "./sandbox-types.js";

function emptyStats(): SandboxStats {
  return {
    requests: {},
    statuses: {},
    profilesReceived: 0,
    profilesSucceeded: 0,
    completeProfilesSucceeded: 0,
    creditsDebited: 0,
    rateLimited: 0,
    faultsInjected: { error500: 0, error429: 0, drop: 0, malformed: 0 },
    batchSizes: [],
    completeBatchSizes: [],
    peakConcurrency: 0,
  };
}

/** Counters of one sandbox. In-flight requests survive a reset so peakConcurrency stays truthful. */
export class StatsRecorder {
  data: SandboxStats = emptyStats();
  private inFlight = 0;

  request(route: string): void {
    this.data.requests[route] = (this.data.requests[route] ?? 0) + 1;
  }

  status(status: number): void {
    const code = String(status);
    this.data.statuses[code] = (this.data.statuses[code] ?? 0) + 1;
  }

  enter(): void {
    this.inFlight += 1;
    this.data.peakConcurrency = Math.max(this.data.peakConcurrency, this.inFlight);
  }

  leave(): void {
    this.inFlight -= 1;
  }

  snapshot(): SandboxStats {
    return structuredClone(this.data);
  }

  reset(): void {
    this.data = emptyStats();
    this.data.peakConcurrency = this.inFlight;
  }
}
