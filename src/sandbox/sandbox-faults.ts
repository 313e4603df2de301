import type { SandboxFaults } from "./sandbox-types.js";

export type FaultKind = "error500" | "error429" | "drop" | "malformed" | "error502" | "error503";

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1); good enough to reproduce fault runs. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// New kinds go at the end: the bands of the earlier ones, and so the runs of existing seeds, stay put.
const ORDER: readonly FaultKind[] = ["error500", "error429", "drop", "malformed", "error502", "error503"];

/**
 * Decides the fault of each paid request with exactly one draw, so a seed reproduces a run whatever
 * the probabilities. The draw falls into consecutive bands [0, p500), [p500, p500 + p429), ...; when the
 * probabilities add up to more than 1 the earlier kinds win.
 */
export function createFaultPicker(
  faults: SandboxFaults | undefined,
  seed: number,
): () => FaultKind | undefined {
  const random = mulberry32(seed);
  const enabled = ORDER.some((kind) => (faults?.[kind] ?? 0) > 0);
  return () => {
    if (!enabled) return undefined;
    const draw = random();
    let edge = 0;
    for (const kind of ORDER) {
      edge += faults?.[kind] ?? 0;
      if (draw < edge) return kind;
    }
    return undefined;
  };
}
