import { isUtf8 } from "node:buffer";
import { copyFileSync, existsSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  analiseOf,
  BATCH_ROUTE,
  CSV_FIXTURES,
  CsvWorld,
  column,
  objects,
  readTable,
  strayFiles,
  UTF8_BOM,
} from "./csv-kit.js";

let world: CsvWorld | undefined;
afterEach(async () => {
  await world?.release();
  world = undefined;
});

interface EncodedCase {
  fixture: string;
  delimiter: string;
  header: string[];
  rows: string[][];
}

// The decoded text of each fixture, as fixtures/csv/generate-fixtures.cjs writes it.
const UTF16_ROWS = [
  ["José", "Muñoz", "Ação Ltda"],
  ["王", "小明", "北京 €"],
];
const CASES: EncodedCase[] = [
  {
    fixture: "windows-1252.csv",
    delimiter: ";",
    header: ["Nome", "Sobrenome", "Empresa", "Observação"],
    // 0x80 is €, 0x93/0x94 are “ ”: the bytes Node's own windows-1252 TextDecoder gets wrong.
    rows: [
      ["João", "Conceição", "Café & Cia", "Preço 10 € “ótimo”"],
      ["Inês", "Müller", "Ação Ltda", "Pão de Açúcar"],
    ],
  },
  { fixture: "utf16le-bom.csv", delimiter: ",", header: ["Nome", "Sobrenome", "Empresa"], rows: UTF16_ROWS },
  { fixture: "utf16be-bom.csv", delimiter: ",", header: ["Nome", "Sobrenome", "Empresa"], rows: UTF16_ROWS },
  {
    fixture: "utf16le-no-bom.csv",
    delimiter: ",",
    header: ["Nome", "Sobrenome", "Empresa"],
    rows: UTF16_ROWS,
  },
  {
    fixture: "utf8-bom.csv",
    delimiter: ",",
    header: ["First Name", "Last Name", "Company Name"],
    rows: [["Zoë", "Ørsted", "Café Ñandú"]],
  },
];

