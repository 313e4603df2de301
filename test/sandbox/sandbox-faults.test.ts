import { describe, expect, it } from "vitest";
import { get, people, post, postRaw, useSandboxes } from "./sandbox-test-helpers.js";

const start = useSandboxes();
const batch = { profiles: people(3) };

describe("fault injection", () => {
  it("error500 answers 500 and charges nothing", async () => {
    const sandbox = await start({ credits: 10, faults: { error500: 1 } });
    const key = sandbox.keys.enterprise;
    const reply = await post(sandbox, "/crm_basico_batch", key, batch);
    expect(reply).toMatchObject({ status: 500, body: { error: "Internal server error" } });
    expect(sandbox.balance(key)).toBe(10);
    expect((await get(sandbox, "/creditos", key)).status).toBe(200);
    expect(sandbox.stats().faultsInjected).toEqual({
      error500: 1,
      error429: 0,
      drop: 0,
      malformed: 0,
      error502: 0,
      error503: 0,
    });
  });

  it("error429 answers an injected 429 with Retry-After 1 that uses no rate-limit slot", async () => {
    const sandbox = await start({ credits: 10, rateLimit: 2, faults: { error429: 1 } });
    const key = sandbox.keys.enterprise;
    for (let i = 0; i < 3; i++) {
      const reply = await post(sandbox, "/crm", key, people(1)[0]);
      expect(reply).toMatchObject({ status: 429, body: { error: "Rate limit exceeded" } });
      expect(reply.headers.get("retry-after")).toBe("1");
    }
    expect(sandbox.balance(key)).toBe(10);
    expect(sandbox.stats()).toMatchObject({ rateLimited: 0, faultsInjected: { error429: 3 } });
  });

  it("drop charges, then closes the socket without an answer", async () => {
    const sandbox = await start({ credits: 10, faults: { drop: 1 } });
    const key = sandbox.keys.enterprise;
    await expect(postRaw(sandbox, "/crm_basico_batch", key, batch)).rejects.toThrow();
    expect(sandbox.balance(key)).toBe(7);
    expect(sandbox.stats()).toMatchObject({
      creditsDebited: 3,
      profilesSucceeded: 3,
      faultsInjected: { drop: 1 },
    });
    expect(sandbox.stats().statuses).toEqual({});
  });

  it("malformed charges, then answers 200 with truncated JSON", async () => {
    const sandbox = await start({ credits: 10, faults: { malformed: 1 } });
    const key = sandbox.keys.enterprise;
    const response = await postRaw(sandbox, "/crm_basico_batch", key, batch);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.startsWith('{"success":true')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
    expect(sandbox.balance(key)).toBe(7);
    expect(sandbox.stats().faultsInjected.malformed).toBe(1);
  });

  it("error502 processes and charges, then answers the gateway's 502 (the in-doubt case)", async () => {
    for (const gateway of [false, true]) {
      const sandbox = await start({ credits: 10, gateway, faults: { error502: 1 } });
      const key = sandbox.keys.enterprise;
      const reply = await post(sandbox, "/crm_batch", key, batch);
      expect(reply).toMatchObject({ status: 502, body: { message: "Internal server error" } });
      expect(Object.keys(reply.body)).toEqual(["message"]);
      expect(sandbox.balance(key)).toBe(4);
      expect(sandbox.stats()).toMatchObject({
        creditsDebited: 6,
        profilesSucceeded: 3,
        faultsInjected: { error502: 1 },
      });
    }
  });

  it("error503 answers 503 and charges nothing, in the shape of the mode", async () => {
    const docs = await start({ credits: 10, faults: { error503: 1 } });
    const reply = await post(docs, "/crm_basico_batch", docs.keys.enterprise, batch);
    expect(reply).toMatchObject({
      status: 503,
      body: { error: "Service unavailable", message: expect.any(String) },
    });
    expect(docs.balance(docs.keys.enterprise)).toBe(10);
    expect(docs.stats()).toMatchObject({ profilesReceived: 0, faultsInjected: { error503: 1 } });
    const gateway = await start({ credits: 10, gateway: true, faults: { error503: 1 } });
    const gatewayReply = await post(gateway, "/crm_basico", gateway.keys.enterprise, people(1)[0]);
    expect(gatewayReply).toMatchObject({ status: 503, body: { message: "Service Unavailable" } });
    expect(gateway.balance(gateway.keys.enterprise)).toBe(10);
  });

  it("leaves utility endpoints and unauthenticated requests alone", async () => {
    const sandbox = await start({ faults: { error500: 1 } });
    expect((await get(sandbox, "/creditos", sandbox.keys.enterprise)).status).toBe(200);
    expect((await post(sandbox, "/crm_basico", undefined, people(1)[0])).status).toBe(401);
    expect(sandbox.stats().faultsInjected.error500).toBe(0);
  });

  it("reproduces the same fault sequence for the same seed", async () => {
    const run = async (seed: number) => {
      const sandbox = await start({ seed, faults: { error500: 0.5 } });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) {
        statuses.push((await post(sandbox, "/crm_basico", sandbox.keys.enterprise, people(1)[0])).status);
      }
      return statuses;
    };
    const first = await run(7);
    expect(await run(7)).toEqual(first);
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await run(8)).not.toEqual(first);
  });
});
