import { describe, expect, it } from "vitest";
import { get, people, person, post, useSandboxes } from "./sandbox-test-helpers.js";

const start = useSandboxes();
type Result = { success: boolean; profile_index: number; analise?: Record<string, unknown> };

describe("POST /crm_batch", () => {
  it("charges 2 credits per successful profile and returns the complete analysis", async () => {
    const sandbox = await start({ credits: 50 });
    const key = sandbox.keys.enterprise;
    const profiles = [...people(3), person("Rui", "Melo", "Fantasma SA")];
    const reply = await post(sandbox, "/crm_batch", key, { profiles });
    expect(reply.status).toBe(200);
    expect(reply.body.batch_summary).toMatchObject({ total_profiles: 4, successful: 3, failed: 1 });
    expect(reply.body.billing_info).toEqual({
      creditos_por_perfil: 2,
      perfis_processados: 3,
      creditos_utilizados: 6,
      creditos_restantes: 44,
      tipo_plano: "enterprise_crm",
    });
    const results = reply.body.results as Result[];
    expect(results.map((r) => r.profile_index)).toEqual([0, 1, 2, 3]);
    expect(results[3]).toMatchObject({ success: false, error_code: "PROFILE_NOT_FOUND" });
    for (const result of results.slice(0, 3)) {
      expect(result.analise).toHaveProperty("perfil_personalidade.big_five.abertura");
      expect(result.analise).toHaveProperty("perfil_personalidade.mbti");
      expect(result.analise).toHaveProperty("playbooks.abordagem");
    }
    expect(sandbox.balance(key)).toBe(44);
    expect(sandbox.stats()).toMatchObject({
      profilesReceived: 4,
      profilesSucceeded: 3,
      completeProfilesSucceeded: 3,
      creditsDebited: 6,
      batchSizes: [4],
      completeBatchSizes: [4],
    });
  });

  it("gives a person the same complete analysis as POST /crm, and the basic fields of /crm_basico_batch", async () => {
    const sandbox = await start();
    const key = sandbox.keys.enterprise;
    const profiles = people(3);
    const batch = await post(sandbox, "/crm_batch", key, { profiles });
    const single = await post(sandbox, "/crm", key, profiles[1]);
    const [, second] = batch.body.results as Result[];
    expect(second?.analise).toEqual(single.body.analise);
    const basic = await post(sandbox, "/crm_basico_batch", key, { profiles });
    const { perfil_personalidade, playbooks, ...basicPart } = second?.analise ?? {};
    expect((basic.body.results as Result[])[1]?.analise).toEqual(basicPart);
    expect(sandbox.stats()).toMatchObject({ completeProfilesSucceeded: 4, profilesSucceeded: 7 });
  });

  it("refuses the Business plan (Basic tier) with the access-denied body and charges nothing", async () => {
    const sandbox = await start({ credits: 30 });
    const key = sandbox.keys.business;
    const reply = await post(sandbox, "/crm_batch", key, { profiles: people(3) });
    expect(reply.status).toBe(403);
    expect(reply.body).toEqual({
      error:
        "Access denied. Your business tier API key cannot access /crm_batch. Upgrade to Complete tier for access.",
      error_code: "ACCESS_DENIED",
      current_tier: "business_crm",
      required_tier: "crm_enterprise",
      upgrade_url: "https://tryfluence.tech/upgrade",
    });
    expect(sandbox.balance(key)).toBe(30);
    expect(sandbox.stats()).toMatchObject({ profilesReceived: 0, creditsDebited: 0, batchSizes: [] });
    expect((await post(sandbox, "/crm_basico_batch", key, { profiles: people(2) })).status).toBe(200);
    expect((await post(sandbox, "/crm", key, people(1)[0])).status).toBe(200);
  });

  it("refuses platform plans with the same body", async () => {
    const sandbox = await start();
    const reply = await post(sandbox, "/crm_batch", sandbox.keys.professional, { profiles: people(1) });
    expect(reply).toMatchObject({
      status: 403,
      body: {
        error_code: "ACCESS_DENIED",
        current_tier: "platform_professional",
        required_tier: "crm_enterprise",
      },
    });
  });

  it("answers 402 with credits_per_profile 2 when the balance is below twice the batch size", async () => {
    const sandbox = await start({ credits: 7 });
    const key = sandbox.keys.enterprise;
    const refused = await post(sandbox, "/crm_batch", key, { profiles: people(5) });
    expect(refused.status).toBe(402);
    expect(refused.body).toEqual({
      error: "Insufficient credits",
      message: "Batch requires 10 credits but you have 7",
      profiles_requested: 5,
      credits_per_profile: 2,
      credits_available: 7,
    });
    expect(sandbox.balance(key)).toBe(7);
    expect(sandbox.stats().profilesReceived).toBe(0);
    const accepted = await post(sandbox, "/crm_batch", key, { profiles: people(3) });
    expect(accepted.status).toBe(200);
    expect(sandbox.balance(key)).toBe(1);
  });

  it("validates like the basic batch: at most 10, all or nothing", async () => {
    const sandbox = await start({ credits: 100 });
    const key = sandbox.keys.enterprise;
    expect(await post(sandbox, "/crm_batch", key, { profiles: people(11) })).toMatchObject({
      status: 400,
      body: { error: "Batch size exceeds maximum", max_batch_size: 10, profiles_received: 11 },
    });
    expect(
      await post(sandbox, "/crm_batch", key, { profiles: [...people(2), { primeiro_nome: "A" }] }),
    ).toMatchObject({
      status: 400,
      body: { error: "Invalid request", message: "profiles[2].ultimo_nome is required", profile_index: 2 },
    });
    expect(sandbox.balance(key)).toBe(100);
  });

  it("carries hostile content for the reserved hostile company", async () => {
    const sandbox = await start();
    const reply = await post(sandbox, "/crm_batch", sandbox.keys.enterprise, {
      profiles: [person("Eva", "Mal", "Hostil Ltda")],
    });
    const [result] = reply.body.results as Result[];
    expect(result?.success).toBe(true);
    expect(result?.analise?.cargo).toBe('=HYPERLINK("http://evil.example","CEO")');
    expect(result?.analise).toHaveProperty("perfil_personalidade.mbti");
    expect(result?.analise).toHaveProperty("playbooks.abordagem", expect.stringMatching(/^=/));
    expect(reply.body.billing_info).toMatchObject({ creditos_utilizados: 2 });
  });

  it("is listed in /tiers-disponiveis for the plans with the Complete tier only", async () => {
    const sandbox = await start();
    const reply = await get(sandbox, "/tiers-disponiveis", sandbox.keys.business);
    const tiers = reply.body.tiers as { nome: string; endpoints: string[] }[];
    const endpoints = Object.fromEntries(tiers.map((tier) => [tier.nome, tier.endpoints]));
    expect(endpoints["CRM-Enterprise-Plan"]).toContain("/crm_batch");
    expect(endpoints["CRM-Business-Plan"]).toEqual([
      "/crm_basico",
      "/crm",
      "/crm_basico_batch",
      "/health",
      "/status",
      "/creditos",
      "/tiers-disponiveis",
    ]);
    expect(endpoints["Platform-Users-Professional"]).not.toContain("/crm_batch");
  });
});
