import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AccessDeniedError,
  AuthenticationError,
  ConnectionError,
  createClient,
  FluenceApiError,
  type FluenceClient,
  InsufficientCreditsError,
  InsufficientDataError,
  MultipleMatchesError,
  NotFoundError,
  ProtocolError,
  RateLimitError,
  ServerError,
  TimeoutError,
} from "../../src/api/index.js";
import type { ProfileInput } from "../../src/api/types.js";
import { type FakeApiServer, json, startFakeApi, TEST_KEY } from "./fake-api-server.js";

const PEOPLE: ProfileInput[] = [
  { primeiro_nome: "Satya", ultimo_nome: "Nadella", empresa: "Microsoft", contexto_adicional: "CEO" },
  { primeiro_nome: "Sundar", ultimo_nome: "Pichai", empresa: "Google", contexto_adicional: "  " },
];

let server: FakeApiServer;
let client: FluenceClient;

beforeEach(async () => {
  server = await startFakeApi();
  client = createClient({ baseUrl: server.baseUrl, apiKey: TEST_KEY, timeoutMs: 2000 });
});

afterEach(async () => {
  await client.close();
  await server.close();
});

async function caught(promise: Promise<unknown>): Promise<FluenceApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FluenceApiError);
    expect((error as Error).message).not.toContain(TEST_KEY);
    return error as FluenceApiError;
  }
  throw new Error("expected the call to fail");
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("requests", () => {
  it("sends X-API-Key, JSON headers and a user agent, never Authorization", async () => {
    server.setHandler(json(200, { results: [] }));
    await client.batch([]);
    const { headers, method, url } = server.requests[0]!;
    expect(method).toBe("POST");
    expect(url).toBe("/crm_basico_batch");
    expect(headers["x-api-key"]).toBe(TEST_KEY);
    expect(headers.authorization).toBeUndefined();
    expect(headers["content-type"]).toBe("application/json");
    expect(headers.accept).toBe("application/json");
    expect(headers["user-agent"]).toMatch(/^fluence\/\d+\.\d+\.\d+/);
  });

  it("sends the profiles, leaving out a blank contexto_adicional", async () => {
    server.setHandler(json(200, { results: [] }));
    await client.batch(PEOPLE);
    expect(JSON.parse(server.requests[0]!.body)).toEqual({
      profiles: [
        { primeiro_nome: "Satya", ultimo_nome: "Nadella", empresa: "Microsoft", contexto_adicional: "CEO" },
        { primeiro_nome: "Sundar", ultimo_nome: "Pichai", empresa: "Google" },
      ],
    });
  });

  it("keeps a base URL's path prefix and honours a custom user agent", async () => {
    const prefixed = createClient({ baseUrl: `${server.baseUrl}/v1`, apiKey: TEST_KEY, userAgent: "test/1" });
    await prefixed.health();
    await prefixed.close();
    expect(server.requests[0]).toMatchObject({ url: "/v1/health", method: "GET" });
    expect(server.requests[0]!.headers["user-agent"]).toBe("test/1");
  });

  it("reuses one keep-alive socket for sequential requests", async () => {
    server.setHandler(json(200, { creditos_restantes: 10 }));
    for (let i = 0; i < 5; i++) await client.credits();
    expect(server.requests).toHaveLength(5);
    expect(server.connections()).toBe(1);
  });
});

