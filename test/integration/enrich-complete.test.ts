import { describe, expect, it } from "vitest";
import { buildAnalise } from "../../src/sandbox/sandbox-analysis.js";
import { leadRows, writeCsv } from "../helpers/cli-harness.js";
import {
  cell,
  enrich,
  errorsById,
  expectEveryRowOnce,
  idRows,
  readOutputs,
  useScenarios,
} from "./enrich-helpers.js";

// `fluence enrich --complete` through POST /crm_batch: 2 credits per successful profile, personality
// columns flattened generically, and a store where a complete outcome serves a later basic run.
const setup = useScenarios();
const COMPLETE = "POST /crm_batch";
const BASIC = "POST /crm_basico_batch";

const PERSONALITY_COLUMNS = [
  "fluence_area",
  "fluence_manual_comprador_objecoes",
  "fluence_perfil_personalidade_big_five_abertura",
  "fluence_perfil_personalidade_big_five_amabilidade",
  "fluence_perfil_personalidade_big_five_conscienciosidade",
  "fluence_perfil_personalidade_big_five_extroversao",
  "fluence_perfil_personalidade_big_five_neuroticismo",
  "fluence_perfil_personalidade_disc",
  "fluence_perfil_personalidade_estilo_comunicacao",
  "fluence_perfil_personalidade_mbti",
  "fluence_perfil_personalidade_motivadores",
  "fluence_perfil_personalidade_tracos",
  "fluence_playbooks_abordagem",
  "fluence_playbooks_gatilhos",
  "fluence_playbooks_objecoes_e_respostas",
  "fluence_resumo",
  "fluence_senioridade",
];

const COMPLETE_COLUMNS = [
  "fluence_cargo",
  "fluence_tipo_stakeholder",
  "fluence_dores",
  "fluence_ganhos_procurados",
  "fluence_linguagem_impacto",
  ...PERSONALITY_COLUMNS,
  "fluence_analise",
];

/** 12 people, two of them twice, one the sandbox cannot find. */
function mixedRows(): string[][] {
  const rows = idRows(leadRows(12));
  rows.push(["r13", ...rows[3]!.slice(1)]);
  rows.push(["r14", ...rows[7]!.slice(1)]);
  rows.push(["r15", "Ninguém", "Mais", "Fantasma S.A.", "x@y.br"]);
  return rows;
}

