/**
 * Shows any JSON value field by field, for responses whose shape differs from what CONTRACT.md assumes:
 * the user sees everything the API sent, and nothing crashes on an unexpected type.
 */
export function renderFields(value: unknown, indent = "  "): string[] {
  if (value === null || typeof value !== "object") return [`${indent}${scalar(value)}`];
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== "object"))
      return [`${indent}${value.map(scalar).join(" | ")}`];
    return value.flatMap((v, i) => [`${indent}[${i}]`, ...renderFields(v, `${indent}  `)]);
  }
  const lines: string[] = [];
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== null && typeof v === "object" && !isFlatArray(v)) {
      lines.push(`${indent}${key}:`);
      lines.push(...renderFields(v, `${indent}  `));
    } else {
      lines.push(`${indent}${key}: ${Array.isArray(v) ? v.map(scalar).join(" | ") : scalar(v)}`);
    }
  }
  return lines;
}

function isFlatArray(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => x === null || typeof x !== "object");
}

function scalar(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === undefined) return "";
  return JSON.stringify(v);
}
