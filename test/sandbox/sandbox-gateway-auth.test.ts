import { describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/index.js";
import { get, people, person, post, useSandboxes } from "./sandbox-test-helpers.js";

const start = useSandboxes();
const FORBIDDEN = { message: "Forbidden" };
const MISSING_TOKEN = { message: "Missing Authentication Token" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("gateway mode: auth and routing", () => {
  it("answers 403 Forbidden to a missing or unknown key, on every endpoint, uncharged", async () => {
    const sandbox = await start({ gateway: true, credits: 10 });
    for (const path of ["/health", "/creditos", "/tiers-disponiveis"]) {
      expect(await get(sandbox, path)).toEqual(expect.objectContaining({ status: 403, body: FORBIDDEN }));
      expect(await get(sandbox, path, "x".repeat(40))).toMatchObject({ status: 403, body: FORBIDDEN });
    }
    for (const path of ["/crm_basico", "/crm", "/crm_basico_batch", "/crm_batch"]) {
      expect(await post(sandbox, path, undefined, { profiles: people(1) })).toMatchObject({
        status: 403,
        body: FORBIDDEN,
      });
    }
    expect(sandbox.stats().statuses).toEqual({ "403": 10 });
    expect(sandbox.stats().profilesReceived).toBe(0);
  });

  it("answers 403 Missing Authentication Token to unknown paths and methods, key or not", async () => {
    const sandbox = await start({ gateway: true });
    const key = sandbox.keys.enterprise;
    for (const given of [key, undefined]) {
      expect(await get(sandbox, "/nowhere", given)).toMatchObject({ status: 403, body: MISSING_TOKEN });
      expect(await get(sandbox, "/crm_basico", given)).toMatchObject({ status: 403, body: MISSING_TOKEN });
      expect(await post(sandbox, "/health", given, {})).toMatchObject({ status: 403, body: MISSING_TOKEN });
    }
  });

  it("keeps the service's own bodies for what the service answers", async () => {
    const sandbox = await start({ gateway: true, credits: 1 });
    expect(await post(sandbox, "/crm_basico", sandbox.keys.essentials, person("A", "B", "C"))).toMatchObject({
      status: 403,
      body: { error_code: "ACCESS_DENIED" },
    });
    expect(await post(sandbox, "/crm", sandbox.keys.enterprise, person("A", "B", "C"))).toMatchObject({
      status: 402,
      body: { error: "Insufficient credits", credits_per_profile: 2 },
    });
  });

  it("with a stage, serves every route under it only", async () => {
    const sandbox = await start({ gateway: { stage: "/prod" } });
    const key = sandbox.keys.enterprise;
    expect(sandbox.apiUrl).toBe(`${sandbox.url}/prod`);
    expect(await get(sandbox, "/prod/health", key)).toMatchObject({ status: 200, body: { status: "ok" } });
    expect((await post(sandbox, "/prod/crm_basico_batch", key, { profiles: people(2) })).status).toBe(200);
    for (const path of ["/health", "/creditos", "/prod", "/prod/", "/production/health", "/dev/health"]) {
      expect(await get(sandbox, path, key)).toMatchObject({ status: 403, body: MISSING_TOKEN });
    }
    expect(await post(sandbox, "/crm_basico_batch", key, { profiles: people(2) })).toMatchObject({
      status: 403,
      body: MISSING_TOKEN,
    });
    expect(sandbox.balance(key)).toBe(10_000 - 2);
    expect(sandbox.stats().requests).toMatchObject({ "GET /prod/health": 1, "POST /crm_basico_batch": 1 });
  });

  it("without a stage, a client that adds one gets Missing Authentication Token", async () => {
    const sandbox = await start({ gateway: true });
    expect(sandbox.apiUrl).toBe(sandbox.url);
    expect(await get(sandbox, "/prod/health", sandbox.keys.enterprise)).toMatchObject({
      status: 403,
      body: MISSING_TOKEN,
    });
  });

  it("normalises the stage and refuses one that is not a path", async () => {
    const sandbox = await start({ gateway: { stage: "v1/" } });
    expect(sandbox.apiUrl).toBe(`${sandbox.url}/v1`);
    await expect(startSandbox({ gateway: { stage: "/" } })).rejects.toThrow(/gateway.stage/);
    await expect(startSandbox({ gateway: { stage: "/a b" } })).rejects.toThrow(/gateway.stage/);
  });

  it("keeps the docs-shaped 401 and 404 with gateway mode off", async () => {
    const sandbox = await start({ gateway: false });
    expect((await get(sandbox, "/health")).status).toBe(401);
    const reply = await get(sandbox, "/nowhere", sandbox.keys.enterprise);
    expect(reply.status).toBe(404);
    expect(reply.headers.get("x-amzn-requestid")).toBeNull();
  });
});

describe("gateway mode: x-amzn-RequestId", () => {
  it("is a unique UUID on every response; the ids of non-2xx answers are kept in stats", async () => {
    const sandbox = await start({ gateway: true, credits: 0 });
    const key = sandbox.keys.enterprise;
    const replies = [
      await get(sandbox, "/health", key),
      await get(sandbox, "/health"),
      await get(sandbox, "/creditos", key),
      await post(sandbox, "/crm_basico", key, people(1)[0]),
      await get(sandbox, "/nowhere", key),
    ];
    const ids = replies.map((reply) => reply.headers.get("x-amzn-RequestId") ?? "");
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(5);
    expect(replies.map((reply) => reply.status)).toEqual([200, 403, 200, 402, 403]);
    expect(sandbox.stats().failedRequestIds).toEqual([ids[1], ids[3], ids[4]]);
    const stats = await get(sandbox, "/__sandbox/stats");
    expect(stats.headers.get("x-amzn-RequestId")).toMatch(UUID);
  });

  it("keeps the last 100 failed ids", async () => {
    const sandbox = await start({ gateway: true });
    const ids: string[] = [];
    for (let i = 0; i < 105; i++) {
      ids.push((await get(sandbox, "/nowhere")).headers.get("x-amzn-RequestId") ?? "");
    }
    expect(sandbox.stats().failedRequestIds).toEqual(ids.slice(5));
    sandbox.resetStats();
    expect(sandbox.stats().failedRequestIds).toEqual([]);
  });
});
