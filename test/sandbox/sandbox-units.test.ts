import { describe, expect, it } from "vitest";
import { buildAnalise, buildHostileAnalise } from "../../src/sandbox/sandbox-analysis.js";
import { createFaultPicker, mulberry32 } from "../../src/sandbox/sandbox-faults.js";
import { planForKey, SANDBOX_KEYS } from "../../src/sandbox/sandbox-plans.js";
import { SlidingWindowLimiter } from "../../src/sandbox/sandbox-rate-limit.js";
import { outcomeFor, SANDBOX_RESERVED } from "../../src/sandbox/sandbox-rules.js";
import { checkProfile } from "../../src/sandbox/sandbox-validate.js";

describe("keys", () => {
  it("are 40 alphanumeric characters, distinct and recognisable", () => {
    const keys = Object.values(SANDBOX_KEYS);
    expect(new Set(keys).size).toBe(4);
    for (const key of keys) expect(key).toMatch(/^sbx[A-Za-z0-9]{37}$/);
    expect(SANDBOX_KEYS.enterprise).toBe("sbxEnterpriseSandboxKey0123456789abcdefg");
    expect(planForKey(SANDBOX_KEYS.business)?.name).toBe("CRM-Business-Plan");
    expect(planForKey("nope")).toBeUndefined();
  });
});

describe("SlidingWindowLimiter", () => {
  it("accepts `limit` requests per window, says when a slot frees, and does not count refusals", () => {
    let now = 0;
    const limiter = new SlidingWindowLimiter(2, 10_000, () => now);
    expect(limiter.take("k").ok).toBe(true);
    now = 4_000;
    expect(limiter.take("k").ok).toBe(true);
    now = 5_000;
    expect(limiter.take("k")).toEqual({ ok: false, retryAfterSeconds: 5 });
    expect(limiter.take("other").ok).toBe(true);
    now = 9_999.5;
    expect(limiter.take("k")).toEqual({ ok: false, retryAfterSeconds: 1 });
    now = 10_000;
    expect(limiter.take("k").ok).toBe(true);
    expect(limiter.take("k")).toEqual({ ok: false, retryAfterSeconds: 4 });
  });

  it("gives a slot back", () => {
    const limiter = new SlidingWindowLimiter(1, 1000, () => 7);
    const first = limiter.take("k");
    expect(limiter.take("k").ok).toBe(false);
    if (first.ok) limiter.giveBack("k", first.acceptedAt);
    expect(limiter.take("k").ok).toBe(true);
  });
});

describe("faults", () => {
  it("mulberry32 is reproducible and in [0, 1)", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const draws = Array.from({ length: 100 }, () => a());
    expect(draws).toEqual(Array.from({ length: 100 }, () => b()));
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(draws).size).toBe(100);
  });

  it("picks nothing when disabled, always the kind at probability 1, earlier kinds first", () => {
    const none = createFaultPicker(undefined, 1);
    expect(Array.from({ length: 5 }, none)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    const drop = createFaultPicker({ drop: 1 }, 1);
    expect(Array.from({ length: 3 }, drop)).toEqual(["drop", "drop", "drop"]);
    const both = createFaultPicker({ error500: 1, malformed: 1 }, 1);
    expect(both()).toBe("error500");
  });

  it("keeps the sequence of existing kinds when the new ones (error502, error503) are added", () => {
    const old = createFaultPicker({ error500: 0.2, drop: 0.2, malformed: 0.1 }, 11);
    const extended = createFaultPicker(
      { error500: 0.2, drop: 0.2, malformed: 0.1, error502: 0.1, error503: 0.1 },
      11,
    );
    const pairs = Array.from({ length: 500 }, () => [old(), extended()] as const);
    for (const [before, after] of pairs) {
      if (before) expect(after).toBe(before);
      else expect([undefined, "error502", "error503"]).toContain(after);
    }
    expect(pairs.some(([, after]) => after === "error502")).toBe(true);
    expect(pairs.some(([, after]) => after === "error503")).toBe(true);
  });

  it("splits a half probability roughly in half", () => {
    const pick = createFaultPicker({ error500: 0.5 }, 9);
    const hits = Array.from({ length: 1000 }, pick).filter((kind) => kind === "error500").length;
    expect(hits).toBeGreaterThan(400);
    expect(hits).toBeLessThan(600);
  });
});

