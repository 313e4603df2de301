import { copyFileSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CSV_FIXTURES, CsvWorld, column, objects, readTable } from "./csv-kit.js";
import { ERROR_COLUMNS, OUTPUT_COLUMNS } from "./enrich-helpers.js";

let world: CsvWorld | undefined;
afterEach(async () => {
  await world?.release();
  world = undefined;
});

async function runFixture(fixture: string, args: string[] = []): Promise<CsvWorld> {
  world = await CsvWorld.start();
  const input = world.file(fixture);
  copyFileSync(path.join(CSV_FIXTURES, fixture), input);
  const result = await world.run(input, args);
  expect(result.code, result.stderr).toBe(0);
  return world;
}

function lines(file: string): string[] {
  return readFileSync(file, "utf8").split("\n");
}

describe("delimiters through the CLI", () => {
  it("a ';' Excel export keeps ';' in both outputs, and the phone number is untouched", async () => {
    const w = await runFixture("excel-semicolon-pt.csv");
    const header = ["Nome", "Sobrenome", "Empresa", "E-mail", "Telefone"];
    expect(lines(w.out("excel-semicolon-pt.enriched.csv"))[0]).toBe([...header, ...OUTPUT_COLUMNS].join(";"));
    expect(lines(w.out("excel-semicolon-pt.errors.csv"))[0]).toBe([...header, ...ERROR_COLUMNS].join(";"));
    const enriched = readTable(w.out("excel-semicolon-pt.enriched.csv"), ";");
    expect(enriched.rows.map((r) => r.slice(0, 5))).toEqual([
      ["Ana", "Souza", "Itaú Unibanco", "ana.souza@itau.com.br", "+55 11 91234-5678"],
      ["José", "da Silva", "Magazine Luiza", "jose@magalu.com.br", "+55 16 3333-4444"],
    ]);
    expect(enriched.rows.every((r) => r.length === header.length + OUTPUT_COLUMNS.length)).toBe(true);
    expect(lines(w.out("excel-semicolon-pt.enriched.csv"))[1]).toMatch(
      /^Ana;Souza;Itaú Unibanco;ana\.souza@itau\.com\.br;\+55 11 91234-5678;/,
    );
    expect(w.sandbox.stats().profilesSucceeded).toBe(2);
  });

  it("a tab-separated file keeps tabs; a comma inside a value needs no quotes", async () => {
    const w = await runFixture("tab-delimited.tsv");
    const out = w.out("tab-delimited.enriched.csv");
    expect(lines(out)[0]).toBe(["first_name", "last_name", "company", ...OUTPUT_COLUMNS].join("\t"));
    expect(lines(out)[1]).toMatch(/^Maria\tOliveira\tNatura, Cosméticos\t/);
    expect(lines(w.out("tab-delimited.errors.csv"))[0]).toBe(
      ["first_name", "last_name", "company", ...ERROR_COLUMNS].join("\t"),
    );
    expect(w.sent()).toEqual([
      { primeiro_nome: "Maria", ultimo_nome: "Oliveira", empresa: "Natura, Cosméticos" },
    ]);
    expect(w.sandbox.stats().profilesSucceeded).toBe(1);
  });

  it("--out-delimiter , turns a tab file into a comma file, quoting the value that holds a comma", async () => {
    const w = await runFixture("tab-delimited.tsv", ["--out-delimiter", ","]);
    const out = w.out("tab-delimited.enriched.csv");
    expect(lines(out)[0]).toBe(["first_name", "last_name", "company", ...OUTPUT_COLUMNS].join(","));
    expect(lines(out)[1]).toMatch(/^Maria,Oliveira,"Natura, Cosméticos",/);
    expect(lines(w.out("tab-delimited.errors.csv"))[0]).toBe(
      ["first_name", "last_name", "company", ...ERROR_COLUMNS].join(","),
    );
    expect(readTable(out).rows[0]!.slice(0, 3)).toEqual(["Maria", "Oliveira", "Natura, Cosméticos"]);
  });

  it("a '|' file is sniffed and kept; the ' | '-joined list cells are quoted so no column splits", async () => {
    world = await CsvWorld.start();
    const input = world.input("pipe.csv", "Nome|Sobrenome|Empresa\nAna|Souza|Acme, Inc.\n");
    const result = await world.run(input);
    expect(result.code, result.stderr).toBe(0);
    const enriched = readTable(world.out("pipe.enriched.csv"), "|");
    expect(enriched.header).toEqual(["Nome", "Sobrenome", "Empresa", ...OUTPUT_COLUMNS]);
    expect(enriched.rows).toHaveLength(1);
    expect(enriched.rows[0]).toHaveLength(3 + OUTPUT_COLUMNS.length);
    const row = objects(enriched)[0]!;
    expect(row.Empresa).toBe("Acme, Inc.");
    expect(row.fluence_dores).toContain(" | ");
    expect(JSON.parse(row.fluence_analise!)).toMatchObject({ cargo: row.fluence_cargo });
    expect(world.sent()).toEqual([{ primeiro_nome: "Ana", ultimo_nome: "Souza", empresa: "Acme, Inc." }]);
  });
});

