import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { writeCsv } from "../helpers/cli-harness.js";
import {
  cell,
  enrich,
  errorsById,
  expectEveryRowOnce,
  fixtureRowsWithIds,
  idRows,
  OUTPUT_COLUMNS,
  readOutputs,
  useScenarios,
} from "./enrich-helpers.js";

const setup = useScenarios();

describe("fluence enrich: every row, once, in order, untouched", () => {
  it("accounts for every row of the fixture and keeps the original cells byte for byte", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const proxy = await s.proxy(sandbox.url);
    const rows = fixtureRowsWithIds();
    const input = writeCsv(s.tmp.file("leads.csv"), rows);

    const result = await enrich(input, [], { ...env, FLUENCE_BASE_URL: proxy.url });
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.code).toBe(0);

    const out = readOutputs(s.tmp.dir, "leads");
    expectEveryRowOnce(rows, out, expect);
    // The second "João Silva" row carries its own spaces and casing: kept as typed, not as normalized.
    const joao = out.enriched.find((r) => r[0] === "r34")!;
    expect(joao.slice(1, 4)).toEqual(["  joão ", " SILVA ", "Itaú  Unibanco"]);
    // A formula-looking input cell belongs to the user: --escape-formulas api leaves it alone.
    expect(cell(out.header, out.enriched.find((r) => r[0] === "r39")!, "telefone")).toBe("=1+1");

    const errors = errorsById(out);
    expect([...errors.keys()]).toEqual(["r29", "r30", "r31", "r32"]);
    expect(errors.get("r29")).toMatchObject({ code: "PROFILE_NOT_FOUND", retryable: "false", row: "29" });
    expect(errors.get("r30")).toMatchObject({ code: "MULTIPLE_MATCHES", retryable: "false", row: "30" });
    expect(errors.get("r31")).toMatchObject({ code: "INSUFFICIENT_DATA", retryable: "false", row: "31" });
    expect(errors.get("r32")).toMatchObject({ code: "INVALID_ROW", retryable: "false", row: "32" });
    for (const { message } of errors.values()) expect(message).toMatch(/^[^\n]+\.$/);

    const stats = sandbox.stats();
    // 40 rows: 1 invalid, 2 duplicates -> 37 distinct people, 3 of whom fail (uncharged on the batch endpoint).
    expect(stats.profilesReceived).toBe(37);
    expect(stats.creditsDebited).toBe(34);
    expect(out.summary).toMatchObject({
      rows: 40,
      enriched: 36,
      failed: 3,
      invalid: 1,
      duplicates: 2,
      profiles_sent: 37,
      credits_used: 34,
      exit_code: 0,
      errors_by_code: { PROFILE_NOT_FOUND: 1, MULTIPLE_MATCHES: 1, INSUFFICIENT_DATA: 1, INVALID_ROW: 1 },
    });
    const sent = proxy.batches.flatMap((b) => b.profiles);
    expect(sent).toHaveLength(37);
    expect(sent.some((p) => p.primeiro_nome === "Eduardo")).toBe(false);
  });

  it("keeps quotes, commas, line breaks, NFD accents, emoji, leading zeros and CRLF input intact", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const header = ["id", "primeiro_nome", "ultimo_nome", "empresa", "nota", "telefone", "cep"];
    const data = [
      ["r1", 'Ana "Aninha"', "Souza", "Natura, &Co", 'diz "olá", tchau', "+55 11 3079-1000", "01310-100"],
      [
        "r2",
        "Jose\u0301",
        "Conceic\u0327a\u0303o",
        "Ambev",
        "linha 1\nlinha 2",
        "+55 (21) 9 8765-4321",
        "00123",
      ],
      ["r3", "Zoë", "D'Ávila", "Café ☕ Ltda", "emoji 🚀 ok", " 011 ", "  "],
      ["r4", "Bia", "Lopes", "WEG", "", "", ""],
      ["r5", "Caio", "Reis", "  Totvs  ", "tab\there", "'0800", "="],
    ];
    const rows = [header, ...data];
    const csv = `${rows.map((r) => r.map((v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(",")).join("\r\n")}\r\n`;
    const input = s.tmp.file("tricky.csv");
    writeFileSync(input, csv);

    const result = await enrich(input, [], env);
    expect(result.code).toBe(0);
    const out = readOutputs(s.tmp.dir, "tricky");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched).toHaveLength(5);
    // The NFD spelling survives in the output even though the API was sent whatever the client chose.
    expect(out.enriched[1]![1]).toBe("Jose\u0301");
    expect(out.enriched[1]![2]).toBe("Conceic\u0327a\u0303o");
    expect(sandbox.stats().profilesReceived).toBe(5);
    expect(sandbox.stats().creditsDebited).toBe(5);
    expect(readFileSync(input, "utf8")).toBe(csv);
  });
});

