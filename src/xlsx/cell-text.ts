/**
 * A cell's value as the user sees it in the spreadsheet, as text: what a CSV export of the sheet would
 * hold. Numbers keep every digit (a phone stored as 5511987654321 never becomes 5.51E+12) and lose the
 * binary noise Excel hides (15 significant digits, like Excel's own display); dates become ISO 8601
 * (a date alone when there is no time of day); a formula gives its cached value.
 */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number") return numberText(value);
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (value instanceof Date) return dateText(value);
  if (typeof value === "object") {
    const v = value as Record<string, unknown>;
    if ("result" in v) return cellText(v.result);
    if ("formula" in v || "sharedFormula" in v) return "";
    if (Array.isArray(v.richText))
      return v.richText.map((run: { text?: unknown }) => String(run.text ?? "")).join("");
    if ("text" in v) return cellText(v.text);
    if ("error" in v) return String(v.error);
  }
  return String(value);
}

function numberText(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const shown = Number(value.toPrecision(15));
  if (Math.abs(shown) >= 1e21) return BigInt(Math.round(shown)).toString();
  // Below 1e-6 String() switches to exponent notation; Excel's General format would too.
  return String(shown);
}

function dateText(value: Date): string {
  if (Number.isNaN(value.getTime())) return "";
  const iso = value.toISOString();
  // Spreadsheet dates have no zone: the reader hands them over as UTC wall-clock times.
  if (iso.endsWith("T00:00:00.000Z")) return iso.slice(0, 10);
  return iso.endsWith(".000Z") ? iso.slice(0, 19) : iso.slice(0, 23);
}