describe("quoting, line breaks and blank lines round-trip", () => {
  it("quoted newlines, embedded quotes and delimiters come back exactly; the row the API refuses is isolated", async () => {
    const w = await runFixture("quoted-newlines.csv");
    const enriched = readTable(w.out("quoted-newlines.enriched.csv"));
    expect(enriched.rows.map((r) => r.slice(0, 4))).toEqual([["Bia", "Reis", "Beta; Gama", "a,b;c|d"]]);
    const errors = readTable(w.out("quoted-newlines.errors.csv"));
    // "Souza\nLima" holds a control character the API refuses: that row alone fails, with its values intact.
    expect(errors.rows).toHaveLength(1);
    expect(errors.rows[0]!.slice(0, 5)).toEqual([
      "Ana",
      "Souza\nLima",
      "Acme, Inc.",
      'She said "hi"\r\nthen left',
      "1",
    ]);
    expect(column(errors, "fluence_error_code")).toEqual(["BAD_REQUEST"]);
    expect(errors.bytes.toString("utf8")).toContain('"She said ""hi""\r\nthen left"');
    expect(w.sandbox.stats().profilesSucceeded).toBe(1);
    expect(w.sandbox.stats().creditsDebited).toBe(1);
  });

  it("values with CRLF, quotes and delimiters in passthrough columns round-trip into the enriched output", async () => {
    world = await CsvWorld.start();
    const notes = ["linha 1\r\nlinha 2", 'diz "oi", tchau', "a;b,c", "  espaços  ", "\ttab", 'só "aspas"'];
    const body = notes.map((n, i) => `P${i},S${i},Empresa ${i},"${n.replace(/"/g, '""')}"`).join("\r\n");
    const input = world.input("mixed.csv", `Nome,Sobrenome,Empresa,Notas\r\n${body}\r\n`);
    const result = await world.run(input);
    expect(result.code, result.stderr).toBe(0);
    const enriched = readTable(world.out("mixed.enriched.csv"));
    expect(column(enriched, "Notas")).toEqual(notes);
    expect(column(enriched, "Nome")).toEqual(notes.map((_, i) => `P${i}`));
    expect(world.sandbox.stats().profilesSucceeded).toBe(notes.length);
  });

  it("a CRLF file: no stray \\r in any value", async () => {
    const w = await runFixture("crlf.csv");
    const enriched = readTable(w.out("crlf.enriched.csv"));
    expect(enriched.header.slice(0, 3)).toEqual(["Nome", "Sobrenome", "Empresa"]);
    expect(enriched.rows.map((r) => r.slice(0, 3))).toEqual([
      ["Ana", "Souza", "Acme"],
      ["Bia", "Reis", "Beta"],
    ]);
    expect(w.sent()).toEqual([
      { primeiro_nome: "Ana", ultimo_nome: "Souza", empresa: "Acme" },
      { primeiro_nome: "Bia", ultimo_nome: "Reis", empresa: "Beta" },
    ]);
  });

  it("a header-only file: exit 0, both outputs hold just their header, nothing sent", async () => {
    world = await CsvWorld.start();
    const input = world.input("empty.csv", "\uFEFFNome;Sobrenome;Empresa\r\n\r\n");
    const result = await world.run(input);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(world.out("empty.enriched.csv"), "utf8")).toBe(
      `${["Nome", "Sobrenome", "Empresa", ...OUTPUT_COLUMNS].join(";")}\n`,
    );
    expect(readFileSync(world.out("empty.errors.csv"), "utf8")).toBe(
      `${["Nome", "Sobrenome", "Empresa", ...ERROR_COLUMNS].join(";")}\n`,
    );
    expect(world.summary("empty")).toMatchObject({ rows: 0, enriched: 0, failed: 0, exit_code: 0 });
    expect(world.sandbox.stats().requests["POST /crm_basico_batch"] ?? 0).toBe(0);
  });

  it("blank, whitespace-only and ';;' lines are skipped, not counted, not errors", async () => {
    const w = await runFixture("trailing-blank-lines.csv");
    const enriched = readTable(w.out("trailing-blank-lines.enriched.csv"), ";");
    expect(enriched.rows.map((r) => r.slice(0, 3))).toEqual([
      ["Ana", "Souza", "Acme"],
      ["Bia", "Reis", "Beta"],
    ]);
    expect(readTable(w.out("trailing-blank-lines.errors.csv"), ";").rows).toEqual([]);
    expect(w.summary("trailing-blank-lines")).toMatchObject({ rows: 2, enriched: 2, invalid: 0, failed: 0 });
    expect(w.sandbox.stats().profilesReceived).toBe(2);
  });
});

