import { stringify } from "csv-stringify/sync";
import { type FormulaEscape, neutralizeFormula } from "./formula.js";

export type RowFormatter = (values: string[]) => string;

// csv-stringify quotes a cell holding the delimiter, a quote or "\n"; a lone "\r" and edge spaces or tabs
// (which some readers trim) need quoting too, so the round trips through other readers keep them.
const ALSO_QUOTED = /^[ \t]|[ \t]$|\r/;

/** One CSV line (with "\n") through csv-stringify; cells at index >= `escapeFrom` are formula-escaped. */
export function csvRowFormatter(delimiter: string, escapeFrom: number): RowFormatter {
  const options = { delimiter, record_delimiter: "unix", quoted_match: ALSO_QUOTED, eof: true } as const;
  return (values) => {
    const cells =
      escapeFrom === Number.POSITIVE_INFINITY
        ? values
        : values.map((v, i) => (i >= escapeFrom ? neutralizeFormula(v) : v));
    const line = stringify([cells], options);
    // A lone empty cell would make a blank line, which readers skip: quote it so the row survives.
    return line === "\n" ? '""\n' : line;
  };
}

/** First index whose cells get escaped under `mode`. */
export function escapeStart(mode: FormulaEscape, apiColumnsFrom: number): number {
  if (mode === "all") return 0;
  if (mode === "api") return Math.max(0, apiColumnsFrom);
  return Number.POSITIVE_INFINITY;
}

/** JSON keys for a header: duplicates become name_2, name_3... (skipping names the header already has). */
export function uniqueKeys(header: string[]): string[] {
  const taken = new Set(header);
  const seen = new Set<string>();
  return header.map((name) => {
    if (!seen.has(name)) {
      seen.add(name);
      return name;
    }
    let n = 2;
    while (taken.has(`${name}_${n}`) || seen.has(`${name}_${n}`)) n++;
    const key = `${name}_${n}`;
    seen.add(key);
    return key;
  });
}

/** One JSON object per line, keyed by the de-duplicated header; values are never escaped. */
export function jsonlRowFormatter(header: string[]): RowFormatter {
  const keys = uniqueKeys(header).map((key) => `${JSON.stringify(key)}:`);
  return (values) => {
    let line = "{";
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) line += ",";
      line += keys[i]! + JSON.stringify(values[i]);
    }
    return `${line}}\n`;
  };
}
