import { UserError } from "../user-error.js";

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** "30d", "12h", "90m", "45s", "2w" or plain "0" to milliseconds; anything else is a usage error. */
export function parseAge(text: string): number {
  const trimmed = text.trim();
  if (trimmed === "0") return 0;
  const match = /^(\d{1,12})([smhdw])$/u.exec(trimmed);
  const unit = match ? UNIT_MS[match[2]!] : undefined;
  if (!match || unit === undefined) {
    throw new UserError(`"${text}" is not a valid age; use e.g. 30d, 12h or 0.`);
  }
  const ms = Number(match[1]) * unit;
  if (!Number.isSafeInteger(ms)) {
    throw new UserError(`"${text}" is not a valid age; use e.g. 30d, 12h or 0.`);
  }
  return ms;
}
