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
      const name = String(worksheet.name ?? "");
      seen.push(name);
      const wanted = sheet === undefined ? seen.length === 1 : name.toLowerCase() === sheet.toLowerCase();
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
      if (sheet === undefined) break;
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
