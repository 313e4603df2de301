import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCsvInput } from "../../src/csv/index.js";
import { cellText } from "../../src/xlsx/index.js";
import { FIXTURES, makeTempDir, readAll } from "./helpers.js";

const CRM = join(FIXTURES, "../crm");

describe("workbooks made by openpyxl (fixtures/crm/generate.py)", () => {
  it("--sheet picks the sheet; the preamble is skipped; values are as the user sees them", async () => {
    const input = await openCsvInput(join(CRM, "leads.xlsx"), { sheet: "leads" });
    try {
      expect(input.info).toMatchObject({
        format: "xlsx",
        headerLine: 3,
        header: ["Nome", "Sobrenome", "Empresa", "Telefone", "Criado em", "Valor", "Total"],
      });
      const rows = (await readAll(input)).map((r) => [r.row, r.line, r.fields]);
      expect(rows).toEqual([
        [1, 4, ["Conceição", "Araújo", "Pão de Açúcar", "5511987654321", "2026-03-14", "1234.5", "2469"]],
        [2, 5, ["José", "Ñúñez", "Itaú", "", "2026-03-15T09:30:00", "0.1", "0.2"]],
        [3, 6, ["Ana", "Souza", "Acme", "5521912345678", "", "10", "20"]],
      ]);
    } finally {
      await input.close();
    }
  });

  it("the first sheet by default; an unknown --sheet names the sheets there are", async () => {
    const input = await openCsvInput(join(CRM, "leads.xlsx"));
    try {
      expect(input.info.header).toEqual(["Exportado do CRM em 05/12/2026"]);
    } finally {
      await input.close();
    }
    await expect(openCsvInput(join(CRM, "leads.xlsx"), { sheet: "Plan1" })).rejects.toThrow(
      'has no sheet named "Plan1"; its sheets: "Notas", "Leads".',
    );
  });
});

describe("files that are not what their name says", () => {
  const tmp = makeTempDir();
  afterAll(tmp.cleanup);

  it("an .xlsx renamed .csv is read as the workbook it is", async () => {
    const renamed = join(tmp.dir, "export.csv");
    copyFileSync(join(CRM, "hubspot.xlsx"), renamed);
    const input = await openCsvInput(renamed);
    try {
      expect(input.info.format).toBe("xlsx");
      expect((await readAll(input)).map((r) => r.fields)).toEqual([
        ["John", "Smith", "Contoso, Ltd.", "15550100"],
        ["Ana", "Souza", "Itaú"],
      ]);
    } finally {
      await input.close();
    }
  });

  it("an old .xls or an encrypted workbook (OLE2), whatever its name: one sentence", async () => {
    const renamed = join(tmp.dir, "locked.xlsx");
    copyFileSync(join(CRM, "old-binary.xls"), renamed);
    for (const file of [join(CRM, "old-binary.xls"), renamed]) {
      await expect(openCsvInput(file)).rejects.toMatchObject({
        exitCode: 2,
        message: expect.stringMatching(
          /is an old Excel \.xls workbook or a password-protected one, which fluence cannot read; save it in Excel as \.xlsx/,
        ),
      });
    }
  });

  it("a file that only claims to be a workbook (not a ZIP): one sentence", async () => {
    await expect(openCsvInput(join(CRM, "fake.xlsx"))).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/is named like an Excel workbook but is not one \(not a ZIP file\)/),
    });
  });

  it("a broken ZIP: one sentence advising to save it again", async () => {
    const broken = join(tmp.dir, "broken.xlsx");
    writeFileSync(broken, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(64, 1)]));
    const input = openCsvInput(broken);
    await expect(input).rejects.toThrow(
      /could not be read as an Excel workbook .*save it again as \.xlsx or CSV/,
    );
  });
});

describe("cellText", () => {
  it("numbers keep their digits, dates become ISO 8601, formulas their cached value", () => {
    expect(cellText(5511987654321)).toBe("5511987654321");
    expect(cellText(0.1 + 0.2)).toBe("0.3");
    expect(cellText(new Date(Date.UTC(2026, 2, 14)))).toBe("2026-03-14");
    expect(cellText({ formula: "A1*2", result: 4 })).toBe("4");
    expect(cellText({ richText: [{ text: "Ação " }, { text: "Ltda" }] })).toBe("Ação Ltda");
    expect(cellText(true)).toBe("TRUE");
    expect(cellText(null)).toBe("");
  });
});
