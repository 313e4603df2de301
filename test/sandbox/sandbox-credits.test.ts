import { describe, expect, it } from "vitest";
import { SANDBOX_RESERVED } from "../../src/sandbox/index.js";
import { get, people, person, post, useSandboxes } from "./sandbox-test-helpers.js";

const start = useSandboxes();

describe("single endpoints", () => {
  it("debit 1 credit on /crm_basico and 2 on /crm, with billing_info", async () => {
    const sandbox = await start({ credits: 100 });
    const key = sandbox.keys.enterprise;
    const basic = await post(sandbox, "/crm_basico", key, person("João", "Silva", "Microsoft Brasil"));
    expect(basic.status).toBe(200);
    expect(Object.keys(basic.body).sort()).toEqual(["analise", "billing_info"]);
    expect(basic.body.billing_info).toEqual({
      creditos_utilizados: 1,
      creditos_restantes: 99,
      tipo_plano: "enterprise_crm",
    });
    expect(basic.body.analise).not.toHaveProperty("perfil_personalidade");
    expect(basic.body.analise).not.toHaveProperty("playbooks");

    const complete = await post(sandbox, "/crm", key, person("João", "Silva", "Microsoft Brasil"));
    expect(complete.status).toBe(200);
    expect(complete.body.billing_info).toMatchObject({ creditos_utilizados: 2, creditos_restantes: 97 });
    expect(complete.body.analise).toHaveProperty("perfil_personalidade.big_five.abertura");
    expect(complete.body.analise).toHaveProperty("playbooks.abordagem");
    expect(sandbox.balance(key)).toBe(97);
    expect((await get(sandbox, "/creditos", key)).body).toMatchObject({
      creditos_restantes: 97,
      creditos_utilizados: 3,
    });
  });

  it("charge 404 and 409 but not 422", async () => {
    const sandbox = await start({ credits: 10 });
    const key = sandbox.keys.business;
    const notFound = await post(
      sandbox,
      "/crm_basico",
      key,
      person("Ana", "Lima", `Empresa ${SANDBOX_RESERVED.notFound}`),
    );
    expect(notFound).toMatchObject({
      status: 404,
      body: { error: "Profile not found", error_code: "PROFILE_NOT_FOUND", message: expect.any(String) },
    });
    expect(sandbox.balance(key)).toBe(9);
    const many = await post(sandbox, "/crm", key, person("Ana", "Lima", "Homônimos Ltda"));
    expect(many).toMatchObject({ status: 409, body: { error_code: "MULTIPLE_MATCHES" } });
    expect(sandbox.balance(key)).toBe(7);
    const resolved = await post(
      sandbox,
      "/crm_basico",
      key,
      person("Ana", "Lima", "Homônimos Ltda", "CFO em Recife"),
    );
    expect(resolved.status).toBe(200);
    expect(sandbox.balance(key)).toBe(6);
    const sparse = await post(sandbox, "/crm", key, person("Ana", "Lima", "SIGILOSA"));
    expect(sparse).toMatchObject({
      status: 422,
      body: { error_code: "INSUFFICIENT_DATA", error: "Insufficient data" },
    });
    expect(sandbox.balance(key)).toBe(6);
    expect(sandbox.stats().creditsDebited).toBe(4);
  });

  it("answer 400 uncharged to malformed bodies and blank fields", async () => {
    const sandbox = await start({ credits: 10 });
    const key = sandbox.keys.enterprise;
    for (const body of [
      "{",
      "[]",
      { primeiro_nome: "Ana", ultimo_nome: "Lima" },
      person("Ana", " ", "Acme"),
    ]) {
      const reply = await post(sandbox, "/crm_basico", key, body);
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ error: "Invalid request", message: expect.any(String) });
    }
    expect(sandbox.balance(key)).toBe(10);
  });

  it("answer 402 when the balance is below the cost", async () => {
    const sandbox = await start({ credits: 1 });
    const key = sandbox.keys.enterprise;
    const reply = await post(sandbox, "/crm", key, person("Ana", "Lima", "Acme"));
    expect(reply).toMatchObject({
      status: 402,
      body: {
        error: "Insufficient credits",
        profiles_requested: 1,
        credits_per_profile: 2,
        credits_available: 1,
      },
    });
    expect(sandbox.balance(key)).toBe(1);
  });
});

describe("batch credits", () => {
  it("debit one credit per successful profile only", async () => {
    const sandbox = await start({ credits: 50 });
    const key = sandbox.keys.enterprise;
    const profiles = [...people(3), person("Rui", "Melo", "Fantasma SA"), person("Ana", "", "Acme")];
    const reply = await post(sandbox, "/crm_basico_batch", key, { profiles });
    expect(reply.status).toBe(200);
    expect(reply.body.billing_info).toEqual({
      creditos_por_perfil: 1,
      perfis_processados: 3,
      creditos_utilizados: 3,
      creditos_restantes: 47,
      tipo_plano: "enterprise_crm",
    });
    expect(sandbox.balance(key)).toBe(47);
  });

  it("refuse the whole batch with the documented 402 when the balance is below its size", async () => {
    const sandbox = await start({ credits: 5 });
    const key = sandbox.keys.business;
    const reply = await post(sandbox, "/crm_basico_batch", key, { profiles: people(10) });
    expect(reply.status).toBe(402);
    expect(reply.body).toEqual({
      error: "Insufficient credits",
      message: "Batch requires 10 credits but you have 5",
      profiles_requested: 10,
      credits_per_profile: 1,
      credits_available: 5,
    });
    expect(sandbox.balance(key)).toBe(5);
    expect((await post(sandbox, "/crm_basico_batch", key, { profiles: people(5) })).status).toBe(200);
    expect(sandbox.balance(key)).toBe(0);
  });

  it("setBalance changes what later requests see", async () => {
    const sandbox = await start();
    const key = sandbox.keys.enterprise;
    sandbox.setBalance(key, 2);
    expect((await post(sandbox, "/crm_basico_batch", key, { profiles: people(3) })).status).toBe(402);
    expect(() => sandbox.balance("unknown")).toThrow();
  });
});
