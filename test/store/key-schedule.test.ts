import { describe, expect, it } from "vitest";
import { type KeyRateRow, takeSlot, throttleRow } from "../../src/store/key-schedule.js";
import type { SlotRequest } from "../../src/store/types.js";

const ASK: SlotRequest = {
  keyId: "k",
  targetPerMinute: 600,
  floorPerMinute: 60,
  recoveryPerMinute: 6,
  healthy: 0,
  minGapMs: 0,
};

/** Takes `n` slots asked at the times given, as several runs would, and returns the slots. */
function slots(askedAt: number[], request = ASK): number[] {
  let row: KeyRateRow | undefined;
  return askedAt.map((now) => {
    const taken = takeSlot(row, request, now);
    row = taken.row;
    return taken.slot;
  });
}

describe("the key's shared schedule (GCRA)", () => {
  it("gives runs asking at once consecutive slots one gap apart", () => {
    expect(slots([1000, 1000, 1000, 1000])).toEqual([1000, 1100, 1200, 1300]);
  });

  it("keeps a late start on the grid instead of stretching every later gap", () => {
    // Asked 40 ms after its slot: taken as planned, so the next one is still due at 1200.
    expect(slots([1000, 1140, 1150])).toEqual([1000, 1100, 1200]);
  });

  it("never lets any window hold more starts than the rate, however the asks are timed", () => {
    const asks: number[] = [];
    for (let t = 0, i = 0; i < 500; i++) {
      t += [0, 3, 50, 97, 160, 0, 0, 240][i % 8]!;
      asks.push(t);
    }
    const taken = slots(asks).sort((a, b) => a - b);
    // 600/min: at most 10 starts in any 1 s, plus the fencepost of a window that opens on a start.
    for (let i = 0; i + 11 < taken.length; i++)
      expect(taken[i + 11]! - taken[i]!).toBeGreaterThanOrEqual(1000);
  });

  it("restarts from now after an idle spell rather than letting a burst catch up", () => {
    expect(slots([0, 5000, 5000])).toEqual([0, 5000, 5100]);
  });

  it("holds every start until a Retry-After has passed", () => {
    const first = takeSlot(undefined, ASK, 0);
    const paused = throttleRow(
      first.row,
      { keyId: "k", startedAt: 0, retryAfterMs: 3000, decreaseRatio: 0.7, floorPerMinute: 60 },
      50,
    );
    expect(takeSlot(paused, ASK, 100).slot).toBe(3050);
  });

  it("drops the shared rate once per round of requests, never below the floor, and recovers with healthy answers", () => {
    let row = takeSlot(undefined, ASK, 0).row;
    const throttle = (startedAt: number, now: number) =>
      throttleRow(row, { keyId: "k", startedAt, decreaseRatio: 0.5, floorPerMinute: 60 }, now);
    row = throttle(0, 100);
    expect(row.rate).toBe(300);
    // A request started before that drop was of the same round: no second cut.
    row = throttle(50, 120);
    expect(row.rate).toBe(300);
    row = throttle(150, 400);
    expect(row.rate).toBe(150);
    for (let i = 0; i < 5; i++) row = throttle(1000 + i * 1000, 1000 + i * 1000 + 10);
    expect(row.rate).toBe(60);
    const healthy = takeSlot(row, { ...ASK, healthy: 10 }, 10_000);
    expect(healthy.row.rate).toBe(120);
    expect(healthy.gapMs).toBe(500);
    // Never above what the asking run was told the key allows.
    expect(takeSlot(healthy.row, { ...ASK, healthy: 1000 }, 20_000).row.rate).toBe(600);
  });

  it("spaces starts by --delay when it is longer than the rate's gap", () => {
    expect(slots([0, 0, 0], { ...ASK, minGapMs: 250 })).toEqual([0, 250, 500]);
  });
});
