import { describe, expect, it } from "vitest";
import type { ProfileInput } from "../../src/api/types.js";
import { buildAnalise, buildHostileAnalise } from "../../src/sandbox/sandbox-analysis.js";
import { OBJECOES } from "../../src/sandbox/sandbox-personality.js";

const maria: ProfileInput = { primeiro_nome: "Maria", ultimo_nome: "Santos", empresa: "Google Brasil" };
const TRAITS = ["abertura", "conscienciosidade", "extroversao", "amabilidade", "neuroticismo"];

/** What a generic flattener makes of an object: nested keys joined by "_", lists kept whole. */
function flatten(value: Record<string, unknown>, prefix = "", depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const name = prefix ? `${prefix}_${key}` : key;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      Object.assign(out, flatten(v as Record<string, unknown>, name, depth + 1));
    } else {
      out[name] = v;
      out[`${name}__depth`] = depth;
    }
  }
  return out;
}

describe("complete analysis", () => {
  it("is deterministic per folded person and differs across people", () => {
    const a = buildAnalise(maria, { complete: true });
    expect(
      buildAnalise(
        { primeiro_nome: "MARIA", ultimo_nome: " santos ", empresa: "google brasil" },
        { complete: true },
      ),
    ).toEqual(a);
    const others = ["Ana", "Bruno", "Carla", "Davi"].map((n) =>
      JSON.stringify(buildAnalise({ ...maria, primeiro_nome: n }, { complete: true }).perfil_personalidade),
    );
    expect(new Set(others).size).toBe(4);
  });

  it("is the basic analysis plus perfil_personalidade and playbooks", () => {
    const { perfil_personalidade, playbooks, ...basic } = buildAnalise(maria, { complete: true });
    expect(basic).toEqual(buildAnalise(maria));
    expect(perfil_personalidade).toEqual({
      big_five: Object.fromEntries(TRAITS.map((trait) => [trait, expect.any(Number)])),
      mbti: expect.stringMatching(/^[EI][NS][FT][JP]$/),
      disc: expect.any(String),
      tracos: expect.any(Array),
      estilo_comunicacao: expect.any(String),
      motivadores: expect.any(Array),
    });
    expect(playbooks).toEqual({
      abordagem: expect.any(String),
      gatilhos: expect.any(Array),
      objecoes_e_respostas: expect.any(Array),
    });
  });

  it("has Big Five integers in 0-100 that agree with the MBTI letters, and answers each objection", () => {
    for (const name of ["Ana", "Bruno", "Carla", "Davi", "Elisa", "Fábio", "Gil", "Hana"]) {
      const a = buildAnalise({ ...maria, primeiro_nome: name }, { complete: true });
      const block = a.perfil_personalidade as { big_five: Record<string, number>; mbti: string };
      for (const trait of TRAITS) {
        const score = block.big_five[trait] ?? -1;
        expect(Number.isInteger(score) && score >= 0 && score <= 100).toBe(true);
      }
      expect(block.mbti[0]).toBe((block.big_five.extroversao ?? 0) >= 50 ? "E" : "I");
      const objecoes = a.manual_comprador?.objecoes as string[];
      const answers = (a.playbooks as { objecoes_e_respostas: string[] }).objecoes_e_respostas;
      expect(answers.map((line) => line.split(": ")[0])).toEqual(objecoes);
      expect(objecoes.every((o) => OBJECOES.includes(o))).toBe(true);
    }
  });

  it("flattens into scalar or string-list columns at most two levels deep", () => {
    const flat = flatten(buildAnalise(maria, { complete: true }));
    expect(flat).toHaveProperty("perfil_personalidade_big_five_abertura", expect.any(Number));
    expect(flat).toHaveProperty("perfil_personalidade_mbti", expect.any(String));
    expect(flat).toHaveProperty("playbooks_abordagem", expect.any(String));
    for (const [name, value] of Object.entries(flat)) {
      if (name.endsWith("__depth")) expect(value).toBeLessThanOrEqual(2);
      else if (Array.isArray(value)) expect(value.every((item) => typeof item === "string")).toBe(true);
      else expect(["string", "number"]).toContain(typeof value);
    }
  });

  it("hostile variant baits the playbook too", () => {
    const a = buildHostileAnalise(maria, { complete: true });
    expect(a.cargo).toBe('=HYPERLINK("http://evil.example","CEO")');
    const playbooks = a.playbooks as { abordagem: string; gatilhos: string[] };
    expect(playbooks.abordagem.startsWith("=")).toBe(true);
    expect(playbooks.gatilhos[0]?.startsWith("@")).toBe(true);
    expect(a.perfil_personalidade).toEqual(buildAnalise(maria, { complete: true }).perfil_personalidade);
    expect(buildHostileAnalise(maria).playbooks).toBeUndefined();
  });
});