describe("fluence enrich: duplicates and invalid rows", () => {
  it("sends each distinct person once and gives every duplicate the same outcome", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const proxy = await s.proxy(sandbox.url);
    const rows = idRows([
      ["primeiro_nome", "ultimo_nome", "empresa", "contexto_adicional", "origem"],
      ["Ana", "Souza", "Natura", "", "crm"],
      ["Pedro", "Dias", "Empresa Fantasma", "", "crm"],
      [" ANA ", "souza", "NATURA", "", "feira"],
      ["José", "Lopes", "Homônimos SA", "", "site"],
      ["Ana", "Souza", "Natura", "  ", "indicação"],
      ["Jose\u0301", "Lopes", "Homônimos SA", "", "linkedin"],
      ["pedro", "DIAS", "empresa  fantasma", "", "site"],
      ["Joao", "Silva", "Itaú", "", "crm"],
      ["João", "Silva", "Itaú", "", "crm"],
      ["Rui", "Maia", "Vale", "diretor", "crm"],
      ["Rui", "Maia", "Vale", "", "crm"],
      ["Rui", "Maia", "Vale", "Diretor", "evento"],
    ]);
    const input = writeCsv(s.tmp.file("dups.csv"), rows);

    const result = await enrich(input, ["--batch-size", "3", "--concurrency", "2"], {
      ...env,
      FLUENCE_BASE_URL: proxy.url,
    });
    expect(result.code).toBe(0);
    const out = readOutputs(s.tmp.dir, "dups");
    expectEveryRowOnce(rows, out, expect);

    // Distinct: Ana, Pedro, José Lopes (NFC = NFD), Joao, João (accents differ), Rui+diretor, Rui.
    const sent = proxy.batches.flatMap((b) => b.profiles);
    const keys = sent.map((p) =>
      JSON.stringify([p.primeiro_nome, p.ultimo_nome, p.empresa, p.contexto_adicional ?? ""]),
    );
    expect(sent).toHaveLength(7);
    expect(new Set(keys).size).toBe(7);
    expect(sandbox.stats().profilesReceived).toBe(7);
    expect(out.summary.duplicates).toBe(5);
    expect(out.summary.rows).toBe(12);

    const fluence = (id: string) => {
      const row = out.enriched.find((r) => r[0] === id);
      expect(row, `${id} enriched`).toBeDefined();
      return row!.slice(rows[0]!.length);
    };
    expect(fluence("r3")).toEqual(fluence("r1"));
    expect(fluence("r5")).toEqual(fluence("r1"));
    expect(fluence("r12")).toEqual(fluence("r10"));
    expect(fluence("r1")[0]).not.toBe("");
    const errors = errorsById(out);
    expect(errors.get("r2")?.code).toBe("PROFILE_NOT_FOUND");
    expect(errors.get("r7")?.code).toBe("PROFILE_NOT_FOUND");
    expect(errors.get("r2")?.message).toBe(errors.get("r7")?.message);
    expect(errors.get("r4")?.code).toBe("MULTIPLE_MATCHES");
    expect(errors.get("r6")?.code).toBe("MULTIPLE_MATCHES");
    expect([...errors.keys()]).toEqual(["r2", "r4", "r6", "r7"]);
    expect(out.summary.enriched).toBe(8);
    expect(out.summary.failed).toBe(4);
    // Duplicates are free: only the 5 distinct successes were charged.
    expect(sandbox.stats().creditsDebited).toBe(5);
    expect(out.summary.credits_used).toBe(5);
  });

  it("never sends a row with an empty required field and reports it as INVALID_ROW", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const proxy = await s.proxy(sandbox.url);
    const rows = idRows([
      ["primeiro_nome", "ultimo_nome", "empresa", "email"],
      ["Ana", "Souza", "Natura", "a@x.br"],
      ["", "Vazio", "Natura", "b@x.br"],
      ["Bia", "   ", "Ambev", "c@x.br"],
      ["Caio", "Reis", "\t", "d@x.br"],
      ["Davi", "Luz", "Vale", "e@x.br"],
      ["  ", "", "", "f@x.br"],
      ["Eva", "Melo", "WEG", ""],
    ]);
    const input = writeCsv(s.tmp.file("invalid.csv"), rows);

    const result = await enrich(input, [], { ...env, FLUENCE_BASE_URL: proxy.url });
    expect(result.code).toBe(0);
    const out = readOutputs(s.tmp.dir, "invalid");
    expectEveryRowOnce(rows, out, expect);
    const errors = errorsById(out);
    expect([...errors.keys()]).toEqual(["r2", "r3", "r4", "r6"]);
    for (const id of ["r2", "r3", "r4", "r6"]) {
      expect(errors.get(id)).toMatchObject({ code: "INVALID_ROW", retryable: "false" });
    }
    expect(errors.get("r2")?.message).toMatch(/primeiro_nome/);
    expect(errors.get("r3")?.message).toMatch(/ultimo_nome/);
    expect(errors.get("r4")?.message).toMatch(/empresa/);
    expect(errors.get("r6")?.message).toMatch(/primeiro_nome.*ultimo_nome.*empresa/);

    const sent = proxy.batches.flatMap((b) => b.profiles);
    expect(sent.map((p) => p.primeiro_nome)).toEqual(["Ana", "Davi", "Eva"]);
    expect(sandbox.stats().profilesReceived).toBe(3);
    expect(sandbox.stats().statuses["400"]).toBeUndefined();
    expect(out.summary).toMatchObject({ rows: 7, enriched: 3, invalid: 4, failed: 0, profiles_sent: 3 });
  });
});