describe("the connection pool", () => {
  it("has no cap of its own by default: 40 requests at once are 40 on the wire", async () => {
    let open = 0;
    let peak = 0;
    server.setHandler((_req, res) => {
      open++;
      peak = Math.max(peak, open);
      setTimeout(() => {
        open--;
        json(200, { status: "ok" })(_req, res);
      }, 150);
    });
    await Promise.all(Array.from({ length: 40 }, () => client.health()));
    expect(peak).toBe(40);
    expect(server.connections()).toBe(40);
  });

  it("measures latency and the timeout from the moment a request is on the wire, not while it queues", async () => {
    server.setHandler((req, res) => setTimeout(() => json(200, { results: [] })(req, res), 200));
    // A pool of one: the third request waits ~400 ms for the socket before it is written.
    const narrow = createClient({
      baseUrl: server.baseUrl,
      apiKey: TEST_KEY,
      timeoutMs: 300,
      connections: 1,
    });
    try {
      const outcomes = await Promise.all([1, 2, 3].map(() => narrow.batch([])));
      for (const o of outcomes) {
        expect(o.latencyMs).toBeGreaterThanOrEqual(195);
        expect(o.latencyMs).toBeLessThan(290);
      }
    } finally {
      await narrow.close();
    }
  });

  it("reports the gateway's x-amzn-RequestId of a successful batch", async () => {
    server.setHandler((_req, res) => {
      res.setHeader("x-amzn-RequestId", "req-123");
      json(200, { results: [] })(_req, res);
    });
    expect((await client.batch([])).requestId).toBe("req-123");
  });
});

describe("batch", () => {
  it("sends the complete analysis to /crm_batch", async () => {
    server.setHandler(
      json(200, { results: [{ success: true, profile_index: 0, analise: { cargo: "CEO" } }] }),
    );
    await client.batch(PEOPLE.slice(0, 1), { complete: true });
    expect(server.requests.at(-1)?.url).toBe("/crm_batch");
    await client.batch(PEOPLE.slice(0, 1));
    expect(server.requests.at(-1)?.url).toBe("/crm_basico_batch");
  });

  it("maps a 200 into one result per profile with billing, latency and the raw body", async () => {
    const body = {
      success: true,
      results: [
        {
          success: false,
          profile_index: 1,
          input: { primeiro_nome: "Sundar" },
          error: "Profile not found",
          error_code: "PROFILE_NOT_FOUND",
        },
        { success: true, profile_index: 0, analise: { cargo: "CEO", extra: [1] } },
      ],
      billing_info: { creditos_utilizados: 1, creditos_restantes: 9 },
      novidade: "kept",
    };
    server.setHandler(json(200, body));
    const outcome = await client.batch(PEOPLE);
    expect(outcome.results).toEqual([
      { index: 0, ok: true, analise: { cargo: "CEO", extra: [1] } },
      { index: 1, ok: false, code: "PROFILE_NOT_FOUND", message: "Profile not found", retryable: false },
    ]);
    expect(outcome.billing).toEqual({ creditos_utilizados: 1, creditos_restantes: 9 });
    expect(outcome.raw).toEqual(body);
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it.each([
    [400, { error: "Batch size exceeds maximum", max_batch_size: 10 }, "BAD_REQUEST"],
    [401, {}, "AUTH_FAILED"],
    [402, { credits_available: 3 }, "INSUFFICIENT_CREDITS"],
    [403, { error_code: "ACCESS_DENIED" }, "ACCESS_DENIED"],
    [429, {}, "RATE_LIMITED"],
    [500, { error: "internal" }, "SERVER_ERROR"],
    [418, "teapot", "UNEXPECTED_STATUS"],
  ])("turns HTTP %i into a typed error", async (status, body, code) => {
    server.setHandler(json(status, body));
    const error = await caught(client.batch(PEOPLE));
    expect(error).toMatchObject({ status, code, inDoubt: false });
  });

  it("carries 402 and 403 fields through", async () => {
    server.setHandler(json(402, { credits_available: 5, profiles_requested: 10, credits_per_profile: 1 }));
    const credits = (await caught(client.batch(PEOPLE))) as InsufficientCreditsError;
    expect(credits).toBeInstanceOf(InsufficientCreditsError);
    expect(credits).toMatchObject({ creditsAvailable: 5, profilesRequested: 10, creditsPerProfile: 1 });

    server.setHandler(
      json(403, {
        error: "Access denied.",
        current_tier: "platform_essentials",
        upgrade_url: "https://u.example",
      }),
    );
    const denied = (await caught(client.batch(PEOPLE))) as AccessDeniedError;
    expect(denied).toBeInstanceOf(AccessDeniedError);
    expect(denied).toMatchObject({ currentTier: "platform_essentials", upgradeUrl: "https://u.example" });
  });

  it("names the redacted key on a 401", async () => {
    server.setHandler(json(401, { error: "Unauthorized" }));
    const error = await caught(client.batch(PEOPLE));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toBe(
      "The API rejected the key ending in …c5f3 (HTTP 401); check FLUENCE_API_KEY or --api-key-file.",
    );
  });

  it("reads Retry-After from a 429", async () => {
    server.setHandler(json(429, { error: "Too many requests" }, { "retry-after": "7" }));
    const error = (await caught(client.batch(PEOPLE))) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 7000 });
  });

  it("treats a 200 that is not JSON as an in-doubt protocol error", async () => {
    server.setHandler(json(200, "<html>maintenance</html>"));
    const error = await caught(client.batch(PEOPLE));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: "PROTOCOL_ERROR", retryable: true, inDoubt: true, status: 200 });
  });

  it("treats a 200 without results as an in-doubt protocol error", async () => {
    server.setHandler(json(200, { success: true }));
    const error = await caught(client.batch(PEOPLE));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.inDoubt).toBe(true);
  });

  it("throws AccessDeniedError for a 200 whose body says ACCESS_DENIED", async () => {
    server.setHandler(
      json(200, { error: "Access denied.", error_code: "ACCESS_DENIED", required_tier: "crm" }),
    );
    const error = await caught(client.batch(PEOPLE));
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect((error as AccessDeniedError).requiredTier).toBe("crm");
  });
});

