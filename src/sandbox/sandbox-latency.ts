import { mulberry32 } from "./sandbox-faults.js";

/** The latency knobs of SandboxOptions. */
export interface LatencyOptions {
  latencyMs?: number;
  latencyPerProfileMs?: number;
  latencyJitterMs?: number;
}

// XORed into the seed so jitter draws come from a stream of their own: turning jitter on or off leaves
// the fault sequence of a seed untouched.
const JITTER_STREAM = 0x9e3779b9;

/**
 * The processing latency of each paid request: fixed part, plus a part per profile, plus a uniform
 * integer extra in [0, latencyJitterMs] drawn from a PRNG seeded from `seed`.
 */
export function createLatencyPicker(options: LatencyOptions, seed: number): (profiles: number) => number {
  const fixed = options.latencyMs ?? 0;
  const perProfile = options.latencyPerProfileMs ?? 0;
  const jitter = options.latencyJitterMs ?? 0;
  const random = mulberry32((seed ^ JITTER_STREAM) >>> 0);
  return (profiles) => {
    const extra = jitter > 0 ? Math.floor(random() * (jitter + 1)) : 0;
    return fixed + perProfile * profiles + extra;
  };
}