describe("fluence enrich: header matching", () => {
  it("matches headers ignoring case, spaces and accents, and keeps them as written", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const proxy = await s.proxy(sandbox.url);
    const rows = [
      ["id", "  PRIMEIRO_NOME ", "Último Nome", " Empresa", "Contexto_Adicional", "Cidade"],
      ["r1", "José", "Lopes", "Homônimos SA", "diretor financeiro", "Recife"],
      ["r2", "Ana", "Lima", "Natura", "", "Natal"],
    ];
    const input = writeCsv(s.tmp.file("pt.csv"), rows);
    const result = await enrich(input, [], { ...env, FLUENCE_BASE_URL: proxy.url });
    expect(result.code).toBe(0);
    const out = readOutputs(s.tmp.dir, "pt");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched).toHaveLength(2);
    expect(proxy.batches.flatMap((b) => b.profiles)).toEqual([
      {
        primeiro_nome: "José",
        ultimo_nome: "Lopes",
        empresa: "Homônimos SA",
        contexto_adicional: "diretor financeiro",
      },
      { primeiro_nome: "Ana", ultimo_nome: "Lima", empresa: "Natura" },
    ]);
    expect(sandbox.stats().creditsDebited).toBe(2);
  });

  it("accepts the English aliases first_name, last_name, company and context", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const proxy = await s.proxy(sandbox.url);
    const rows = [
      ["id", "First Name", "LAST_NAME", "company ", "Context"],
      ["r1", "Maria", "Homem", "Homonimos Ltd", "CTO"],
      ["r2", "Lia", "Paz", "Acme", ""],
    ];
    const input = writeCsv(s.tmp.file("en.csv"), rows);
    const result = await enrich(input, [], { ...env, FLUENCE_BASE_URL: proxy.url });
    expect(result.code).toBe(0);
    const out = readOutputs(s.tmp.dir, "en");
    expectEveryRowOnce(rows, out, expect);
    expect(out.errors).toHaveLength(0);
    expect(proxy.batches.flatMap((b) => b.profiles)).toEqual([
      { primeiro_nome: "Maria", ultimo_nome: "Homem", empresa: "Homonimos Ltd", contexto_adicional: "CTO" },
      { primeiro_nome: "Lia", ultimo_nome: "Paz", empresa: "Acme" },
    ]);
    expect(sandbox.stats().profilesReceived).toBe(2);
  });

  it("exits 2 naming the columns it found when a required column is missing, before any request", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const input = writeCsv(s.tmp.file("nolast.csv"), [
      ["first_name", "company", "email"],
      ["Ana", "Natura", "a@x.br"],
    ]);
    const result = await enrich(input, [], env);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ultimo_nome/);
    expect(lines[0]).toMatch(/"first_name", "company", "email"/);
    expect(result.stdout).toBe("");
    expect(sandbox.stats().requests["POST /crm_basico_batch"]).toBeUndefined();
    expect(sandbox.stats().creditsDebited).toBe(0);
    for (const name of ["nolast.enriched.csv", "nolast.errors.csv", "nolast.summary.json"]) {
      expect(() => readFileSync(s.tmp.file(name))).toThrow();
    }
  });
});

