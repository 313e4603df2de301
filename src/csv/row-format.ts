import { type FormulaEscape, neutralizeFormula } from "./formula.js";

export type RowFormatter = (values: string[]) => string;

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|-]/g, "\\$&");
}

/** Quotes a CSV cell only when needed: delimiter, quote, CR/LF, or leading/trailing space or tab. */
export function csvCellQuoter(delimiter: string): (value: string) => string {
  const needsQuotes = new RegExp(`${escapeRegExp(delimiter)}|["\\r\\n]|^[ \\t]|[ \\t]$`);
  return (value) => (needsQuotes.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
}

/** One CSV line (with "\n"); cells at index >= `escapeFrom` are formula-escaped. */
export function csvRowFormatter(delimiter: string, escapeFrom: number): RowFormatter {
  const quote = csvCellQuoter(delimiter);
  return (values) => {
    let line = "";
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      if (i > 0) line += delimiter;
      line += quote(i >= escapeFrom ? neutralizeFormula(value) : value);
    }
    // A lone empty cell would make a blank line, which readers skip: quote it so the row survives.
    return line === "" ? '""\n' : `${line}\n`;
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
