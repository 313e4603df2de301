import type { Readable } from "node:stream";
import { WorkbookReader } from "@cj-tech-master/excelts";
import { UserError } from "../user-error.js";
import { cellText } from "./cell-text.js";

export interface SheetRow {
  /** Cell texts from column A on; trailing empty cells may be absent. */
  fields: string[];
  /** 1-based row number as the spreadsheet shows it. */
  line: number;
}

/**
 * Streams the non-blank rows of one sheet of an .xlsx/.xlsm: the first sheet, or the one named `sheet`
 * (case-insensitive). The workbook is read from `bytes` as it arrives: rows are handed on one at a time,
 * never the whole sheet. Shared strings are kept (they are the workbook's dictionary of texts), styles are
 * read because they are what tells a date from a number.
 */
export async function* sheetRows(
  bytes: Readable,
  displayName: string,
  sheet: string | undefined,
): AsyncGenerator<SheetRow> {
  const reader = new WorkbookReader(bytes as never, {
    worksheets: "emit",
    sharedStrings: "cache",
    styles: "cache",
    hyperlinks: "ignore",
    entries: "ignore",
  });
  const seen: string[] = [];
  let found = false;
  try {
    for await (const worksheet of reader) {
      const name = sheetName(reader, worksheet);
      seen.push(name);
      const firstName = reader.model?.sheets?.[0]?.name;
      const wanted =
        sheet !== undefined
          ? name.toLowerCase() === sheet.toLowerCase()
          : firstName !== undefined
            ? name === firstName
            : seen.length === 1;
      if (!wanted) {
        // Rows of a sheet not asked for are drained, not kept.
        for await (const _ of worksheet) {
        }
        continue;
      }
      found = true;
      for await (const row of worksheet) {
        const values = row.values as unknown[];
        const fields: string[] = [];
        for (let i = 1; i < values.length; i++) fields.push(cellText(values[i]));
        if (fields.some((field) => field.trim() !== "")) yield { fields, line: row.number };
      }
      break;
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(
      `${displayName} could not be read as an Excel workbook (${(error as Error).message}); open it in a spreadsheet and save it again as .xlsx or CSV.`,
      undefined,
      { cause: error },
    );
  } finally {
    bytes.destroy();
  }
  if (sheet !== undefined && !found) {
    throw new UserError(
      `${displayName} has no sheet named "${sheet}"; its sheets: ${seen.map((s) => `"${s}"`).join(", ")}.`,
    );
  }
  if (sheet === undefined && !found) throw new UserError(`${displayName} is a workbook with no sheet.`);
}

/**
 * The sheet's name as the workbook lists it. The reader matches a sheet to its name through the workbook's
 * relationships, and misses when they are written as absolute paths ("/xl/worksheets/sheet1.xml", as
 * openpyxl does): then the match is made here, by the normalised target.
 */
function sheetName(
  reader: WorkbookReader,
  worksheet: { name?: string; sheetNo?: number; id?: number | string },
): string {
  const sheetNo = worksheet.sheetNo ?? Number(worksheet.id);
  const wanted = `worksheets/sheet${sheetNo}.xml`;
  const rel = reader.workbookRels?.find((r) => r.Target.replace(/^\/?(xl\/)?/, "") === wanted);
  const listed = rel === undefined ? undefined : reader.model?.sheets?.find((s) => s.rId === rel.Id);
  return listed?.name ?? String(worksheet.name ?? "");
}
