import { describe, expect, it } from "vitest";
import { until } from "../helpers/wait.js";
import { people, post, useSandboxes } from "./sandbox-test-helpers.js";

const start = useSandboxes();

async function timed<T>(work: Promise<T>): Promise<T & { ms: number }> {
  const started = performance.now();
  const value = await work;
  return { ...value, ms: performance.now() - started };
}

describe("maxConcurrentBatches", () => {
  it("answers 503 at once, uncharged, to batches beyond the cap (N+2 at once: exactly 2 refused)", async () => {
    const sandbox = await start({ credits: 100, latencyMs: 400, maxConcurrentBatches: 3 });
    const key = sandbox.keys.enterprise;
    const replies = await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        timed(post(sandbox, i % 2 ? "/crm_batch" : "/crm_basico_batch", key, { profiles: people(2) })),
      ),
    );
    const refused = replies.filter((reply) => reply.status === 503);
    expect(refused).toHaveLength(2);
    expect(replies.filter((reply) => reply.status === 200)).toHaveLength(3);
    for (const reply of refused) {
      expect(reply.body).toEqual({ error: "Service unavailable", message: expect.any(String) });
      expect(reply.ms).toBeLessThan(300);
    }
    const charged = replies
      .filter((reply) => reply.status === 200)
      .reduce(
        (sum, reply) =>
          sum + ((reply.body.billing_info as { creditos_utilizados: number }).creditos_utilizados ?? 0),
        0,
      );
    expect(sandbox.balance(key)).toBe(100 - charged);
    expect(sandbox.stats()).toMatchObject({
      refusedOverCapacity: 2,
      peakBatchConcurrency: 3,
      creditsDebited: charged,
      profilesReceived: 6,
    });
    expect(sandbox.stats().batchSizes).toHaveLength(3);
    expect((await post(sandbox, "/crm_basico_batch", key, { profiles: people(1) })).status).toBe(200);
  });

  it("does not cap single requests, and frees a slot when a batch ends", async () => {
    const sandbox = await start({ latencyMs: 150, maxConcurrentBatches: 1 });
    const key = sandbox.keys.enterprise;
    const first = post(sandbox, "/crm_basico_batch", key, { profiles: people(1) });
    await until(() => sandbox.stats().peakBatchConcurrency >= 1, 5000, "the batch to arrive");
    const [single, second] = await Promise.all([
      post(sandbox, "/crm_basico", key, people(1)[0]),
      post(sandbox, "/crm_basico_batch", key, { profiles: people(1) }),
    ]);
    expect(single.status).toBe(200);
    expect(second.status).toBe(503);
    expect((await first).status).toBe(200);
    expect((await post(sandbox, "/crm_basico_batch", key, { profiles: people(1) })).status).toBe(200);
    expect(sandbox.stats()).toMatchObject({ refusedOverCapacity: 1, peakBatchConcurrency: 1 });
  });

  it("answers API Gateway's 503 body in gateway mode", async () => {
    const sandbox = await start({ latencyMs: 150, maxConcurrentBatches: 1, gateway: true });
    const key = sandbox.keys.enterprise;
    const replies = await Promise.all(
      [0, 1].map(() => post(sandbox, "/crm_basico_batch", key, { profiles: people(1) })),
    );
    expect(replies.map((reply) => reply.status).sort()).toEqual([200, 503]);
    expect(replies.find((reply) => reply.status === 503)?.body).toEqual({ message: "Service Unavailable" });
  });

  it("counts peak batch concurrency apart from peakConcurrency, unlimited by default", async () => {
    const sandbox = await start({ latencyMs: 100 });
    const key = sandbox.keys.enterprise;
    await Promise.all([
      post(sandbox, "/crm_basico_batch", key, { profiles: people(1) }),
      post(sandbox, "/crm_batch", key, { profiles: people(1) }),
      post(sandbox, "/crm_basico", key, people(1)[0]),
    ]);
    expect(sandbox.stats()).toMatchObject({
      peakConcurrency: 3,
      peakBatchConcurrency: 2,
      refusedOverCapacity: 0,
    });
  });
});