describe("network failures", () => {
  it("reports a socket closed after the request was read as an in-doubt connection error", async () => {
    server.setHandler((_req, res) => res.socket?.destroy());
    const error = await caught(client.batch(PEOPLE));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: "NETWORK_ERROR", retryable: true, inDoubt: true });
    expect(server.requests).toHaveLength(1);
  });

  it("reports a refused connection as not in doubt", async () => {
    const refused = createClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, apiKey: TEST_KEY });
    const error = await caught(refused.batch(PEOPLE));
    await refused.close();
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: "NETWORK_ERROR", retryable: true, inDoubt: false });
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("times out when no headers arrive", async () => {
    server.setHandler(() => undefined);
    const fast = createClient({ baseUrl: server.baseUrl, apiKey: TEST_KEY, timeoutMs: 100 });
    const error = await caught(fast.batch(PEOPLE));
    await fast.close();
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: "TIMEOUT", retryable: true, inDoubt: true });
  });

  it("counts the body in the time limit", async () => {
    server.setHandler((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"results": [');
    });
    const fast = createClient({ baseUrl: server.baseUrl, apiKey: TEST_KEY, timeoutMs: 100 });
    const error = await caught(fast.batch(PEOPLE));
    await fast.close();
    expect(error).toBeInstanceOf(TimeoutError);
  });

  it("rethrows the caller's abort as is", async () => {
    server.setHandler(() => undefined);
    const controller = new AbortController();
    const reason = new Error("stop now");
    const promise = client.batch(PEOPLE, { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 20);
    await expect(promise).rejects.toBe(reason);
  });

  it("does not send anything when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(client.lookup(PEOPLE[0]!, { signal: controller.signal })).rejects.toMatchObject({
      name: "AbortError",
    });
    expect(server.requests).toHaveLength(0);
  });
});

