import { describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/index.js";
import { until } from "../helpers/wait.js";
import { get, people, person, post, postRaw, useSandboxes } from "./sandbox-test-helpers.js";

const start = useSandboxes();

describe("stats", () => {
  it("count requests, statuses, profiles, credits and batch sizes", async () => {
    const sandbox = await start({ credits: 100 });
    const key = sandbox.keys.enterprise;
    await get(sandbox, "/health", key);
    await get(sandbox, "/health");
    await post(sandbox, "/crm_basico_batch", key, { profiles: [...people(3), person("X", "Y", "fantasma")] });
    await post(sandbox, "/crm_basico_batch", key, { profiles: people(12) });
    await post(sandbox, "/crm_basico", key, people(1)[0]);
    await get(sandbox, "/nowhere", key);
    expect(sandbox.stats()).toEqual({
      requests: {
        "GET /health": 2,
        "POST /crm_basico_batch": 2,
        "POST /crm_basico": 1,
        "GET /nowhere": 1,
      },
      statuses: { "200": 3, "401": 1, "400": 1, "404": 1 },
      profilesReceived: 5,
      profilesSucceeded: 4,
      completeProfilesSucceeded: 0,
      creditsDebited: 4,
      rateLimited: 0,
      quotaRefused: 0,
      refusedOverCapacity: 0,
      gatewayTimeouts: 0,
      faultsInjected: { error500: 0, error429: 0, drop: 0, malformed: 0, error502: 0, error503: 0 },
      batchSizes: [4, 12],
      completeBatchSizes: [],
      peakConcurrency: 1,
      peakBatchConcurrency: 1,
      failedRequestIds: [],
    });
  });

  it("are served over HTTP without a key, and reset both ways", async () => {
    const sandbox = await start();
    await post(sandbox, "/crm_basico_batch", sandbox.keys.business, { profiles: people(2) });
    const stats = await get(sandbox, "/__sandbox/stats");
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ batchSizes: [2], requests: { "POST /crm_basico_batch": 1 } });
    expect((await postRaw(sandbox, "/__sandbox/reset", undefined, "")).status).toBe(200);
    expect(sandbox.stats()).toMatchObject({ requests: {}, batchSizes: [], profilesReceived: 0 });
    await get(sandbox, "/health", sandbox.keys.business);
    sandbox.resetStats();
    expect(sandbox.stats().requests).toEqual({});
  });

  it("track peak concurrency", async () => {
    const sandbox = await start({ latencyMs: 80 });
    const key = sandbox.keys.enterprise;
    await Promise.all([0, 1, 2, 3].map((i) => post(sandbox, "/crm_basico", key, people(4)[i])));
    expect(sandbox.stats().peakConcurrency).toBe(4);
  });
});

describe("latency", () => {
  it("delays paid answers by latencyMs plus latencyPerProfileMs per profile", async () => {
    const sandbox = await start({ latencyMs: 60, latencyPerProfileMs: 20 });
    const key = sandbox.keys.enterprise;
    let started = performance.now();
    const reply = await post(sandbox, "/crm_basico_batch", key, { profiles: people(3) });
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    expect(
      (reply.body.batch_summary as { processing_time_ms: number }).processing_time_ms,
    ).toBeGreaterThanOrEqual(115);
    started = performance.now();
    await post(sandbox, "/crm_basico", key, people(1)[0]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
  });
});

describe("close", () => {
  it("finishes promptly with a slow request pending, which is abandoned uncharged", async () => {
    const sandbox = await startSandbox({ latencyMs: 30_000, credits: 10 });
    const key = sandbox.keys.enterprise;
    const pending = postRaw(sandbox, "/crm_basico_batch", key, { profiles: people(2) });
    await until(() => sandbox.stats().peakBatchConcurrency >= 1, 5000, "the batch to arrive");
    const started = performance.now();
    await sandbox.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(pending).rejects.toThrow();
    expect(sandbox.balance(key)).toBe(10);
  });

  it("closes idle keep-alive connections too", async () => {
    const sandbox = await startSandbox();
    await get(sandbox, "/health", sandbox.keys.enterprise);
    const started = performance.now();
    await sandbox.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(fetch(`${sandbox.url}/health`)).rejects.toThrow();
  });
});

describe("robustness", () => {
  it("refuses an oversized body with 413 JSON and keeps serving", async () => {
    const sandbox = await start();
    const key = sandbox.keys.enterprise;
    const huge = { profiles: [{ ...people(1)[0], contexto_adicional: "x".repeat(2 * 1024 * 1024) }] };
    expect(await post(sandbox, "/crm_basico_batch", key, huge)).toMatchObject({
      status: 413,
      body: { error: "Payload too large" },
    });
    expect((await post(sandbox, "/crm_basico_batch", key, { profiles: people(1) })).status).toBe(200);
  });
});

describe("log", () => {
  it("writes one line per request", async () => {
    const lines: string[] = [];
    const sandbox = await start({ log: (line) => lines.push(line) });
    await get(sandbox, "/health", sandbox.keys.enterprise);
    await get(sandbox, "/creditos");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^GET \/health 200 \d+ms$/);
    expect(lines[1]).toMatch(/^GET \/creditos 401 \d+ms$/);
  });
});
