import { describe, expect, it } from "vitest";
import { mapBatchResponse } from "../../src/api/batch-results.js";
import { ProtocolError } from "../../src/api/index.js";

const NO_USABLE = {
  ok: false,
  code: "PROTOCOL_ERROR",
  message: "The API response had no usable result for this profile.",
  retryable: true,
};

const analise = (cargo: string) => ({ cargo, tipo_stakeholder: "C-Level Executive" });

describe("mapBatchResponse", () => {
  it("matches shuffled results by profile_index", () => {
    const body = {
      results: [
        { success: true, profile_index: 2, input: { primeiro_nome: "A" }, analise: analise("two") },
        { success: true, profile_index: 0, input: { primeiro_nome: "B" }, analise: analise("zero") },
        { success: false, profile_index: 1, error: "Profile not found", error_code: "PROFILE_NOT_FOUND" },
      ],
      billing_info: { creditos_utilizados: 2, creditos_restantes: 198 },
    };
    const { results, billing } = mapBatchResponse(body, 3);
    expect(results).toEqual([
      { index: 0, ok: true, analise: analise("zero") },
      { index: 1, ok: false, code: "PROFILE_NOT_FOUND", message: "Profile not found", retryable: false },
      { index: 2, ok: true, analise: analise("two") },
    ]);
    expect(billing).toEqual({ creditos_utilizados: 2, creditos_restantes: 198 });
  });

  it("marks a missing index as a retryable protocol fault for that row only", () => {
    const body = { results: [{ success: true, profile_index: 0, analise: analise("x") }] };
    const { results } = mapBatchResponse(body, 2);
    expect(results[0]).toMatchObject({ index: 0, ok: true });
    expect(results[1]).toEqual({ index: 1, ...NO_USABLE });
  });

  it("keeps the first usable answer of a duplicated index", () => {
    const body = {
      results: [
        { success: true, profile_index: 0 },
        { success: true, profile_index: 0, analise: analise("first") },
        { success: true, profile_index: 0, analise: analise("second") },
      ],
    };
    const { results } = mapBatchResponse(body, 2);
    expect(results[0]).toEqual({ index: 0, ok: true, analise: analise("first") });
    expect(results[1]).toEqual({ index: 1, ...NO_USABLE });
  });

  it("ignores out-of-range, negative, fractional and non-numeric indexes", () => {
    const body = {
      results: [
        { success: true, profile_index: 5, analise: analise("far") },
        { success: true, profile_index: -1, analise: analise("neg") },
        { success: true, profile_index: 0.5, analise: analise("half") },
        { success: true, profile_index: "1", analise: analise("text") },
        "not an object",
        null,
      ],
    };
    expect(mapBatchResponse(body, 2).results).toEqual([
      { index: 0, ...NO_USABLE },
      { index: 1, ...NO_USABLE },
    ]);
  });

  it("treats a success without analise as a protocol fault", () => {
    const body = { results: [{ success: true, profile_index: 0, analise: "text" }] };
    expect(mapBatchResponse(body, 1).results).toEqual([{ index: 0, ...NO_USABLE }]);
  });

  it("keeps every field of analise, the envelope and billing", () => {
    const full = {
      cargo: "CEO",
      manual_comprador: { dores: ["a"], ganhos_procurados: ["b"], prioridades: ["c"] },
      linguagem_impacto: ["x"],
      personalidade: { disc: "D" },
    };
    const body = {
      success: true,
      batch_summary: { total_profiles: 1, successful: 1, failed: 0 },
      results: [{ success: true, profile_index: 0, analise: full, confidence: 0.9 }],
      billing_info: { creditos_por_perfil: 1, tipo_plano: "complete", novo_campo: true },
      request_id: "r-1",
    };
    const { results, billing } = mapBatchResponse(body, 1);
    expect(results[0]).toEqual({ index: 0, ok: true, analise: full });
    expect(billing).toEqual(body.billing_info);
  });

  it("maps the docs' partial-failure example whose input omits ultimo_nome", () => {
    const body = {
      success: true,
      batch_summary: { total_profiles: 3, successful: 2, failed: 1 },
      results: [
        { success: true, profile_index: 0, analise: analise("zero") },
        {
          success: false,
          profile_index: 1,
          input: { primeiro_nome: "John", empresa: "Unknown" },
          error: "Profile not found",
          error_code: "PROFILE_NOT_FOUND",
        },
        { success: true, profile_index: 2, analise: analise("two") },
      ],
      billing_info: { creditos_utilizados: 2 },
    };
    const { results, billing } = mapBatchResponse(body, 3);
    expect(results.map((r) => (r.ok ? "ok" : r.code))).toEqual(["ok", "PROFILE_NOT_FOUND", "ok"]);
    expect(billing).toEqual({ creditos_utilizados: 2 });
  });

  it("fills a failure's code and message when the server omits them", () => {
    const body = {
      results: [
        { success: false, profile_index: 0 },
        { profile_index: 1, error_code: "QUOTA", message: "Daily quota" },
      ],
    };
    const { results } = mapBatchResponse(body, 2);
    expect(results[0]).toMatchObject({ ok: false, code: "UNKNOWN_ERROR", retryable: false });
    expect((results[0] as { message: string }).message.length).toBeGreaterThan(0);
    expect(results[1]).toEqual({
      index: 1,
      ok: false,
      code: "QUOTA",
      message: "Daily quota",
      retryable: false,
    });
  });

  it("reads billing only when it is an object", () => {
    expect(mapBatchResponse({ results: [], billing_info: "x" }, 0).billing).toBeUndefined();
  });

  it.each([
    ["no results", { success: true }],
    ["results not an array", { results: { 0: {} } }],
    ["a bare array", []],
    ["null", null],
  ])("throws an in-doubt ProtocolError for %s", (_label, body) => {
    let caught: unknown;
    try {
      mapBatchResponse(body, 1);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
    expect(caught).toMatchObject({ code: "PROTOCOL_ERROR", retryable: true, inDoubt: true });
  });
});
