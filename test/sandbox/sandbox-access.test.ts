import { describe, expect, it } from "vitest";
import { SANDBOX_KEYS, SANDBOX_PLANS } from "../../src/sandbox/index.js";
import { get, people, person, post, useSandboxes } from "./sandbox-test-helpers.js";

const start = useSandboxes();
const UNAUTHORIZED = { error: "Unauthorized", message: "Invalid API key provided in X-API-Key header" };

describe("auth", () => {
  it("answers 401 to a missing or unknown key on every endpoint, ignoring Authorization", async () => {
    const sandbox = await start();
    for (const path of ["/health", "/status", "/creditos", "/tiers-disponiveis"]) {
      expect(await get(sandbox, path)).toMatchObject({ status: 401, body: UNAUTHORIZED });
      expect(await get(sandbox, path, "x".repeat(40))).toMatchObject({ status: 401, body: UNAUTHORIZED });
    }
    const bearer = await fetch(`${sandbox.url}/creditos`, {
      headers: { authorization: `Bearer ${SANDBOX_KEYS.enterprise}` },
    });
    expect(bearer.status).toBe(401);
    for (const path of ["/crm_basico", "/crm", "/crm_basico_batch"]) {
      expect(await post(sandbox, path, undefined, { profiles: people(1) })).toMatchObject({
        status: 401,
        body: UNAUTHORIZED,
      });
    }
  });

  it("accepts the header in any case", async () => {
    const sandbox = await start();
    const response = await fetch(`${sandbox.url}/health`, {
      headers: { "X-Api-KEY": SANDBOX_KEYS.essentials },
    });
    expect(response.status).toBe(200);
  });
});

describe("tiers", () => {
  it.each(["professional", "essentials"] as const)(
    "refuses CRM endpoints to a %s key with the documented body",
    async (id) => {
      const sandbox = await start();
      for (const path of ["/crm_basico", "/crm", "/crm_basico_batch"]) {
        const body = path === "/crm_basico_batch" ? { profiles: people(2) } : person("Ana", "Lima", "Acme");
        const reply = await post(sandbox, path, sandbox.keys[id], body);
        expect(reply.status).toBe(403);
        expect(reply.body).toEqual({
          error: `Access denied. Your ${id} tier API key cannot access ${path}. Upgrade to CRM tier for access.`,
          error_code: "ACCESS_DENIED",
          current_tier: `platform_${id}`,
          required_tier: "crm_business",
          upgrade_url: "https://tryfluence.tech/upgrade",
        });
      }
      expect(sandbox.balance(sandbox.keys[id])).toBe(id === "professional" ? 500 : 100);
    },
  );
});

describe("utility endpoints", () => {
  it.each(SANDBOX_PLANS.map((plan) => [plan.id, plan] as const))(
    "answer for the %s plan",
    async (id, plan) => {
      const sandbox = await start();
      const key = sandbox.keys[id];
      expect(await get(sandbox, "/health", key)).toMatchObject({ status: 200, body: { status: "ok" } });
      const status = await get(sandbox, "/status", key);
      expect(status.status).toBe(200);
      expect(status.body).toMatchObject({
        status: "operational",
        version: expect.any(String),
        uptime_s: expect.any(Number),
      });
      expect(status.body.endpoints).toMatchObject({ "/crm_basico_batch": "operational" });
      expect((await get(sandbox, "/creditos", key)).body).toEqual({
        creditos_restantes: plan.monthlyQuota,
        creditos_utilizados: 0,
        cota_mensal: plan.monthlyQuota,
        tipo_plano: plan.tipoPlano,
      });
      const tiers = await get(sandbox, "/tiers-disponiveis", key);
      expect(tiers.status).toBe(200);
      expect(tiers.body.tiers).toEqual([
        expect.objectContaining({
          nome: "CRM-Enterprise-Plan",
          cota_mensal: 10000,
          rate_limit_por_minuto: 100,
        }),
        expect.objectContaining({ nome: "CRM-Business-Plan", cota_mensal: 5000 }),
        expect.objectContaining({ nome: "Platform-Users-Professional", cota_mensal: 500 }),
        expect.objectContaining({
          nome: "Platform-Users-Essentials",
          cota_mensal: 100,
          endpoints: ["/health", "/status", "/creditos", "/tiers-disponiveis"],
        }),
      ]);
    },
  );

  it("start every key at the credits option when given", async () => {
    const sandbox = await start({ credits: 7 });
    const reply = await get(sandbox, "/creditos", sandbox.keys.essentials);
    expect(reply.body).toMatchObject({ creditos_restantes: 7, cota_mensal: 100 });
    expect(sandbox.balance(sandbox.keys.enterprise)).toBe(7);
  });

  it("report a degraded service with 503 when unhealthy, switchable at run time", async () => {
    const sandbox = await start({ unhealthy: true });
    const key = sandbox.keys.business;
    expect(await get(sandbox, "/health", key)).toMatchObject({ status: 503, body: { status: "degraded" } });
    expect(await get(sandbox, "/status", key)).toMatchObject({ status: 503, body: { status: "degraded" } });
    sandbox.setUnhealthy(false);
    expect(await get(sandbox, "/health", key)).toMatchObject({ status: 200, body: { status: "ok" } });
    sandbox.setUnhealthy(true);
    expect((await get(sandbox, "/status", key)).status).toBe(503);
  });
});

describe("routing", () => {
  it("answers 404 JSON for unknown paths and wrong methods", async () => {
    const sandbox = await start();
    const key = sandbox.keys.enterprise;
    expect(await get(sandbox, "/x", key)).toMatchObject({
      status: 404,
      body: { error: "Not found", message: "No route for GET /x" },
    });
    expect(await get(sandbox, "/crm_basico", key)).toMatchObject({
      status: 404,
      body: { message: "No route for GET /crm_basico" },
    });
    expect((await post(sandbox, "/health", key, {})).status).toBe(404);
  });
});
