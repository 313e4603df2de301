import { UserError } from "../user-error.js";
import { looksLikeHeader } from "./column-mapping.js";
import type { RawRecord } from "./parse-records.js";

/** Rows a preamble may take before the header: a title, notes, a report's date and filter lines. */
const PREAMBLE_RECORDS = 30;

/** Data rows read with the header: what decides a full-name column and what --dry-run shows. */
export const SAMPLE_ROWS = 50;

export interface FoundHeader extends RawRecord {
  /** False when no row looked like a header and the first row was taken. */
  recognised: boolean;
  /** Up to SAMPLE_ROWS data rows after the header, as read. */
  sample: string[][];
}

/**
 * The header row: the one at --header-row, else the first row (of the first PREAMBLE_RECORDS) that names a
 * person and a company, else the first non-blank row (whose columns the mapping's error then lists). The
 * first data rows come from the same pass: for a workbook, every pass may inflate the whole file.
 */
export async function findHeaderIn(
  rows: AsyncIterable<RawRecord>,
  displayName: string,
  headerRow: number | undefined,
): Promise<FoundHeader> {
  const iterator = rows[Symbol.asyncIterator]();
  const read: RawRecord[] = [];
  const sample: string[][] = [];
  let header: RawRecord | undefined;
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      const record = next.value;
      if (header !== undefined) {
        sample.push(record.fields);
        if (sample.length >= SAMPLE_ROWS) break;
      } else if (headerRow !== undefined) {
        if (record.line === headerRow) header = record;
        else if (record.line > headerRow) break;
      } else {
        read.push(record);
        if (looksLikeHeader(record.fields)) header = record;
        else if (read.length >= PREAMBLE_RECORDS) break;
      }
    }
  } finally {
    await iterator.return?.();
  }
  // A forced line counts as recognised only when it names a person and a company: else the caller may
  // try other delimiters on it (the first line, sniffed for one, may be a preamble's).
  if (header !== undefined) {
    return { ...header, recognised: headerRow === undefined || looksLikeHeader(header.fields), sample };
  }
  if (headerRow !== undefined) {
    throw new UserError(
      `--header-row ${headerRow}: line ${headerRow} of ${displayName} is blank, inside a quoted value or past the end; give the line where the column names are.`,
    );
  }
  const first = read[0];
  if (first === undefined)
    throw new UserError(`${displayName} has no header row: it holds only blank lines.`);
  return { ...first, recognised: false, sample: read.slice(1, 1 + SAMPLE_ROWS).map((r) => r.fields) };
}