describe("input encodings through the CLI", () => {
  for (const c of CASES) {
    it(`${c.fixture}: UTF-8 outputs with the exact accented originals, and the API got the decoded names`, async () => {
      world = await CsvWorld.start();
      const input = path.join(world.file(c.fixture));
      copyFileSync(path.join(CSV_FIXTURES, c.fixture), input);
      const base = c.fixture.replace(/\.csv$/, "");

      const result = await world.run(input);
      expect(result.code, result.stderr).toBe(0);

      const enriched = readTable(world.out(`${base}.enriched.csv`), c.delimiter);
      expect(isUtf8(enriched.bytes)).toBe(true);
      // No --bom: the input's BOM is neither copied nor leaked into the first header name.
      expect(enriched.bytes.subarray(0, 3).equals(UTF8_BOM)).toBe(false);
      expect(enriched.header.slice(0, c.header.length)).toEqual(c.header);
      expect(enriched.rows.map((row) => row.slice(0, c.header.length))).toEqual(c.rows);
      const errors = readTable(world.out(`${base}.errors.csv`), c.delimiter);
      expect(isUtf8(errors.bytes)).toBe(true);
      expect(errors.header.slice(0, c.header.length)).toEqual(c.header);
      expect(errors.rows).toEqual([]);

      expect(world.sent().map((p) => [p.primeiro_nome, p.ultimo_nome, p.empresa])).toEqual(
        c.rows.map((r) => r.slice(0, 3)),
      );
      for (const [i, row] of objects(enriched).entries()) {
        expect(String(analiseOf(row).resumo)).toContain(`${c.rows[i]![0]} ${c.rows[i]![1]}`);
      }
      const stats = world.sandbox.stats();
      expect(stats.profilesSucceeded).toBe(c.rows.length);
      expect(stats.creditsDebited).toBe(c.rows.length);
      expect(world.summary(base)).toMatchObject({ rows: c.rows.length, enriched: c.rows.length, failed: 0 });
    });
  }

  it("a file that is ASCII until a 0xE7 on its 60,000th row is decoded as Windows-1252 throughout", async () => {
    world = await CsvWorld.start();
    const lines = ["id;Nome;Sobrenome;Empresa"];
    // The same person 59,999 times: one profile to send, while the file is ~1.2 MB (past every sniffing window).
    for (let i = 1; i < 60_000; i++) lines.push(`${i};Ana;Souza;Acme`);
    lines.push("60000;Jo\u00e3o;Concei\u00e7\u00e3o;Cia");
    const input = world.input("late.csv", Buffer.from(`${lines.join("\r\n")}\r\n`, "latin1"));

    // About 6 s on an idle machine; the margin is for a busy one.
    const result = await world.run(input, [], 100_000);
    expect(result.code, result.stderr).toBe(0);

    const enriched = readTable(world.out("late.enriched.csv"), ";");
    expect(isUtf8(enriched.bytes)).toBe(true);
    expect(enriched.rows).toHaveLength(60_000);
    expect(enriched.rows.at(-1)!.slice(0, 4)).toEqual(["60000", "João", "Conceição", "Cia"]);
    expect(enriched.rows[0]!.slice(0, 4)).toEqual(["1", "Ana", "Souza", "Acme"]);
    expect(column(enriched, "id")).toEqual(Array.from({ length: 60_000 }, (_, i) => String(i + 1)));
    expect(world.sent()).toEqual([
      { primeiro_nome: "Ana", ultimo_nome: "Souza", empresa: "Acme" },
      { primeiro_nome: "João", ultimo_nome: "Conceição", empresa: "Cia" },
    ]);
    expect(world.sandbox.stats().profilesSucceeded).toBe(2);
    expect(world.summary("late")).toMatchObject({
      rows: 60_000,
      enriched: 60_000,
      duplicates: 59_998,
      profiles_sent: 2,
    });
  }, 120_000);

  it('Excel "Unicode text" (UTF-16LE with BOM, tabs, CRLF, .txt) keeps tabs and accents', async () => {
    world = await CsvWorld.start();
    const text = 'Nome\tSobrenome\tEmpresa\tNotas\r\nJosé\tMuñoz\tAção, Ltda\t"várias\r\nlinhas"\r\n';
    const input = world.input(
      "excel-unicode.txt",
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]),
    );

    const result = await world.run(input);
    expect(result.code, result.stderr).toBe(0);
    const enriched = readTable(world.out("excel-unicode.enriched.csv"), "\t");
    expect(enriched.header.slice(0, 4)).toEqual(["Nome", "Sobrenome", "Empresa", "Notas"]);
    expect(enriched.rows.map((r) => r.slice(0, 4))).toEqual([
      ["José", "Muñoz", "Ação, Ltda", "várias\r\nlinhas"],
    ]);
    expect(world.sent()).toEqual([{ primeiro_nome: "José", ultimo_nome: "Muñoz", empresa: "Ação, Ltda" }]);
    expect(world.sandbox.stats().profilesSucceeded).toBe(1);
  });

  it("bytes that are neither UTF-8 nor Windows-1252 (0x81): exit 2 naming the line, nothing sent", async () => {
    world = await CsvWorld.start();
    const input = world.input(
      "bad.csv",
      Buffer.from("Nome,Sobrenome,Empresa\nAna,Souza,Acme\nBia,Reis,Be\x81ta\n", "latin1"),
    );

    const result = await world.run(input);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/neither UTF-8 nor Windows-1252 \(see line 3\)/);
    expect(strayFiles(world.outDir, [])).toEqual([]);
    expect(world.sandbox.stats().requests[BATCH_ROUTE] ?? 0).toBe(0);
  });

  it("--encoding windows-1252 overrides detection of a valid UTF-8 file (decoded as asked)", async () => {
    world = await CsvWorld.start();
    const input = world.input("utf8.csv", "Nome,Sobrenome,Empresa\nJoão,Sá,Ação\n");

    const result = await world.run(input, ["--encoding", "windows-1252"]);
    expect(result.code, result.stderr).toBe(0);

    const enriched = readTable(world.out("utf8.enriched.csv"));
    expect(enriched.rows.map((r) => r.slice(0, 3))).toEqual([["JoÃ£o", "SÃ¡", "AÃ§Ã£o"]]);
    expect(world.sent()).toEqual([{ primeiro_nome: "JoÃ£o", ultimo_nome: "SÃ¡", empresa: "AÃ§Ã£o" }]);
    expect(world.sandbox.stats().profilesSucceeded).toBe(1);
  });

  it("--encoding utf-16 on a UTF-16BE file with a BOM takes the byte order from the BOM", async () => {
    world = await CsvWorld.start();
    const input = world.file("be.csv");
    copyFileSync(path.join(CSV_FIXTURES, "utf16be-bom.csv"), input);

    const result = await world.run(input, ["--encoding", "utf-16"]);
    expect(result.code, result.stderr).toBe(0);
    expect(readTable(world.out("be.enriched.csv")).rows.map((r) => r.slice(0, 3))).toEqual(UTF16_ROWS);
    expect(world.sandbox.stats().profilesSucceeded).toBe(2);
  });

  it("--encoding utf-8 on a Windows-1252 file: exit 2 naming the line, nothing sent, no outputs", async () => {
    world = await CsvWorld.start();
    const input = world.file("w.csv");
    copyFileSync(path.join(CSV_FIXTURES, "windows-1252.csv"), input);

    const result = await world.run(input, ["--encoding", "utf-8"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/line 1 is not valid utf-8/);
    expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(strayFiles(world.outDir, [])).toEqual([]);
    expect(world.sandbox.stats().requests[BATCH_ROUTE] ?? 0).toBe(0);
  });

  it("an unknown --encoding name: exit 2 with one sentence, nothing sent", async () => {
    world = await CsvWorld.start();
    const input = world.input("a.csv", "Nome,Sobrenome,Empresa\nAna,Souza,Acme\n");

    const result = await world.run(input, ["--encoding", "klingon-8"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown or unsupported encoding "klingon-8"/);
    expect(existsSync(world.out("a.enriched.csv"))).toBe(false);
    expect(world.sandbox.stats().requests[BATCH_ROUTE] ?? 0).toBe(0);
  });
});
