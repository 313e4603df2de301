import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkBilling } from "../../src/pipeline/billing-check.js";
import { ExtraColumns, flattenAnalise } from "../../src/pipeline/flatten-analise.js";
import { resolveOutputPaths } from "../../src/pipeline/output-paths.js";
import { rowErrorInfo } from "../../src/send/row-codes.js";
import { UserError } from "../../src/user-error.js";

describe("flattenAnalise", () => {
  it("maps the documented fields and keeps the whole object as JSON", () => {
    const analise = {
      cargo: "CEO",
      tipo_stakeholder: "C-Level Executive",
      manual_comprador: { dores: ["a", "b"], ganhos_procurados: ["c"], extra: 1 },
      linguagem_impacto: ["x", "y"],
      novo_campo: { z: true },
    };
    const json = JSON.stringify(analise);
    expect(flattenAnalise(json)).toEqual(["CEO", "C-Level Executive", "a | b", "c", "x | y", json]);
  });

  it("never drops an unexpected shape", () => {
    expect(flattenAnalise('{"cargo":{"pt":"Diretor"},"linguagem_impacto":"texto"}')).toEqual([
      '{"pt":"Diretor"}',
      "",
      "",
      "",
      "texto",
      '{"cargo":{"pt":"Diretor"},"linguagem_impacto":"texto"}',
    ]);
    expect(flattenAnalise("not json")).toEqual(["", "", "", "", "", "not json"]);
    expect(flattenAnalise("[1,2]")[5]).toBe("[1,2]");
  });
});

describe("ExtraColumns (the complete analysis, flattened generically)", () => {
  const complete = {
    cargo: "CEO",
    manual_comprador: { dores: ["a"], objecoes: ["caro", "lento"] },
    perfil_personalidade: { mbti: "ENTJ", big_five: { abertura: 72, neuroticismo: 31 } },
    playbooks: [{ titulo: "Abertura", passos: ["1", "2"] }],
    sem_valor: null,
  };

  it("learns every leaf beyond the basic fields, in alphabetical order of path, whatever order rows come in", () => {
    const a = new ExtraColumns();
    a.add(JSON.stringify({ zeta: 1 }));
    a.add(JSON.stringify(complete));
    const b = new ExtraColumns();
    b.add(JSON.stringify(complete));
    b.add(JSON.stringify({ zeta: 1 }));
    b.add("not json");
    b.add(undefined);
    const expected = [
      "fluence_manual_comprador_objecoes",
      "fluence_perfil_personalidade_big_five_abertura",
      "fluence_perfil_personalidade_big_five_neuroticismo",
      "fluence_perfil_personalidade_mbti",
      "fluence_playbooks",
      "fluence_sem_valor",
      "fluence_zeta",
    ];
    expect(a.columns()).toEqual(expected);
    expect(b.columns()).toEqual(expected);
  });

  it("writes lists of scalars joined, lists of objects as JSON, and blanks for what a row lacks", () => {
    const cols = new ExtraColumns();
    cols.add(JSON.stringify(complete));
    cols.add(JSON.stringify({ zeta: "z" }));
    const json = JSON.stringify(complete);
    const values = flattenAnalise(json, cols);
    expect(values.slice(0, 5)).toEqual(["CEO", "", "a", "", ""]);
    expect(values.slice(5, -1)).toEqual([
      "caro | lento",
      "72",
      "31",
      "ENTJ",
      JSON.stringify(complete.playbooks),
      "",
      "",
    ]);
    expect(values.at(-1)).toBe(json);
  });

  it("tells apart two paths that would make the same column name", () => {
    const cols = new ExtraColumns();
    cols.add(JSON.stringify({ a_b: 1, a: { b: 2 } }));
    expect(cols.columns()).toEqual(["fluence_a_b", "fluence_a_b_2"]);
    expect(flattenAnalise(JSON.stringify({ a_b: 1, a: { b: 2 } }), cols).slice(5, 7)).toEqual(["2", "1"]);
  });
});

