import { describe, expect, it } from "vitest";
import { openCsvInput } from "../../src/csv/index.js";
import { fixture, readAll } from "./helpers.js";

async function load(name: string, options = {}) {
  const input = await openCsvInput(fixture(name), options);
  const records = await readAll(input);
  await input.close();
  return { info: input.info, records, rows: records.map((r) => r.fields) };
}

describe("openCsvInput on the fixtures", () => {
  it("windows-1252 with accents, € and curly quotes (0x80, 0x93, 0x94)", async () => {
    const { info, rows } = await load("windows-1252.csv");
    expect(info).toMatchObject({ encoding: "windows-1252", bom: false, delimiter: ";" });
    expect(info.header).toEqual(["Nome", "Sobrenome", "Empresa", "Observação"]);
    expect(rows).toEqual([
      ["João", "Conceição", "Café & Cia", "Preço 10 € “ótimo”"],
      ["Inês", "Müller", "Ação Ltda", "Pão de Açúcar"],
    ]);
  });

  const unicodeRows = [
    ["José", "Muñoz", "Ação Ltda"],
    ["王", "小明", "北京 €"],
  ];
  for (const [name, encoding, bom] of [
    ["utf16le-bom.csv", "utf-16le", true],
    ["utf16be-bom.csv", "utf-16be", true],
    ["utf16le-no-bom.csv", "utf-16le", false],
  ] as const) {
    it(`${name} decodes as ${encoding}`, async () => {
      const { info, rows } = await load(name);
      expect(info).toMatchObject({ encoding, bom, delimiter: "," });
      expect(info.header).toEqual(["Nome", "Sobrenome", "Empresa"]);
      expect(rows).toEqual(unicodeRows);
    });
  }

  it("UTF-8 with BOM: the BOM is not part of the first header name", async () => {
    const { info, rows } = await load("utf8-bom.csv");
    expect(info).toMatchObject({ encoding: "utf-8", bom: true, delimiter: "," });
    expect(info.header).toEqual(["First Name", "Last Name", "Company Name"]);
    expect(rows).toEqual([["Zoë", "Ørsted", "Café Ñandú"]]);
  });

  it("Excel ';' export with Portuguese headers keeps phone numbers exact", async () => {
    const { info, rows } = await load("excel-semicolon-pt.csv");
    expect(info).toMatchObject({ encoding: "utf-8", bom: false, delimiter: ";" });
    expect(info.header).toEqual(["Nome", "Sobrenome", "Empresa", "E-mail", "Telefone"]);
    expect(rows).toEqual([
      ["Ana", "Souza", "Itaú Unibanco", "ana.souza@itau.com.br", "+55 11 91234-5678"],
      ["José", "da Silva", "Magazine Luiza", "jose@magalu.com.br", "+55 16 3333-4444"],
    ]);
  });

  it("tab-delimited", async () => {
    const { info, rows } = await load("tab-delimited.tsv");
    expect(info.delimiter).toBe("\t");
    expect(info.header).toEqual(["first_name", "last_name", "company"]);
    expect(rows).toEqual([["Maria", "Oliveira", "Natura, Cosméticos"]]);
  });

  it("quoted line breaks, embedded quotes and delimiters, with start lines", async () => {
    const { records } = await load("quoted-newlines.csv");
    expect(records).toEqual([
      { row: 1, line: 2, fields: ["Ana", "Souza\nLima", "Acme, Inc.", 'She said "hi"\r\nthen left'] },
      { row: 2, line: 5, fields: ["Bia", "Reis", "Beta; Gama", "a,b;c|d"] },
    ]);
  });

  it("CRLF line endings leave no \\r in values", async () => {
    const { info, rows } = await load("crlf.csv");
    expect(info.header).toEqual(["Nome", "Sobrenome", "Empresa"]);
    expect(rows).toEqual([
      ["Ana", "Souza", "Acme"],
      ["Bia", "Reis", "Beta"],
    ]);
  });

  it("blank, whitespace-only and empty-field lines are skipped and not counted", async () => {
    const { records } = await load("trailing-blank-lines.csv");
    expect(records).toEqual([
      { row: 1, line: 3, fields: ["Ana", "Souza", "Acme"] },
      { row: 2, line: 6, fields: ["Bia", "Reis", "Beta"] },
    ]);
  });

  it("ragged rows are kept as read and flagged with their line", async () => {
    const { records } = await load("ragged-rows.csv");
    expect(records.map((r) => r.fields.length)).toEqual([5, 4, 6, 5]);
    expect(records[0]!.problem).toBeUndefined();
    expect(records[1]).toEqual({
      row: 2,
      line: 3,
      fields: ["Bia", "Reis", "Beta", "CTO"],
      problem: "line 3 has 4 fields, the header has 5",
    });
    expect(records[2]!.problem).toBe("line 4 has 6 fields, the header has 5");
    expect(records[3]!.fields).toEqual(["Davi", "Alves", "Delta", "COO", "Recife"]);
  });

  it("duplicate header names are kept apart", async () => {
    const { info, rows } = await load("duplicate-headers.csv");
    expect(info.header).toEqual(["First Name", "Last Name", "Company", "Email", "Email"]);
    expect(rows).toEqual([["Ana", "Souza", "Acme", "ana@acme.com", "ana.souza@gmail.com"]]);
  });

  it("English headers, quoted", async () => {
    const { info, rows } = await load("english-headers.csv");
    expect(info.header).toEqual(["First Name", "Last Name", "Company Name", "Context"]);
    expect(rows).toEqual([["John", "Smith", "Contoso, Ltd.", "VP Sales"]]);
  });

  it("records() can be read twice with the same result", async () => {
    const input = await openCsvInput(fixture("quoted-newlines.csv"));
    const first = await readAll(input);
    expect(await readAll(input)).toEqual(first);
    await input.close();
  });

  it("an unclosed quote is a UserError naming the line, not a crash", async () => {
    // Near the top of the file it shows while the header and the first rows are read, at open.
    await expect(openCsvInput(fixture("unclosed-quote.csv"))).rejects.toMatchObject({
      name: "UserError",
      exitCode: 2,
      message: expect.stringContaining("line 3"),
    });
  });
});
