import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../helpers/cli-harness.js";
import { CsvWorld, readTable } from "./csv-kit.js";

/**
 * Workbooks fluence writes, read back by another program (openpyxl, Debian's python3-openpyxl) cell by
 * cell and compared with the CSV the same input gives with --format csv.
 */
const PYTHON = "/usr/bin/python3";
const READ = `
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
print(json.dumps({
  "sheets": wb.sheetnames,
  "freeze": ws.freeze_panes,
  "filter": ws.auto_filter.ref,
  "types": sorted({c.data_type for row in ws.iter_rows() for c in row if c.value is not None}),
  "rows": [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)],
}))
`;

interface Book {
  sheets: string[];
  freeze: string;
  filter: string;
  types: string[];
  rows: string[][];
}

function readWorkbook(file: string): Book {
  return JSON.parse(execFileSync(PYTHON, ["-c", READ, file], { encoding: "utf8" })) as Book;
}

function openpyxlPresent(): boolean {
  try {
    execFileSync(PYTHON, ["-c", "import openpyxl"]);
    return true;
  } catch {
    return false;
  }
}

let world: CsvWorld;
beforeAll(async () => {
  world = await CsvWorld.start();
});
afterAll(async () => {
  await world.release();
});

describe.skipIf(!existsSync(PYTHON) || !openpyxlPresent())("workbooks out, read back by openpyxl", () => {
  it("a workbook in gives <name>.enriched.xlsx and .errors.xlsx with the CSV's rows, header frozen and filterable", async () => {
    const input = world.file("leads.xlsx");
    copyFileSync(path.join(FIXTURES, "crm", "leads.xlsx"), input);
    const xlsx = await world.run(input, ["--sheet", "Leads", "--no-store"]);
    expect(xlsx.code, xlsx.stderr).toBe(0);
    const csv = await world.run(input, ["--sheet", "Leads", "--no-store", "--format", "csv"]);
    expect(csv.code, csv.stderr).toBe(0);

    const book = readWorkbook(world.out("leads.enriched.xlsx"));
    const table = readTable(world.out("leads.enriched.csv"));
    expect(book.sheets).toEqual(["Enriched"]);
    expect(book.freeze).toBe("A2");
    expect(book.filter).toBe(`A1:${String.fromCharCode(64 + table.header.length)}1`);
    expect(book.types).toEqual(["s"]);
    expect(book.rows).toEqual([table.header, ...table.rows]);
    expect(book.rows[1]!.slice(0, 7)).toEqual([
      "Conceição",
      "Araújo",
      "Pão de Açúcar",
      "5511987654321",
      "2026-03-14",
      "1234.5",
      "2469",
    ]);
    const errors = readWorkbook(world.out("leads.errors.xlsx"));
    expect(errors.sheets).toEqual(["Errors"]);
    expect(errors.rows).toEqual([readTable(world.out("leads.errors.csv")).header]);
  });

  it("--format xlsx: a value that looks like a formula is a text cell, shown as typed, never a formula", async () => {
    const input = world.input(
      "danger.csv",
      'First Name,Last Name,Company\nAna,Souza,"=HYPERLINK(""http://x.example"",""Acme"")"\nBo,=1+1,Acme\n',
    );
    const result = await world.run(input, ["--format", "xlsx", "--no-store"]);
    expect(result.code, result.stderr).toBe(0);
    const book = readWorkbook(world.out("danger.enriched.xlsx"));
    expect(book.types).toEqual(["s"]);
    expect(book.rows.map((row) => row.slice(0, 3))).toEqual([
      ["First Name", "Last Name", "Company"],
      ["Ana", "Souza", '=HYPERLINK("http://x.example","Acme")'],
      ["Bo", "=1+1", "Acme"],
    ]);
  });
});