describe("checkBilling", () => {
  it("expects 2 credits a success from the complete analysis", () => {
    const ok = checkBilling({
      creditsReported: 20,
      successes: 10,
      expectedCharge: 20,
      inDoubt: 0,
      balanceBefore: 100,
      balanceAfter: 80,
    });
    expect(ok).toMatchObject({ ok: true, mismatch: null });
    const charged1 = checkBilling({
      creditsReported: 10,
      successes: 10,
      expectedCharge: 20,
      inDoubt: 0,
      balanceBefore: 100,
      balanceAfter: 90,
    });
    expect(charged1.mismatch).toContain("10 credits used for 10 successful profiles, which should cost 20");
  });

  it("is ok when charges, successes and the balance agree", () => {
    const c = checkBilling({
      creditsReported: 34,
      successes: 34,
      expectedCharge: 34,
      inDoubt: 0,
      balanceBefore: 100,
      balanceAfter: 66,
    });
    expect(c).toMatchObject({ ok: true, balance_drop: 34, mismatch: null });
  });

  it("reports each kind of mismatch in a sentence", () => {
    const c = checkBilling({
      creditsReported: 12,
      successes: 10,
      expectedCharge: 10,
      inDoubt: 3,
      balanceBefore: 100,
      balanceAfter: 85,
    });
    expect(c.ok).toBe(false);
    expect(c.mismatch).toContain("12 credits used for 10 successful profiles");
    expect(c.mismatch).toContain("dropped by 15");
    expect(c.mismatch).toContain("3 profiles were in doubt");
  });

  it("skips the balance comparison when a balance is unknown", () => {
    expect(
      checkBilling({
        creditsReported: 5,
        successes: 5,
        expectedCharge: 5,
        inDoubt: 0,
        balanceBefore: undefined,
        balanceAfter: 3,
      }).ok,
    ).toBe(true);
  });
});

describe("resolveOutputPaths", () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("puts outputs beside the input, or in --out-dir, named after it", () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "fluence-paths-"));
    const input = path.join(dir, "leads.csv");
    writeFileSync(input, "x");
    expect(resolveOutputPaths({ input, format: "csv" })).toEqual({
      enriched: path.join(dir, "leads.enriched.csv"),
      errors: path.join(dir, "leads.errors.csv"),
      summary: path.join(dir, "leads.summary.json"),
    });
    const out = resolveOutputPaths({ input, format: "jsonl", outDir: path.join(dir, "out") });
    expect(out.enriched).toBe(path.join(dir, "out", "leads.enriched.jsonl"));
    expect(resolveOutputPaths({ input: "-", format: "csv", cwd: dir }).errors).toBe(
      path.join(dir, "stdin.errors.csv"),
    );
  });

  it("refuses to write over the input, also through a symlink, and two outputs on one file", () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "fluence-paths-"));
    const input = path.join(dir, "leads.csv");
    writeFileSync(input, "x");
    expect(() => resolveOutputPaths({ input, format: "csv", enrichedPath: input })).toThrow(UserError);
    symlinkSync(input, path.join(dir, "link.csv"));
    expect(() =>
      resolveOutputPaths({ input, format: "csv", errorsPath: path.join(dir, "link.csv") }),
    ).toThrow(/is the input file/);
    expect(() =>
      resolveOutputPaths({
        input,
        format: "csv",
        enrichedPath: path.join(dir, "a.csv"),
        errorsPath: path.join(dir, "a.csv"),
      }),
    ).toThrow(/same file/);
  });
});

describe("rowErrorInfo", () => {
  it("knows which codes are worth retrying", () => {
    for (const code of [
      "RATE_LIMITED",
      "SERVER_ERROR",
      "NETWORK_ERROR",
      "TIMEOUT",
      "PROTOCOL_ERROR",
      "INSUFFICIENT_CREDITS",
      "BUDGET_EXCEEDED",
      "INTERRUPTED",
    ]) {
      expect(rowErrorInfo(code).retryable, code).toBe(true);
    }
    for (const code of [
      "PROFILE_NOT_FOUND",
      "MULTIPLE_MATCHES",
      "INSUFFICIENT_DATA",
      "INVALID_ROW",
      "BAD_REQUEST",
      "SOMETHING_NEW",
    ]) {
      expect(rowErrorInfo(code).retryable, code).toBe(false);
    }
    expect(rowErrorInfo("MULTIPLE_MATCHES").advice).toContain("contexto_adicional");
  });
});

describe("RunLedger.peopleCount", () => {
  it("counts distinct people, repeats within and across chunks once", async () => {
    const { RunLedger } = await import("../../src/pipeline/run-ledger.js");
    const ledger = new RunLedger();
    const profile = { primeiro_nome: "A", ultimo_nome: "B", empresa: "C" };
    ledger.addQueued([
      { fp: "x", profile, seq: 1 },
      { fp: "y", profile, seq: 2 },
      { fp: "x", profile, seq: 3 },
    ]);
    ledger.addQueued([
      { fp: "y", profile, seq: 4 },
      { fp: "z", profile, seq: 5 },
    ]);
    ledger.addQueued([]);
    expect(ledger.peopleCount()).toBe(3);
    expect(ledger.takeQueued(10).map((p) => p.fp)).toEqual(["x", "y", "z"]);
    ledger.close();
  });
});
