import { describe, expect, it } from "vitest";
import { people, person, post, useSandboxes } from "./sandbox-test-helpers.js";

const start = useSandboxes();

describe("batch validation", () => {
  it("answers the documented 400 for more than 10 profiles", async () => {
    const sandbox = await start();
    const reply = await post(sandbox, "/crm_basico_batch", sandbox.keys.enterprise, { profiles: people(15) });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({
      error: "Batch size exceeds maximum",
      message: "Maximum 10 profiles per batch, received 15",
      max_batch_size: 10,
      profiles_received: 15,
    });
  });

  const three = people(3);
  it.each([
    ["bad JSON", '{"profiles": [', "Body must be valid JSON", undefined],
    ["no profiles array", { pessoas: three }, "profiles must be an array", undefined],
    ["an empty array", { profiles: [] }, "profiles must not be empty", undefined],
    ["a non-object profile", { profiles: [...three, "Ana"] }, "profiles[3] must be a JSON object", 3],
    [
      "a missing field",
      { profiles: [...three, { primeiro_nome: "A", ultimo_nome: "B" }] },
      "profiles[3].empresa is required",
      3,
    ],
    [
      "a non-string field",
      { profiles: [{ ...person("A", "B", "C"), ultimo_nome: 3 }] },
      "profiles[0].ultimo_nome must be a string",
      0,
    ],
    [
      "a field over 200 characters",
      { profiles: [person("A", "B", "C".repeat(201))] },
      "profiles[0].empresa is longer than 200 characters",
      0,
    ],
    [
      "a control character",
      { profiles: [...three, person("A", "B\u0007", "C")] },
      "profiles[3].ultimo_nome contains a control character",
      3,
    ],
  ])("rejects the whole batch for %s", async (_label, body, message, index) => {
    const sandbox = await start({ credits: 20 });
    const key = sandbox.keys.enterprise;
    const reply = await post(sandbox, "/crm_basico_batch", key, body);
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual(
      index === undefined
        ? { error: "Invalid request", message }
        : { error: "Invalid request", message, profile_index: index },
    );
    expect(sandbox.balance(key)).toBe(20);
    expect(sandbox.stats().profilesReceived).toBe(0);
  });
});

describe("batch results", () => {
  it("report partial failures by profile_index with the input echoed", async () => {
    const sandbox = await start({ credits: 100 });
    const profiles = [
      person("Satya", "Nadella", "Microsoft", "Optional context"),
      person("John", "Doe", "Fantasma Corp"),
      person("Maria", "Souza", "Homonimos Ltda"),
      person("Paulo", "Reis", "Sigilosa"),
      person("Bia", "Costa", "Homonimos Ltda", "gerente de TI"),
      person(" ", "Vaz", "Acme"),
      person("Sundar", "Pichai", "Google"),
    ];
    const reply = await post(sandbox, "/crm_basico_batch", sandbox.keys.enterprise, { profiles });
    expect(reply.status).toBe(200);
    expect(reply.body.success).toBe(true);
    expect(reply.body.batch_summary).toEqual({
      total_profiles: 7,
      successful: 3,
      failed: 4,
      processing_time_ms: expect.any(Number),
    });
    const results = reply.body.results as Record<string, unknown>[];
    expect(results.map((r) => r.profile_index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(results.map((r) => r.success)).toEqual([true, false, false, false, true, false, true]);
    expect(results.map((r) => r.error_code)).toEqual([
      undefined,
      "PROFILE_NOT_FOUND",
      "MULTIPLE_MATCHES",
      "INSUFFICIENT_DATA",
      undefined,
      "INVALID_INPUT",
      undefined,
    ]);
    expect(results[1]).toMatchObject({ error: "Profile not found", input: profiles[1] });
    expect(results[0]).toMatchObject({ input: profiles[0], analise: { cargo: expect.any(String) } });
    expect(results[0]).not.toHaveProperty("error");
    expect(results[1]).not.toHaveProperty("analise");
    expect(reply.body.billing_info).toMatchObject({
      perfis_processados: 3,
      creditos_utilizados: 3,
      creditos_restantes: 97,
    });
  });

  it("are deterministic per person and differ across people", async () => {
    const sandbox = await start();
    const key = sandbox.keys.business;
    const profiles = people(5);
    const first = await post(sandbox, "/crm_basico_batch", key, { profiles });
    const again = await post(sandbox, "/crm_basico_batch", key, { profiles: [...profiles].reverse() });
    const analyses = (body: Record<string, unknown>) =>
      (body.results as { analise: unknown }[]).map((r) => JSON.stringify(r.analise));
    expect(analyses(again.body).reverse()).toEqual(analyses(first.body));
    expect(new Set(analyses(first.body)).size).toBe(5);
    const single = await post(sandbox, "/crm_basico", key, profiles[2]);
    expect(JSON.stringify(single.body.analise)).toBe(analyses(first.body)[2]);
  });

  it("carry hostile content for the reserved hostile company", async () => {
    const sandbox = await start();
    const reply = await post(sandbox, "/crm_basico_batch", sandbox.keys.enterprise, {
      profiles: [person("Eva", "Mal", "Hostil Ltda")],
    });
    const [result] = reply.body.results as { success: boolean; analise: Record<string, unknown> }[];
    expect(result?.success).toBe(true);
    const analise = result?.analise ?? {};
    expect(analise.cargo).toBe('=HYPERLINK("http://evil.example","CEO")');
    expect(analise.tipo_stakeholder).toBe("\tTab lead");
    expect(analise.manual_comprador).toMatchObject({
      dores: expect.arrayContaining(["+cmd|' /C calc'!A0"]),
      ganhos_procurados: expect.arrayContaining(["-2+3"]),
    });
    expect(analise.linguagem_impacto).toContain("@SUM(1+1)");
    expect(Object.values(analise).some((value) => typeof value === "string" && value.startsWith("＝"))).toBe(
      true,
    );
    expect(reply.body.billing_info).toMatchObject({ creditos_utilizados: 1 });
  });
});
