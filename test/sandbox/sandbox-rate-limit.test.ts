import { describe, expect, it } from "vitest";
import { manualClock } from "../helpers/wait.js";
import { get, people, post, useSandboxes } from "./sandbox-test-helpers.js";

const start = useSandboxes();

describe("rate limit", () => {
  it("answers 429 with Retry-After past the limit, per key, and recovers after the window", async () => {
    const clock = manualClock();
    const sandbox = await start({ rateLimit: 3, rateWindowMs: 1000, now: clock.now });
    const key = sandbox.keys.enterprise;
    expect((await get(sandbox, "/health", key)).status).toBe(200);
    expect((await post(sandbox, "/crm_basico_batch", key, { profiles: people(2) })).status).toBe(200);
    expect((await get(sandbox, "/creditos", key)).status).toBe(200);
    const limited = await post(sandbox, "/crm_basico_batch", key, { profiles: people(2) });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ error: "Rate limit exceeded", message: expect.any(String) });
    expect(limited.headers.get("retry-after")).toBe("1");
    expect((await get(sandbox, "/health", key)).status).toBe(429);
    expect((await get(sandbox, "/health", sandbox.keys.business)).status).toBe(200);

    const stats = sandbox.stats();
    expect(stats.rateLimited).toBe(2);
    expect(stats.statuses["429"]).toBe(2);
    expect(stats.profilesReceived).toBe(2);
    expect(stats.faultsInjected.error429).toBe(0);

    clock.advance(1001);
    expect((await get(sandbox, "/health", key)).status).toBe(200);
  });

  it("reports whole seconds until a slot frees in Retry-After", async () => {
    const sandbox = await start({ rateLimit: 1, rateWindowMs: 60_000 });
    const key = sandbox.keys.essentials;
    await get(sandbox, "/health", key);
    const limited = await get(sandbox, "/creditos", key);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(59);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60);
  });
});