describe("fluence enrich: the errors file is a valid input", () => {
  it("retries the MULTIPLE_MATCHES row once it has contexto_adicional, ignoring fluence_* columns", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const rows = fixtureRowsWithIds();
    const input = writeCsv(s.tmp.file("leads.csv"), rows);
    expect((await enrich(input, [], env)).code).toBe(0);
    const first = readOutputs(s.tmp.dir, "leads");
    expect(first.errors).toHaveLength(4);

    // The user adds a contexto_adicional column and fills it for the ambiguous person only.
    const errorsHeader = first.errorsHeader;
    const retryRows = [
      [...errorsHeader, "contexto_adicional"],
      ...first.errors.map((row) => [
        ...row,
        cell(errorsHeader, row, "fluence_error_code") === "MULTIPLE_MATCHES"
          ? "diretor comercial em São Paulo"
          : "",
      ]),
    ];
    const retry = writeCsv(s.tmp.file("retry.csv"), retryRows);
    const proxy = await s.proxy(sandbox.url);
    sandbox.resetStats();
    const result = await enrich(retry, [], { ...env, FLUENCE_BASE_URL: proxy.url });
    expect(result.code).toBe(0);

    const out = readOutputs(s.tmp.dir, "retry");
    const inputColumns = [...rows[0]!, "contexto_adicional"];
    expect(out.enrichedHeader).toEqual([...inputColumns, ...OUTPUT_COLUMNS]);
    expect(out.errorsHeader).toEqual([
      ...inputColumns,
      "fluence_row",
      "fluence_error_code",
      "fluence_error",
      "fluence_retryable",
    ]);
    expect(out.enriched.map((r) => r[0])).toEqual(["r30"]);
    expect(out.enriched[0]!.slice(0, rows[0]!.length)).toEqual(rows[30]);
    expect(cell(out.enrichedHeader, out.enriched[0]!, "fluence_cargo")).not.toBe("");
    const errors = errorsById(out);
    expect([...errors.keys()]).toEqual(["r29", "r31", "r32"]);
    expect(errors.get("r29")).toMatchObject({ code: "PROFILE_NOT_FOUND", row: "1" });
    expect(errors.get("r31")).toMatchObject({ code: "INSUFFICIENT_DATA", row: "3" });
    expect(errors.get("r32")).toMatchObject({ code: "INVALID_ROW", row: "4" });
    expect(out.summary).toMatchObject({ rows: 4, enriched: 1, invalid: 1, duplicates: 0 });

    const sent = proxy.batches.flatMap((b) => b.profiles);
    expect(sent).toContainEqual({
      primeiro_nome: "José",
      ultimo_nome: "Lopes",
      empresa: "Homônimos Ltda",
      contexto_adicional: "diretor comercial em São Paulo",
    });
    expect(sent.some((p) => p.primeiro_nome === "Eduardo")).toBe(false);
    // No fluence_* value ever travels to the API as context or otherwise.
    expect(JSON.stringify(sent)).not.toMatch(/PROFILE_NOT_FOUND|MULTIPLE_MATCHES|INSUFFICIENT_DATA/);
    expect(sandbox.stats().creditsDebited).toBe(1);
  });
});