describe("reserved names", () => {
  it("match the accent- and case-folded company as a substring", () => {
    expect(outcomeFor("Empresa FANTASMA Ltda", undefined)).toBe("not_found");
    expect(outcomeFor("Homônimos S.A.", undefined)).toBe("multiple_matches");
    expect(outcomeFor("Homônimos S.A.", "  ")).toBe("multiple_matches");
    expect(outcomeFor("Homônimos S.A.", "diretora de vendas em SP")).toBe("success");
    expect(outcomeFor("Sigilosa Participações", undefined)).toBe("insufficient_data");
    expect(outcomeFor("Grupo Hóstil", undefined)).toBe("hostile");
    expect(outcomeFor("Microsoft Brasil", undefined)).toBe("success");
    expect(Object.values(SANDBOX_RESERVED)).toEqual(["fantasma", "homonimos", "sigilosa", "hostil"]);
  });
});

describe("checkProfile", () => {
  const ok = { primeiro_nome: "Ana", ultimo_nome: "Sá", empresa: "Acme" };
  it("accepts a valid profile and reports a blank required field without failing", () => {
    expect(checkProfile(ok, "")).toEqual({ ok: true, profile: ok, blankField: undefined });
    expect(checkProfile({ ...ok, ultimo_nome: "  " }, "")).toMatchObject({
      ok: true,
      blankField: "ultimo_nome",
    });
    expect(checkProfile({ ...ok, contexto_adicional: null }, "")).toMatchObject({ ok: true, profile: ok });
  });

  it.each([
    [null, "profiles[2] must be a JSON object"],
    [["x"], "profiles[2] must be a JSON object"],
    [{ ...ok, empresa: undefined }, "profiles[2].empresa is required"],
    [{ ...ok, primeiro_nome: 5 }, "profiles[2].primeiro_nome must be a string"],
    [{ ...ok, contexto_adicional: 1 }, "profiles[2].contexto_adicional must be a string"],
    [{ ...ok, empresa: "x".repeat(201) }, "profiles[2].empresa is longer than 200 characters"],
    [{ ...ok, extra: "y".repeat(201) }, "profiles[2].extra is longer than 200 characters"],
    [{ ...ok, ultimo_nome: "Sá\nSilva" }, "profiles[2].ultimo_nome contains a control character"],
    [{ ...ok, contexto_adicional: "a\u0000" }, "profiles[2].contexto_adicional contains a control character"],
  ])("rejects %j", (value, message) => {
    expect(checkProfile(value, "profiles[2]")).toEqual({ ok: false, message });
  });

  it("counts characters, not UTF-16 units, against the 200 limit", () => {
    expect(checkProfile({ ...ok, empresa: "😀".repeat(200) }, "").ok).toBe(true);
  });
});

describe("buildAnalise", () => {
  const maria = { primeiro_nome: "Maria", ultimo_nome: "Santos", empresa: "Google Brasil" };
  it("is deterministic for the same folded input and varies across people", () => {
    const a = buildAnalise(maria);
    expect(
      buildAnalise({ primeiro_nome: " MARIA ", ultimo_nome: "santos", empresa: "Google  Brasil" }),
    ).toEqual(a);
    const others = ["Ana", "Bruno", "Carla", "Davi", "Elisa", "Fábio"].map((n) =>
      buildAnalise({ ...maria, primeiro_nome: n }),
    );
    expect(new Set(others.map((x) => JSON.stringify(x))).size).toBe(6);
  });

  it("fills every documented field plus undocumented extras", () => {
    const a = buildAnalise(maria);
    expect(typeof a.cargo).toBe("string");
    expect(typeof a.tipo_stakeholder).toBe("string");
    for (const list of [
      a.manual_comprador?.dores,
      a.manual_comprador?.ganhos_procurados,
      a.linguagem_impacto,
    ]) {
      expect(list?.length).toBeGreaterThanOrEqual(2);
      expect(list?.length).toBeLessThanOrEqual(4);
    }
    expect(a.manual_comprador?.objecoes).toBeInstanceOf(Array);
    expect(a.senioridade).toEqual(expect.any(String));
    expect(a.area).toEqual(expect.any(String));
    expect(a.resumo).toContain("Maria Santos");
    expect(a.resumo).toContain("Google Brasil");
    expect(a.perfil_personalidade).toBeUndefined();
    expect(a.playbooks).toBeUndefined();
  });

  it("hostile analyses carry formula and control-character bait", () => {
    const a = buildHostileAnalise(maria);
    expect(a.cargo).toBe('=HYPERLINK("http://evil.example","CEO")');
    expect(a.tipo_stakeholder).toBe("\tTab lead");
    expect(a.manual_comprador?.dores).toContain("+cmd|' /C calc'!A0");
    expect(a.manual_comprador?.ganhos_procurados).toContain("-2+3");
    expect(a.linguagem_impacto).toContain("@SUM(1+1)");
    expect(JSON.stringify(a)).toContain('"＝');
  });
});