describe("lookup", () => {
  it("posts to /crm_basico, or /crm when complete, and returns analise and billing", async () => {
    const body = { analise: { cargo: "CEO", personalidade: "x" }, billing_info: { creditos_restantes: 7 } };
    server.setHandler(json(200, body));
    const basic = await client.lookup(PEOPLE[0]!);
    const complete = await client.lookup(PEOPLE[0]!, { complete: true });
    expect(server.requests.map((r) => r.url)).toEqual(["/crm_basico", "/crm"]);
    expect(JSON.parse(server.requests[0]!.body)).toEqual(PEOPLE[0]);
    expect(basic).toEqual({ analise: body.analise, billing: body.billing_info, raw: body });
    expect(complete.analise).toEqual(body.analise);
  });

  it.each([
    [404, NotFoundError, "PROFILE_NOT_FOUND"],
    [409, MultipleMatchesError, "MULTIPLE_MATCHES"],
    [422, InsufficientDataError, "INSUFFICIENT_DATA"],
    [503, ServerError, "SERVER_ERROR"],
  ])("turns HTTP %i into %o", async (status, type, code) => {
    server.setHandler(json(status, { error: "nope", ...(status === 404 ? { error_code: code } : {}) }));
    const error = await caught(client.lookup(PEOPLE[0]!));
    expect(error).toBeInstanceOf(type);
    expect(error.code).toBe(code);
  });

  it("treats a 200 without analise as an in-doubt protocol error", async () => {
    server.setHandler(json(200, { billing_info: {} }));
    expect(await caught(client.lookup(PEOPLE[0]!))).toMatchObject({ code: "PROTOCOL_ERROR", inDoubt: true });
  });
});

describe("utility endpoints", () => {
  it.each([
    [200, { status: "ok" }, true],
    [200, "OK", true],
    [200, { status: "Degraded" }, false],
    [200, { status: "ok", healthy: false }, false],
    [503, { status: "ok" }, false],
    [500, "boom", false],
  ])("health: HTTP %i %j -> healthy %s, without throwing", async (status, body, healthy) => {
    server.setHandler(json(status, body));
    expect(await client.health()).toEqual({ httpStatus: status, healthy, body });
    expect(server.requests[0]!.url).toBe("/health");
  });

  it("status reads /status with the same rules", async () => {
    server.setHandler(json(200, { status: "down", detail: "db" }));
    expect(await client.status()).toEqual({
      httpStatus: 200,
      healthy: false,
      body: { status: "down", detail: "db" },
    });
    expect(server.requests[0]!.url).toBe("/status");
  });

  it("health throws on 401 and on network failures", async () => {
    server.setHandler(json(401, {}));
    expect(await caught(client.health())).toBeInstanceOf(AuthenticationError);
    const refused = createClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, apiKey: TEST_KEY });
    expect(await caught(refused.health())).toBeInstanceOf(ConnectionError);
    await refused.close();
  });

  it("credits returns the body with unknown fields and throws typed errors", async () => {
    const body = {
      creditos_restantes: 998,
      creditos_utilizados: 2,
      cota_mensal: 1000,
      tipo_plano: "x",
      extra: 1,
    };
    server.setHandler(json(200, body));
    expect(await client.credits()).toEqual(body);
    expect(server.requests[0]!.url).toBe("/creditos");
    server.setHandler(json(500, {}));
    expect(await caught(client.credits())).toBeInstanceOf(ServerError);
    server.setHandler(json(200, "not json"));
    expect(await caught(client.credits())).toBeInstanceOf(ProtocolError);
  });

  it.each([
    [
      "the documented shape",
      { tiers: [{ nome: "crm", cota_mensal: 10 }], moeda: "BRL" },
      { tiers: [{ nome: "crm", cota_mensal: 10 }], moeda: "BRL" },
    ],
    ["a bare array", [{ nome: "crm" }, "platform"], { tiers: [{ nome: "crm" }, { nome: "platform" }] }],
    [
      "tiers keyed by name",
      { tiers: { crm: { cota_mensal: 5 } } },
      { tiers: [{ nome: "crm", cota_mensal: 5 }] },
    ],
    ["no tiers field", { planos: ["a"] }, { planos: ["a"], tiers: [] }],
  ])("tiers tolerates %s", async (_label, body, expected) => {
    server.setHandler(json(200, body));
    expect(await client.tiers()).toEqual(expected);
    expect(server.requests[0]!.url).toBe("/tiers-disponiveis");
  });

  it("tiers refuses a body that is not JSON", async () => {
    server.setHandler(json(200, "<html></html>"));
    expect(await caught(client.tiers())).toBeInstanceOf(ProtocolError);
  });
});
