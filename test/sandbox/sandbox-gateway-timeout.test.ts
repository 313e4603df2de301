import { describe, expect, it } from "vitest";
import { resolveGateway } from "../../src/sandbox/sandbox-gateway.js";
import { elapse, until } from "../helpers/wait.js";
import { people, post, postRaw, useSandboxes } from "./sandbox-test-helpers.js";

const start = useSandboxes();

describe("gateway mode: integration timeout", () => {
  it("answers 504 at the timeout and charges when the work completes in the background", async () => {
    const lines: string[] = [];
    const sandbox = await start({
      gateway: { integrationTimeoutMs: 100 },
      latencyMs: 400,
      credits: 20,
      log: (line) => lines.push(line),
    });
    const key = sandbox.keys.enterprise;
    const started = performance.now();
    const reply = await post(sandbox, "/crm_batch", key, { profiles: people(3) });
    const elapsed = performance.now() - started;
    expect(reply).toMatchObject({ status: 504, body: { message: "Endpoint request timed out" } });
    expect(Object.keys(reply.body)).toEqual(["message"]);
    expect(elapsed).toBeGreaterThanOrEqual(99);
    expect(elapsed).toBeLessThan(350);
    expect(sandbox.balance(key)).toBe(20);
    expect(sandbox.stats()).toMatchObject({ gatewayTimeouts: 1, creditsDebited: 0, statuses: { "504": 1 } });
    expect(sandbox.stats().failedRequestIds).toEqual([reply.headers.get("x-amzn-RequestId")]);

    await expect.poll(() => sandbox.balance(key), { timeout: 1000, interval: 20 }).toBe(14);
    expect(performance.now() - started).toBeGreaterThanOrEqual(399);
    expect(sandbox.stats()).toMatchObject({
      gatewayTimeouts: 1,
      creditsDebited: 6,
      profilesSucceeded: 3,
      completeProfilesSucceeded: 3,
      batchSizes: [3],
    });
    expect(lines).toEqual([
      expect.stringMatching(/^POST \/crm_batch 504 \d+ms$/),
      expect.stringMatching(/^POST \/crm_batch 200 after the 504 \d+ms$/),
    ]);
  });

  it("answers in time when the processing fits under the timeout", async () => {
    const sandbox = await start({ gateway: { integrationTimeoutMs: 200 }, latencyMs: 50, credits: 5 });
    const reply = await post(sandbox, "/crm_basico", sandbox.keys.enterprise, people(1)[0]);
    expect(reply.status).toBe(200);
    expect(sandbox.stats().gatewayTimeouts).toBe(0);
  });

  it("has no timeout with gateway mode off", async () => {
    const sandbox = await start({ latencyMs: 150 });
    expect((await post(sandbox, "/crm_basico", sandbox.keys.enterprise, people(1)[0])).status).toBe(200);
  });

  it("keeps the batch slot taken while the work goes on", async () => {
    const sandbox = await start({
      gateway: { integrationTimeoutMs: 50 },
      latencyMs: 250,
      maxConcurrentBatches: 1,
    });
    const key = sandbox.keys.enterprise;
    expect((await post(sandbox, "/crm_basico_batch", key, { profiles: people(1) })).status).toBe(504);
    expect((await post(sandbox, "/crm_basico_batch", key, { profiles: people(1) })).status).toBe(503);
    // The work behind the 504 goes on for its real latency (latency is never on the injected clock).
    await elapse(250);
    expect((await post(sandbox, "/crm_basico_batch", key, { profiles: people(1) })).status).toBe(504);
    expect(sandbox.stats()).toMatchObject({ refusedOverCapacity: 1, peakBatchConcurrency: 1 });
  });

  it("close cancels the background work cleanly, uncharged", async () => {
    const lines: string[] = [];
    const sandbox = await start({
      gateway: { integrationTimeoutMs: 50 },
      latencyMs: 30_000,
      credits: 10,
      log: (line) => lines.push(line),
    });
    const key = sandbox.keys.enterprise;
    expect((await post(sandbox, "/crm_basico_batch", key, { profiles: people(2) })).status).toBe(504);
    const pending = postRaw(sandbox, "/crm_basico_batch", key, { profiles: people(2) });
    await until(
      () => (sandbox.stats().requests["POST /crm_basico_batch"] ?? 0) >= 2,
      5000,
      "the batch to arrive",
    );
    const started = performance.now();
    await sandbox.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(pending).rejects.toThrow();
    expect(sandbox.balance(key)).toBe(10);
    await until(() => lines.some((line) => line.includes("abandoned")), 5000, "the abandoned line");
    expect(lines).toContainEqual(
      expect.stringMatching(/^POST \/crm_basico_batch abandoned after the 504 \d+ms$/),
    );
  });
});

describe("resolveGateway", () => {
  it("applies the defaults", () => {
    expect(resolveGateway(undefined)).toBeUndefined();
    expect(resolveGateway(false)).toBeUndefined();
    expect(resolveGateway(true)).toEqual({
      stage: undefined,
      burst: 10,
      quota: undefined,
      integrationTimeoutMs: 29_000,
    });
    expect(resolveGateway({ stage: "prod", burst: 3, quota: 7, integrationTimeoutMs: 5 })).toEqual({
      stage: "/prod",
      burst: 3,
      quota: 7,
      integrationTimeoutMs: 5,
    });
  });
});
