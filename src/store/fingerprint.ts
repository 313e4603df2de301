import { createHash } from "node:crypto";
import type { ProfileInput } from "../api/types.js";
import { foldValue } from "../text/fold.js";

/**
 * Identity of a person for the store: two rows that fold to the same four values are the same paid
 * lookup. The JSON array keeps field boundaries unambiguous ("a b"+"c" differs from "a"+"b c").
 * Returns sha256 as base64url (43 chars).
 */
export function fingerprint(profile: ProfileInput): string {
  const key = JSON.stringify([
    foldValue(profile.primeiro_nome),
    foldValue(profile.ultimo_nome),
    foldValue(profile.empresa),
    foldValue(profile.contexto_adicional ?? ""),
  ]);
  return createHash("sha256").update(key, "utf8").digest("base64url");
}
