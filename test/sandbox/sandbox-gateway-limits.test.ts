import { describe, expect, it } from "vitest";
import { manualClock } from "../helpers/wait.js";
import { get, people, post, useSandboxes } from "./sandbox-test-helpers.js";

const start = useSandboxes();

describe("gateway mode: token bucket", () => {
  it("lets a burst through, then refills at the steady rate; 429 Too Many Requests has no Retry-After", async () => {
    // 5 per second: one token per 200 ms, on top of a burst of 2. On the sandbox's clock, advanced by the test.
    const clock = manualClock();
    const sandbox = await start({ gateway: { burst: 2 }, rateLimit: 5, rateWindowMs: 1000, now: clock.now });
    const key = sandbox.keys.enterprise;
    const burst = await Promise.all([0, 1, 2].map(() => get(sandbox, "/health", key)));
    expect(burst.map((reply) => reply.status).sort()).toEqual([200, 200, 429]);
    const refused = burst.find((reply) => reply.status === 429);
    expect(refused?.body).toEqual({ message: "Too Many Requests" });
    expect(refused?.headers.get("retry-after")).toBeNull();
    expect((await get(sandbox, "/health", sandbox.keys.business)).status).toBe(200);

    clock.advance(200);
    expect((await post(sandbox, "/crm_basico_batch", key, { profiles: people(1) })).status).toBe(200);
    expect((await get(sandbox, "/creditos", key)).status).toBe(429);
    clock.advance(200);
    expect((await get(sandbox, "/creditos", key)).status).toBe(200);
    expect(sandbox.stats().rateLimited).toBe(2);
  });

  it("refills no further than the burst", async () => {
    const clock = manualClock();
    const sandbox = await start({ gateway: { burst: 2 }, rateLimit: 5, rateWindowMs: 1000, now: clock.now });
    const key = sandbox.keys.enterprise;
    clock.advance(10_000);
    const replies = await Promise.all([0, 1, 2, 3].map(() => get(sandbox, "/health", key)));
    expect(replies.filter((reply) => reply.status === 429)).toHaveLength(2);
  });

  it("gives the token and the quota back on an injected 429, which has no Retry-After either", async () => {
    const sandbox = await start({ gateway: { burst: 1, quota: 5 }, rateLimit: 1, faults: { error429: 1 } });
    const key = sandbox.keys.enterprise;
    for (let i = 0; i < 3; i++) {
      const reply = await post(sandbox, "/crm_basico", key, people(1)[0]);
      expect(reply).toMatchObject({ status: 429, body: { message: "Too Many Requests" } });
      expect(reply.headers.get("retry-after")).toBeNull();
    }
    expect(sandbox.quotaUsed(key)).toBe(0);
    expect(sandbox.stats()).toMatchObject({ rateLimited: 0, faultsInjected: { error429: 3 } });
  });
});

describe("gateway mode: quota", () => {
  it("counts every admitted request, then answers 429 Limit Exceeded; /creditos shows requisicoes_utilizadas", async () => {
    const sandbox = await start({ gateway: { quota: 4 }, credits: 50 });
    const key = sandbox.keys.enterprise;
    expect((await get(sandbox, "/creditos", key)).body).toEqual({
      creditos_restantes: 50,
      creditos_utilizados: 0,
      cota_mensal: 4,
      tipo_plano: "enterprise_crm",
      requisicoes_utilizadas: 1,
    });
    expect((await post(sandbox, "/crm_basico_batch", key, { profiles: people(10) })).status).toBe(200);
    expect((await get(sandbox, "/health", key)).status).toBe(200);
    expect((await get(sandbox, "/creditos", key)).body).toMatchObject({
      requisicoes_utilizadas: 4,
      creditos_utilizados: 10,
    });
    for (const path of ["/health", "/creditos"]) {
      const refused = await get(sandbox, path, key);
      expect(refused).toMatchObject({ status: 429, body: { message: "Limit Exceeded" } });
      expect(refused.headers.get("retry-after")).toBeNull();
    }
    const batch = await post(sandbox, "/crm_basico_batch", key, { profiles: people(2) });
    expect(batch).toMatchObject({ status: 429, body: { message: "Limit Exceeded" } });
    expect(sandbox.balance(key)).toBe(40);
    expect(sandbox.quotaUsed(key)).toBe(4);
    expect(sandbox.stats()).toMatchObject({ quotaRefused: 3, rateLimited: 0 });
    expect((await get(sandbox, "/health", sandbox.keys.business)).status).toBe(200);

    sandbox.setQuota(key, 6);
    expect((await get(sandbox, "/creditos", key)).body).toMatchObject({
      cota_mensal: 6,
      requisicoes_utilizadas: 5,
    });
  });

  it("defaults to the plan's monthly quota, and does not count throttled requests", async () => {
    const sandbox = await start({ gateway: { burst: 1 }, rateLimit: 1, rateWindowMs: 60_000 });
    const key = sandbox.keys.essentials;
    expect((await get(sandbox, "/creditos", key)).body).toMatchObject({
      cota_mensal: 100,
      requisicoes_utilizadas: 1,
    });
    expect((await get(sandbox, "/health", key)).status).toBe(429);
    expect(sandbox.quotaUsed(key)).toBe(1);
    sandbox.setQuota(key, 0);
    expect(sandbox.quotaUsed(key)).toBe(1);
  });

  it("is not enforced, nor reported, with gateway mode off", async () => {
    const sandbox = await start();
    const key = sandbox.keys.essentials;
    sandbox.setQuota(key, 0);
    const reply = await get(sandbox, "/creditos", key);
    expect(reply.status).toBe(200);
    expect(reply.body).not.toHaveProperty("requisicoes_utilizadas");
    expect(sandbox.quotaUsed(key)).toBe(0);
    expect(() => sandbox.quotaUsed("unknown")).toThrow();
  });
});
