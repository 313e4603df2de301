/**
 * The suite's one way to wait. Tests wait for an event (`until` a condition holds), or advance a
 * `manualClock` handed to the code under test; `elapse` is for the few waits on a clock that cannot be
 * injected (a PostgreSQL server's own now()).
 */

/** Resolves once `check` holds, polling every 5 ms; rejects after `timeoutMs` naming `what`. */
export async function until(check: () => boolean, timeoutMs = 20_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await elapse(5);
  }
}

/** Real time passing: only for clocks outside the process. */
export function elapse(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A clock that moves only when told to. */
export function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}
