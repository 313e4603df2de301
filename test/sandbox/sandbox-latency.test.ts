import { describe, expect, it } from "vitest";
import { createLatencyPicker, spellExtraPerProfile } from "../../src/sandbox/sandbox-latency.js";
import { people, post, useSandboxes } from "./sandbox-test-helpers.js";

const start = useSandboxes();

describe("createLatencyPicker", () => {
  it("adds a uniform integer jitter within [0, latencyJitterMs], reproducible per seed", () => {
    const draw = (seed: number) => {
      const pick = createLatencyPicker({ latencyMs: 16_000, latencyJitterMs: 3_000 }, seed);
      return Array.from({ length: 2000 }, () => pick(10));
    };
    const first = draw(3);
    expect(draw(3)).toEqual(first);
    expect(draw(4)).not.toEqual(first);
    expect(first.every((ms) => Number.isInteger(ms) && ms >= 16_000 && ms <= 19_000)).toBe(true);
    expect(Math.min(...first)).toBeLessThan(16_100);
    expect(Math.max(...first)).toBeGreaterThan(18_900);
  });

  it("models 15-20 s for 10 profiles and 8-10 s for 5 with a per-profile part", () => {
    const pick = createLatencyPicker({ latencyMs: 5_000, latencyPerProfileMs: 1_000, latencyJitterMs: 0 }, 1);
    expect(pick(10)).toBe(15_000);
    const jittered = createLatencyPicker(
      { latencyMs: 3_000, latencyPerProfileMs: 1_000, latencyJitterMs: 2_000 },
      1,
    );
    for (let i = 0; i < 200; i++) {
      const ms = jittered(5);
      expect(ms).toBeGreaterThanOrEqual(8_000);
      expect(ms).toBeLessThanOrEqual(10_000);
    }
  });

  it("is exactly the fixed latency without jitter", () => {
    const pick = createLatencyPicker({ latencyMs: 40, latencyPerProfileMs: 5 }, 9);
    expect([pick(1), pick(3), pick(0)]).toEqual([45, 55, 40]);
  });
});

describe("latency jitter", () => {
  it("delays each paid request by the seeded draw, leaving the fault sequence unchanged", async () => {
    const options = { latencyMs: 20, latencyJitterMs: 120, seed: 5 };
    const pick = createLatencyPicker(options, 5);
    const expected = people(6).map(() => pick(1));
    // Without jitter this test must fail: at least one draw is well above the fixed part.
    expect(Math.max(...expected)).toBeGreaterThan(80);

    const run = async (jitter: boolean) => {
      const sandbox = await start({
        ...options,
        ...(jitter ? {} : { latencyJitterMs: 0 }),
        faults: { error500: 0.5 },
      });
      const statuses: number[] = [];
      const elapsed: number[] = [];
      for (const profile of people(6)) {
        const started = performance.now();
        statuses.push((await post(sandbox, "/crm_basico", sandbox.keys.enterprise, profile)).status);
        elapsed.push(performance.now() - started);
      }
      return { statuses, elapsed };
    };
    const jittered = await run(true);
    for (const [i, ms] of expected.entries()) expect(jittered.elapsed[i]).toBeGreaterThanOrEqual(ms - 1);
    const plain = await run(false);
    expect(plain.statuses).toEqual(jittered.statuses);
    expect(jittered.statuses).toContain(500);
  });
});

describe("latency spells", () => {
  const ramp = { atMs: 10_000, rampMs: 4_000, holdMs: 2_000, fallMs: 2_000, extraPerProfileMs: 100 };

  it("rises over the ramp, holds, falls back to nothing", () => {
    const at = (ms: number) => spellExtraPerProfile([ramp], ms);
    expect([0, 9_999, 10_000].map(at)).toEqual([0, 0, 0]);
    expect(at(11_000)).toBe(25);
    expect(at(14_000)).toBe(100);
    expect(at(15_999)).toBe(100);
    expect(at(17_000)).toBe(50);
    expect([18_000, 60_000].map(at)).toEqual([0, 0]);
  });

  it("a step has no ramp or fall; two spells add up", () => {
    const step = { atMs: 1_000, holdMs: 500, extraPerProfileMs: 40 };
    expect([999, 1_000, 1_499, 1_500].map((ms) => spellExtraPerProfile([step], ms))).toEqual([0, 40, 40, 0]);
    expect(spellExtraPerProfile([step, { ...step, extraPerProfileMs: 10 }], 1_200)).toBe(50);
  });

  it("slows each profile of a batch, on the clock the picker is given", () => {
    let elapsed = 0;
    const pick = createLatencyPicker(
      {
        latencyMs: 500,
        latencyPerProfileMs: 100,
        latencySpells: [{ atMs: 1_000, holdMs: 1_000, extraPerProfileMs: 50 }],
      },
      1,
      () => elapsed,
    );
    expect([pick(10), pick(5)]).toEqual([1_500, 1_000]);
    elapsed = 1_500;
    // A batch of 5 inside the spell takes what a batch of 10 takes outside it: a smaller batch is a way out.
    expect([pick(10), pick(5)]).toEqual([2_000, 1_250]);
    elapsed = 2_000;
    expect(pick(10)).toBe(1_500);
  });
});
