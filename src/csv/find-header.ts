import { UserError } from "../user-error.js";
import { looksLikeHeader } from "./column-mapping.js";
import type { RawRecord } from "./parse-records.js";

/** Rows a preamble may take before the header: a title, notes, a report's date and filter lines. */
const PREAMBLE_RECORDS = 30;

/**
 * The header row: the one at --header-row, else the first row (of the first PREAMBLE_RECORDS) that names a
 * person and a company, else the first non-blank row (whose columns the mapping's error then lists).
 */
export async function findHeaderIn(
  rows: AsyncIterable<RawRecord>,
  displayName: string,
  headerRow: number | undefined,
): Promise<RawRecord & { recognised: boolean }> {
  let first: RawRecord | undefined;
  let seen = 0;
  for await (const record of rows) {
    if (headerRow !== undefined) {
      if (record.line === headerRow) return { ...record, recognised: true };
      if (record.line > headerRow) break;
      continue;
    }
    first ??= record;
    if (looksLikeHeader(record.fields)) return { ...record, recognised: true };
    if (++seen >= PREAMBLE_RECORDS) break;
  }
  if (headerRow !== undefined) {
    throw new UserError(
      `--header-row ${headerRow}: line ${headerRow} of ${displayName} is blank, inside a quoted value or past the end; give the line where the column names are.`,
    );
  }
  if (first === undefined)
    throw new UserError(`${displayName} has no header row: it holds only blank lines.`);
  return { ...first, recognised: false };
}