describe("ragged rows and duplicate headers", () => {
  it("too few / too many fields: INVALID_ROW with the line number, no shifted columns, others enriched", async () => {
    const w = await runFixture("ragged-rows.csv");
    const header = ["Nome", "Sobrenome", "Empresa", "Cargo", "Cidade"];
    const enriched = readTable(w.out("ragged-rows.enriched.csv"));
    expect(enriched.rows.map((r) => r.slice(0, 5))).toEqual([
      ["Ana", "Souza", "Acme", "CEO", "São Paulo"],
      ["Davi", "Alves", "Delta", "COO", "Recife"],
    ]);
    const errors = readTable(w.out("ragged-rows.errors.csv"));
    expect(errors.header).toEqual([...header, ...ERROR_COLUMNS]);
    expect(errors.rows.every((r) => r.length === header.length + ERROR_COLUMNS.length)).toBe(true);
    const rows = objects(errors);
    expect(rows.map((r) => [r.Nome, r.Sobrenome, r.Empresa, r.Cargo, r.Cidade])).toEqual([
      ["Bia", "Reis", "Beta", "CTO", ""],
      ["Caio", "Lima", "Gama", "CFO", "Rio"],
    ]);
    expect(rows.map((r) => [r.fluence_row, r.fluence_error_code, r.fluence_retryable])).toEqual([
      ["2", "INVALID_ROW", "false"],
      ["3", "INVALID_ROW", "false"],
    ]);
    expect(rows[0]!.fluence_error).toMatch(/line 3 has 4 fields, the header has 5/i);
    expect(rows[1]!.fluence_error).toMatch(/line 4 has 6 fields, the header has 5/i);
    expect(w.sent().map((p) => p.primeiro_nome)).toEqual(["Ana", "Davi"]);
    expect(w.sandbox.stats().profilesReceived).toBe(2);
    expect(w.summary("ragged-rows")).toMatchObject({
      rows: 4,
      enriched: 2,
      invalid: 2,
      errors_by_code: { INVALID_ROW: 2 },
    });
  });

  it("line numbers count physical lines: after a quoted line break and a blank line", async () => {
    world = await CsvWorld.start();
    const input = world.input(
      "lines.csv",
      'Nome,Sobrenome,Empresa,Notas\nAna,Souza,Acme,"linha1\nlinha2"\n\nBia,Reis\nCaio,Lima,Gama,ok\n',
    );
    const result = await world.run(input);
    expect(result.code, result.stderr).toBe(0);
    const errors = objects(readTable(world.out("lines.errors.csv")));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      Nome: "Bia",
      Sobrenome: "Reis",
      Empresa: "",
      Notas: "",
      fluence_row: "2",
    });
    expect(errors[0]!.fluence_error).toMatch(/line 5 has 2 fields, the header has 4/i);
    const enriched = readTable(world.out("lines.enriched.csv"));
    expect(column(enriched, "Notas")).toEqual(["linha1\nlinha2", "ok"]);
    expect(world.sandbox.stats().profilesReceived).toBe(2);
  });

  it("duplicate header names stay two columns with both values, in both outputs", async () => {
    const w = await runFixture("duplicate-headers.csv");
    const header = ["First Name", "Last Name", "Company", "Email", "Email"];
    const enriched = readTable(w.out("duplicate-headers.enriched.csv"));
    expect(enriched.header).toEqual([...header, ...OUTPUT_COLUMNS]);
    expect(column(enriched, "Email", 0)).toEqual(["ana@acme.com"]);
    expect(column(enriched, "Email", 1)).toEqual(["ana.souza@gmail.com"]);
    expect(readTable(w.out("duplicate-headers.errors.csv")).header).toEqual([...header, ...ERROR_COLUMNS]);
    expect(w.sent()).toEqual([{ primeiro_nome: "Ana", ultimo_nome: "Souza", empresa: "Acme" }]);
    expect(w.sandbox.stats().profilesSucceeded).toBe(1);
  });
});
