import { describe, expect, it } from "vitest";
import { AimdLimit } from "../../src/send/concurrency-limit.js";

describe("AimdLimit", () => {
  it("starts at its ceiling and never grows past it", () => {
    const limit = new AimdLimit({ max: 64 });
    expect(limit.limit).toBe(64);
    for (let i = 0; i < 100; i++) limit.onHealthy(64);
    expect(limit.limit).toBe(64);
  });

  it("cuts to 0.8 of what was in flight on an overload, at most once per round of requests", () => {
    const limit = new AimdLimit({ max: 64 });
    // Seven in flight against a server that runs six: the seventh is refused.
    expect(limit.onOverload(100, 7, 110)).toBe(true);
    expect(limit.limit).toBe(5);
    // Requests that started before that cut fail too: the same bad moment, not a new signal.
    expect(limit.onOverload(90, 5, 120)).toBe(false);
    expect(limit.onOverload(105, 5, 121)).toBe(false);
    expect(limit.limit).toBe(5);
    // A request started after the cut that is refused again: a new signal.
    expect(limit.onOverload(115, 5, 130)).toBe(true);
    expect(limit.limit).toBe(4);
    expect(limit.decreases).toBe(2);
  });

  it("grows back by one per round trip of healthy answers, only while the limit is what binds", () => {
    const limit = new AimdLimit({ max: 64, initial: 5 });
    // Answers from a sender held back by the rate (2 in flight of 5) do not inflate the limit.
    for (let i = 0; i < 50; i++) limit.onHealthy(2);
    expect(limit.limit).toBe(5);
    // Five answers with the limit full: +1.
    for (let i = 0; i < 5; i++) limit.onHealthy(5);
    expect(limit.limit).toBe(6);
    for (let i = 0; i < 6; i++) limit.onHealthy(6);
    expect(limit.limit).toBe(7);
  });

  it("climbs back fast to just below the last refusal, then probes past it four times slower", () => {
    const limit = new AimdLimit({ max: 64 });
    limit.onOverload(0, 10, 1); // refused with 10 in flight: 8
    expect(limit.limit).toBe(8);
    for (let i = 0; i < 8; i++) limit.onHealthy(8);
    expect(limit.limit).toBe(9); // one round trip
    for (let i = 0; i < 9 * 3; i++) limit.onHealthy(9);
    expect(limit.limit).toBe(9); // three round trips are not enough near the old ceiling
    for (let i = 0; i < 9; i++) limit.onHealthy(9);
    expect(limit.limit).toBe(10);
  });

  it("never goes below its floor", () => {
    const limit = new AimdLimit({ max: 10, min: 1 });
    for (let t = 0; t < 20; t++) limit.onOverload(t * 10, 1, t * 10 + 5);
    expect(limit.limit).toBe(1);
  });

  it.each([3, 6, 12, 30])(
    "settles near a server's real capacity of %i: ~N in flight, few refusals",
    (capacity) => {
      // A server that runs `capacity` batches at once and refuses the rest at once; a batch takes 100 ticks,
      // and the pacer would allow a start every tick (the rate alone would keep 100 in flight).
      const latency = 100;
      const limit = new AimdLimit({ max: 64 });
      const running: Array<{ endsAt: number; inflightAtStart: number }> = [];
      let accepted = 0;
      let refused = 0;
      let busyTicks = 0;
      for (let t = 0; t < 20_000; t++) {
        for (const done of running.filter((r) => r.endsAt === t)) limit.onHealthy(done.inflightAtStart);
        running.splice(0, running.length, ...running.filter((r) => r.endsAt > t));
        if (running.length < limit.limit) {
          if (running.length >= capacity) {
            refused++;
            limit.onOverload(t, running.length + 1, t + 0.5);
          } else {
            accepted++;
            running.push({ endsAt: t + latency, inflightAtStart: running.length + 1 });
          }
        }
        busyTicks += running.length;
      }
      const meanInFlight = busyTicks / 20_000;
      expect(meanInFlight).toBeGreaterThan(0.9 * capacity);
      expect(meanInFlight).toBeLessThanOrEqual(capacity);
      expect(refused / (accepted + refused)).toBeLessThan(0.1);
    },
  );
});
