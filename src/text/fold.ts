/**
 * Text folding shared by every stage that compares what people typed: the fingerprint of a person,
 * header matching and the sandbox's reserved names all have to agree on when two strings are "the same".
 */

/** NFC, trimmed, inner whitespace collapsed to one space, case-folded. Accents are kept: "Sá" and "Sa" differ. */
export function foldValue(value: string | undefined | null): string {
  if (value === undefined || value === null) return "";
  // toLowerCase, not toLocaleLowerCase("pt-BR"): identical for Portuguese and several times faster on
  // the hot path of million-row files.
  return value.normalize("NFC").trim().replace(/\s+/gu, " ").toLowerCase();
}

/** Like foldValue, and also drops accents and treats "_", "-" and "." as spaces: for matching header names. */
export function foldLoose(value: string | undefined | null): string {
  return foldValue(value)
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .replace(/[\s_.-]+/gu, " ")
    .trim();
}
