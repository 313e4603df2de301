import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CSV_FIXTURES, CsvWorld, objects, readJsonl, readTable, type Table, UTF8_BOM } from "./csv-kit.js";
import { ERROR_COLUMNS, OUTPUT_COLUMNS } from "./enrich-helpers.js";

let world: CsvWorld | undefined;
afterEach(async () => {
  await world?.release();
  world = undefined;
});

// OWASP CSV injection starters, including the full-width forms Excel also honours.
const TRIGGER = /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;

const USER_HEADER = ["id", "nome", "sobrenome", "empresa", "telefone", "nota"];
// "Hostil" makes the sandbox answer with formula bait; "Fantasma" ends in the errors file.
const USER_ROWS = [
  ["r1", "Ana", "Souza", "Hostil SA", "+55 11 99999-0000", "=1+1"],
  ["r2", "Bia", "Reis", "Acme", "-5", "@SUM(A1)"],
  ["r3", "Caio", "Lima", "Hostil Ltda", "＝1+1", "＋55"],
  ["r4", "Davi", "Alves", "Fantasma SA", "=2+2", "\tcom tab"],
];
const ENRICHED_IDS = ["r1", "r2", "r3"];
const HOSTILE_IDS = new Set(["r1", "r3"]);

function hostileCsv(): string {
  const cell = (v: string) => (/[",\n\r\t]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return `${[USER_HEADER, ...USER_ROWS].map((r) => r.map(cell).join(",")).join("\n")}\n`;
}

interface HostileRun {
  enriched: Table;
  errors: Table;
}

async function hostileRun(args: string[]): Promise<HostileRun> {
  world = await CsvWorld.start();
  const input = world.input("leads.csv", hostileCsv());
  const result = await world.run(input, args);
  expect(result.code, result.stderr).toBe(0);
  expect(world.sandbox.stats().profilesSucceeded).toBe(3);
  expect(world.sandbox.stats().profilesReceived).toBe(4);
  return {
    enriched: readTable(world.out("leads.enriched.csv")),
    errors: readTable(world.out("leads.errors.csv")),
  };
}

function userCells(table: Table): string[][] {
  return table.rows.map((r) => r.slice(0, USER_HEADER.length));
}

function apiCells(table: Table): string[][] {
  return table.rows.map((r) => r.slice(USER_HEADER.length));
}

const expectedEscape = (v: string) => (TRIGGER.test(v) ? `'${v}` : v);

describe("formula injection, both ways", () => {
  it("default (api): API cells that start a formula get one leading quote; user input stays byte-for-byte", async () => {
    const { enriched, errors } = await hostileRun([]);
    expect(enriched.header).toEqual([...USER_HEADER, ...OUTPUT_COLUMNS]);
    expect(userCells(enriched)).toEqual(USER_ROWS.filter((r) => ENRICHED_IDS.includes(r[0]!)));
    expect(userCells(errors)).toEqual([USER_ROWS[3]]);
    // The raw line proves the phone number and "=1+1" were written as typed, and the cargo escaped once.
    const text = enriched.bytes.toString("utf8");
    expect(text).toContain(
      `\nr1,Ana,Souza,Hostil SA,+55 11 99999-0000,=1+1,"'=HYPERLINK(""http://evil.example"",""CEO"")",'\tTab lead,'+cmd|`,
    );

    for (const row of objects(enriched)) {
      if (!HOSTILE_IDS.has(row.id!)) {
        for (const name of OUTPUT_COLUMNS)
          expect(row[name]!.startsWith("'"), `${row.id} ${name}`).toBe(false);
        continue;
      }
      expect(row.fluence_cargo).toBe(`'=HYPERLINK("http://evil.example","CEO")`);
      expect(row.fluence_tipo_stakeholder).toBe("'\tTab lead");
      expect(row.fluence_dores!.startsWith("'+cmd|' /C calc'!A0 | ")).toBe(true);
      expect(row.fluence_ganhos_procurados!.startsWith("'-2+3 | ")).toBe(true);
      expect(row.fluence_linguagem_impacto!.startsWith("'@SUM(1+1) | ")).toBe(true);
      // The whole analysis stays valid JSON (it starts with "{"), full-width ＝ inside included.
      const analise = JSON.parse(row.fluence_analise!) as Record<string, unknown>;
      expect(analise).toMatchObject({
        cargo: '=HYPERLINK("http://evil.example","CEO")',
        area: "＝SUM(A1:A9)",
      });
    }
    for (const row of objects(errors)) {
      expect(row.fluence_error_code).toBe("PROFILE_NOT_FOUND");
      expect(TRIGGER.test(row.fluence_error!)).toBe(false);
    }
  });

  it("default (api) escapes exactly the API cells that start a formula, compared with an unescaped run", async () => {
    const api = await hostileRun([]);
    await world!.release();
    const none = await hostileRun(["--escape-formulas", "none"]);
    expect(apiCells(api.enriched)).toEqual(apiCells(none.enriched).map((row) => row.map(expectedEscape)));
    expect(apiCells(api.errors)).toEqual(apiCells(none.errors).map((row) => row.map(expectedEscape)));
    expect(userCells(api.enriched)).toEqual(userCells(none.enriched));
  });

  it("--escape-formulas all escapes the user's cells too (full-width and tab included), in both outputs", async () => {
    const { enriched, errors } = await hostileRun(["--escape-formulas", "all"]);
    const escaped = (ids: string[]) =>
      USER_ROWS.filter((r) => ids.includes(r[0]!)).map((r) => r.map(expectedEscape));
    expect(userCells(enriched)).toEqual(escaped(ENRICHED_IDS));
    expect(userCells(enriched)[0]).toEqual([
      "r1",
      "Ana",
      "Souza",
      "Hostil SA",
      "'+55 11 99999-0000",
      "'=1+1",
    ]);
    expect(userCells(enriched)[2]!.slice(4)).toEqual(["'＝1+1", "'＋55"]);
    expect(userCells(errors)).toEqual([["r4", "Davi", "Alves", "Fantasma SA", "'=2+2", "'\tcom tab"]]);
    expect(objects(enriched)[0]!.fluence_cargo).toBe(`'=HYPERLINK("http://evil.example","CEO")`);
  });

  it("--escape-formulas none escapes nothing", async () => {
    const { enriched, errors } = await hostileRun(["--escape-formulas", "none"]);
    expect(userCells(enriched)).toEqual(USER_ROWS.slice(0, 3));
    expect(userCells(errors)).toEqual([USER_ROWS[3]]);
    const r1 = objects(enriched)[0]!;
    expect(r1.fluence_cargo).toBe('=HYPERLINK("http://evil.example","CEO")');
    expect(r1.fluence_tipo_stakeholder).toBe("\tTab lead");
    expect(r1.fluence_ganhos_procurados!.startsWith("-2+3 | ")).toBe(true);
  });
});

describe("--format jsonl", () => {
  it("one object per line with the same fields and values as the CSV, never escaped", async () => {
    const csv = await hostileRun(["--escape-formulas", "none"]);
    await world!.release();
    world = await CsvWorld.start();
    const input = world.input("leads.csv", hostileCsv());
    const result = await world.run(input, ["--format", "jsonl"]);
    expect(result.code, result.stderr).toBe(0);
    expect(world.sandbox.stats().profilesSucceeded).toBe(3);

    const enriched = readJsonl(world.out("leads.enriched.jsonl"));
    expect(enriched).toEqual(objects(csv.enriched));
    expect(enriched.map((o) => Object.keys(o))).toEqual(
      ENRICHED_IDS.map(() => [...USER_HEADER, ...OUTPUT_COLUMNS]),
    );
    expect(enriched[0]).toMatchObject({
      telefone: "+55 11 99999-0000",
      nota: "=1+1",
      fluence_cargo: '=HYPERLINK("http://evil.example","CEO")',
    });
    const errors = readJsonl(world.out("leads.errors.jsonl"));
    expect(errors).toEqual(objects(csv.errors));
    expect(Object.keys(errors[0]!)).toEqual([...USER_HEADER, ...ERROR_COLUMNS]);
    expect(errors[0]).toMatchObject({
      nota: "\tcom tab",
      fluence_row: "4",
      fluence_error_code: "PROFILE_NOT_FOUND",
    });
    expect(world.summary("leads").outputs).toMatchObject({
      enriched: world.out("leads.enriched.jsonl"),
      errors: world.out("leads.errors.jsonl"),
    });
  });

  it("multi-line values stay on one line; duplicate headers become name and name_2; ragged rows keep their place", async () => {
    world = await CsvWorld.start();
    const input = world.input(
      "dup.csv",
      'Nome,Sobrenome,Empresa,Email,Email\nAna,Souza,Acme,"a@x.com\r\nb@y.com",c@z.com\nBia,Reis\n',
    );
    const result = await world.run(input, ["--format", "jsonl", "--bom"]);
    expect(result.code, result.stderr).toBe(0);
    const raw = readFileSync(world.out("dup.enriched.jsonl"));
    // A BOM is for Excel and CSV only: JSON Lines readers would choke on it.
    expect(raw.subarray(0, 3).equals(UTF8_BOM)).toBe(false);
    expect(raw.toString("utf8").split("\n")).toHaveLength(2);
    const [row] = readJsonl(world.out("dup.enriched.jsonl"));
    expect(row).toMatchObject({ Nome: "Ana", Email: "a@x.com\r\nb@y.com", Email_2: "c@z.com" });
    const errors = readJsonl(world.out("dup.errors.jsonl"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      Nome: "Bia",
      Sobrenome: "Reis",
      Empresa: "",
      Email: "",
      Email_2: "",
      fluence_row: "2",
    });
    expect(errors[0]!.fluence_error_code).toBe("INVALID_ROW");
    expect(world.sandbox.stats().profilesReceived).toBe(1);
  });
});

describe("--bom", () => {
  it("the CSV outputs start with EF BB BF and then the first header name, untouched; the summary has none", async () => {
    world = await CsvWorld.start();
    const input = world.input("pt.csv", readFileSync(path.join(CSV_FIXTURES, "excel-semicolon-pt.csv")));
    const result = await world.run(input, ["--bom"]);
    expect(result.code, result.stderr).toBe(0);
    for (const name of ["pt.enriched.csv", "pt.errors.csv"]) {
      const bytes = readFileSync(world.out(name));
      expect(bytes.subarray(0, 3).equals(UTF8_BOM), name).toBe(true);
      expect(bytes.subarray(3, 3 + "Nome;".length).toString("utf8"), name).toBe("Nome;");
      expect(bytes.subarray(3).includes(UTF8_BOM), name).toBe(false);
    }
    expect(readTable(world.out("pt.enriched.csv"), ";").rows.map((r) => r[2])).toEqual([
      "Itaú Unibanco",
      "Magazine Luiza",
    ]);
    expect(readFileSync(world.out("pt.summary.json"))[0]).toBe("{".charCodeAt(0));
    expect(world.sandbox.stats().profilesSucceeded).toBe(2);
  });

  it("without --bom no output starts with a BOM", async () => {
    world = await CsvWorld.start();
    const input = world.input("plain.csv", "Nome,Sobrenome,Empresa\nAna,Souza,Acme\n");
    const result = await world.run(input);
    expect(result.code, result.stderr).toBe(0);
    for (const name of ["plain.enriched.csv", "plain.errors.csv"]) {
      expect(readFileSync(world.out(name)).subarray(0, 4).toString("utf8"), name).toBe("Nome");
    }
  });
});
