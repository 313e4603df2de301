import type { ProfileInput } from "../api/types.js";

export const MAX_FIELD_LENGTH = 200;
export const MAX_BATCH_SIZE = 10;
const REQUIRED = ["primeiro_nome", "ultimo_nome", "empresa"] as const;
// C0, DEL and C1: none belongs in a name or company, and they are how CSV/terminal injection starts.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

export type ProfileCheck =
  | { ok: true; profile: ProfileInput; blankField: string | undefined }
  | { ok: false; message: string };

export type JsonParse = { ok: true; value: unknown } | { ok: false };

export function parseJson(raw: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks one profile as the API would before doing any work. A present but blank required field is not a
 * malformed request: it is reported in `blankField` so the batch endpoint can fail just that profile.
 * `label` prefixes messages, e.g. "profiles[3]" gives "profiles[3].empresa is required".
 */
export function checkProfile(value: unknown, label: string): ProfileCheck {
  const at = (field: string) => (label ? `${label}.${field}` : field);
  if (!isPlainObject(value)) return { ok: false, message: `${label || "Body"} must be a JSON object` };
  for (const field of REQUIRED) {
    const fieldValue = value[field];
    if (fieldValue === undefined || fieldValue === null) {
      return { ok: false, message: `${at(field)} is required` };
    }
    if (typeof fieldValue !== "string") return { ok: false, message: `${at(field)} must be a string` };
  }
  const context = value.contexto_adicional;
  if (context !== undefined && context !== null && typeof context !== "string") {
    return { ok: false, message: `${at("contexto_adicional")} must be a string` };
  }
  for (const [field, fieldValue] of Object.entries(value)) {
    if (typeof fieldValue !== "string") continue;
    if ([...fieldValue].length > MAX_FIELD_LENGTH) {
      return { ok: false, message: `${at(field)} is longer than ${MAX_FIELD_LENGTH} characters` };
    }
    if (CONTROL.test(fieldValue)) return { ok: false, message: `${at(field)} contains a control character` };
  }
  const profile: ProfileInput = {
    primeiro_nome: value.primeiro_nome as string,
    ultimo_nome: value.ultimo_nome as string,
    empresa: value.empresa as string,
  };
  if (typeof context === "string") profile.contexto_adicional = context;
  const blankField = REQUIRED.find((field) => profile[field].trim() === "");
  return { ok: true, profile, blankField };
}
