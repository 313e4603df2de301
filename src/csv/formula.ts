/** Escaping of spreadsheet formulas in cells we write; see OWASP "CSV Injection". */
export type FormulaEscape = "all" | "api" | "none";

// = + - @ tab CR LF, and the full-width ＝ ＋ － ＠ that Excel also treats as formula starters.
const TRIGGER = /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;

/** Prefixes "'" when the value would start a formula in Excel, so it is shown as text. */
export function neutralizeFormula(value: string): string {
  return TRIGGER.test(value) ? `'${value}` : value;
}
