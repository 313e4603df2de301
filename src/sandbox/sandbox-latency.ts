import { mulberry32 } from "./sandbox-faults.js";
import type { LatencySpell } from "./sandbox-types.js";

/** The latency knobs of SandboxOptions. */
export interface LatencyOptions {
  latencyMs?: number;
  latencyPerProfileMs?: number;
  latencyJitterMs?: number;
  latencySpells?: LatencySpell[];
}

/** The extra per-profile time the spells add `elapsedMs` after the sandbox started. */
export function spellExtraPerProfile(spells: readonly LatencySpell[], elapsedMs: number): number {
  let extra = 0;
  for (const spell of spells) {
    const t = elapsedMs - spell.atMs;
    const ramp = spell.rampMs ?? 0;
    const fall = spell.fallMs ?? 0;
    let share = 0;
    if (t < 0) share = 0;
    else if (t < ramp) share = t / ramp;
    else if (t < ramp + spell.holdMs) share = 1;
    else if (t < ramp + spell.holdMs + fall) share = 1 - (t - ramp - spell.holdMs) / fall;
    extra += share * spell.extraPerProfileMs;
  }
  return extra;
}

// XORed into the seed so jitter draws come from a stream of their own: turning jitter on or off leaves
// the fault sequence of a seed untouched.
const JITTER_STREAM = 0x9e3779b9;

/**
 * The processing latency of each paid request: fixed part, plus a part per profile (more during a spell,
 * read on the sandbox's clock), plus a uniform integer extra in [0, latencyJitterMs] drawn from a PRNG
 * seeded from `seed`.
 */
export function createLatencyPicker(
  options: LatencyOptions,
  seed: number,
  elapsedMs: () => number = () => 0,
): (profiles: number) => number {
  const fixed = options.latencyMs ?? 0;
  const perProfile = options.latencyPerProfileMs ?? 0;
  const jitter = options.latencyJitterMs ?? 0;
  const spells = options.latencySpells ?? [];
  const random = mulberry32((seed ^ JITTER_STREAM) >>> 0);
  return (profiles) => {
    const extra = jitter > 0 ? Math.floor(random() * (jitter + 1)) : 0;
    const slow = spells.length > 0 ? spellExtraPerProfile(spells, elapsedMs()) : 0;
    return Math.round(fixed + (perProfile + slow) * profiles + extra);
  };
}