describe("fluence enrich --complete", () => {
  it("charges 2 credits per distinct success and writes the personality columns on the right rows", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const rows = mixedRows();
    const input = writeCsv(s.tmp.file("leads.csv"), rows);
    const r = await enrich(input, ["--complete"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/complete analysis, 2 credits a person/);

    const out = readOutputs(s.tmp.dir, "leads");
    const header = out.enrichedHeader;
    expect(header.slice(0, 5)).toEqual(["id", "primeiro_nome", "ultimo_nome", "empresa", "email"]);
    expect(header.slice(5, 10)).toEqual([
      "fluence_cargo",
      "fluence_tipo_stakeholder",
      "fluence_dores",
      "fluence_ganhos_procurados",
      "fluence_linguagem_impacto",
    ]);
    expectEveryRowOnce(rows, out, expect, COMPLETE_COLUMNS);
    expect(out.enriched).toHaveLength(14);
    for (const row of out.enriched) {
      const id = cell(header, row, "id");
      const source = rows.find((x) => x[0] === id)!;
      const expected = buildAnalise(
        { primeiro_nome: source[1]!, ultimo_nome: source[2]!, empresa: source[3]! },
        { complete: true },
      ) as Record<string, Record<string, unknown>>;
      const personality = expected.perfil_personalidade as Record<string, unknown>;
      expect(cell(header, row, "fluence_perfil_personalidade_mbti")).toBe(personality.mbti);
      expect(cell(header, row, "fluence_perfil_personalidade_big_five_abertura")).toBe(
        String((personality.big_five as Record<string, number>).abertura),
      );
      expect(cell(header, row, "fluence_perfil_personalidade_tracos")).toBe(
        (personality.tracos as string[]).join(" | "),
      );
      expect(JSON.parse(cell(header, row, "fluence_analise"))).toEqual(expected);
    }
    expect(errorsById(out).get("r15")).toMatchObject({ code: "PROFILE_NOT_FOUND", retryable: "false" });

    const stats = sandbox.stats();
    expect(stats.requests[COMPLETE]).toBe(2);
    expect(stats.requests[BASIC]).toBeUndefined();
    expect(stats.creditsDebited).toBe(24);
    expect(out.summary).toMatchObject({
      analysis: "complete",
      credits_per_profile: 2,
      enriched: 14,
      duplicates: 2,
      credits_used: 24,
      billing_check: { ok: true },
    });
  });

  it("a basic run after a complete one sends nothing; a complete run after a basic one pays for complete", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const rows = mixedRows();
    const input = writeCsv(s.tmp.file("leads.csv"), rows);
    expect((await enrich(input, ["--complete"], env)).code).toBe(0);

    sandbox.resetStats();
    const basic = await enrich(input, [], env);
    expect(basic.code, basic.stderr).toBe(0);
    expect(sandbox.stats().requests[BASIC]).toBeUndefined();
    expect(sandbox.stats().creditsDebited).toBe(0);
    const out = readOutputs(s.tmp.dir, "leads");
    expectEveryRowOnce(rows, out, expect);
    expect(out.summary).toMatchObject({
      analysis: "basic",
      from_store: 15,
      credits_used: 0,
      credits_saved: 12,
    });

    // The other way round, in a fresh store: the basic outcomes do not serve a complete run, but the
    // person the API could not find is not asked for again.
    const other = await s.sandbox();
    const fresh = { ...other.env, FLUENCE_STORE: s.tmp.file("other.sqlite") };
    expect((await enrich(input, [], fresh)).code).toBe(0);
    expect(other.sandbox.stats().creditsDebited).toBe(12);
    other.sandbox.resetStats();
    const complete = await enrich(input, ["--complete"], fresh);
    expect(complete.code, complete.stderr).toBe(0);
    expect(other.sandbox.stats().profilesReceived).toBe(12);
    expect(other.sandbox.stats().creditsDebited).toBe(24);
    expect(readOutputs(s.tmp.dir, "leads").summary).toMatchObject({ enriched: 14, from_store: 1 });
  });

  it("a plan without the Complete tier stops at the first batch: exit 3, the plan and upgrade URL, nothing charged", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const input = writeCsv(s.tmp.file("leads.csv"), idRows(leadRows(40)));
    const r = await enrich(input, ["--complete"], { ...env, FLUENCE_API_KEY: sandbox.keys.business });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/Your plan \(business_crm\) cannot use this endpoint \(HTTP 403\)/);
    expect(r.stderr).toContain("https://tryfluence.tech/upgrade");
    expect(sandbox.stats().creditsDebited).toBe(0);
    expect(sandbox.stats().requests[COMPLETE] ?? 0).toBeLessThanOrEqual(4);
    const out = readOutputs(s.tmp.dir, "leads");
    expect(out.enriched).toHaveLength(0);
    expect(out.summary).toMatchObject({
      stopped: "auth",
      exit_code: 3,
      errors_by_code: { ACCESS_DENIED: 40 },
    });
  });

  it("7 credits buy 3 complete profiles; the run exits 4 with the rest retryable", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ credits: 7 });
    const rows = idRows(leadRows(10));
    const input = writeCsv(s.tmp.file("leads.csv"), rows);
    const r = await enrich(input, ["--complete"], env);
    expect(r.code, r.stderr).toBe(4);
    const out = readOutputs(s.tmp.dir, "leads");
    expectEveryRowOnce(rows, out, expect, COMPLETE_COLUMNS);
    expect(out.enriched).toHaveLength(3);
    const errors = [...errorsById(out).values()];
    expect(errors).toHaveLength(7);
    for (const e of errors) expect(e).toMatchObject({ code: "INSUFFICIENT_CREDITS", retryable: "true" });
    expect(sandbox.balance(sandbox.keys.enterprise)).toBe(1);
    expect(out.summary).toMatchObject({ stopped: "credits", credits_used: 6, credits_remaining: 1 });
  });

  it("--max-credits counts 2 per person, in the dry run and in the run", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const input = writeCsv(s.tmp.file("leads.csv"), idRows(leadRows(10)));
    const dry = await enrich(input, ["--complete", "--dry-run", "--json", "--max-credits", "9"], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      analysis: "complete",
      credits_per_profile: 2,
      profiles_to_send: 10,
      max_credits_cost: 8,
      batches: 1,
    });
    const text = await enrich(input, ["--complete", "--dry-run"], env);
    expect(text.stdout).toMatch(/Analysis: complete, 2 credits per enriched person/);
    expect(text.stdout).toMatch(/costing at most 20 credits/);

    const r = await enrich(input, ["--complete", "--max-credits", "9"], env);
    expect(r.code, r.stderr).toBe(4);
    const out = readOutputs(s.tmp.dir, "leads");
    expect(out.enriched).toHaveLength(4);
    expect(out.summary).toMatchObject({
      stopped: "budget",
      credits_used: 8,
      errors_by_code: { BUDGET_EXCEEDED: 6 },
    });
    expect(sandbox.stats().creditsDebited).toBe(8);
  });
});
