/**
 * Full names in one column: when a column holds them, and how one is split.
 *
 * The split keeps everything after the first word together, so Portuguese and other particles stay with
 * the surname ("Maria dos Santos" -> "Maria" / "dos Santos"), and so do suffixes ("Filho", "Neto", "Jr.").
 * A compound first name ("Ana Maria Souza") lands partly in the surname, which the API tolerates better
 * than a missing one. A name that starts with a particle ("de Souza") has no first name to take: the whole
 * value becomes the surname and the row goes to the errors file, missing primeiro_nome.
 */

/** Lower-case particles that belong to the surname that follows them. */
export const SURNAME_PARTICLES: ReadonlySet<string> = new Set([
  "da",
  "das",
  "de",
  "do",
  "dos",
  "e",
  "d'",
  "del",
  "della",
  "di",
  "du",
  "van",
  "von",
  "der",
  "den",
  "ter",
]);

export function splitFullName(value: string): { first: string; last: string } {
  const words = value
    .trim()
    .split(/\s+/u)
    .filter((word) => word !== "");
  if (words.length === 0) return { first: "", last: "" };
  if (SURNAME_PARTICLES.has(words[0]!.toLowerCase())) return { first: "", last: words.join(" ") };
  return { first: words[0]!, last: words.slice(1).join(" ") };
}

/**
 * True when most of the non-empty sampled values hold two words or more: a column of first names has a
 * few compound ones ("Ana Maria") but not a majority. With no values at all there is nothing to decide
 * from, and a column named like a full name is taken as one.
 */
export function holdsFullNames(values: readonly string[]): boolean {
  const present = values.map((value) => value.trim()).filter((value) => value !== "");
  if (present.length === 0) return true;
  const withSpace = present.filter((value) => /\s/u.test(value)).length;
  return withSpace * 2 > present.length;
}
