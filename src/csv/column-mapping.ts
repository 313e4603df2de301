import type { ProfileInput } from "../api/types.js";
import { foldLoose } from "../text/fold.js";
import { UserError } from "../user-error.js";
import { holdsFullNames, splitFullName } from "./full-name.js";
import { type AliasField, HEADER_ALIASES } from "./header-aliases.js";
import { matchHeaderWords } from "./header-words.js";

export interface ColumnMapping {
  /** Column index; absent when fullName is used. */
  primeiro_nome?: number;
  /** Column index; absent when fullName is used. */
  ultimo_nome?: number;
  empresa: number;
  contexto_adicional?: number;
  /** --full-name-column: split into first token / rest (heuristic). */
  fullName?: number;
  /**
   * Indexes of the input columns copied to outputs: all except those whose folded name starts with
   * "fluence " / "fluence_" (our own output columns, ignored on input so an errors file is a valid input).
   */
  passthrough: number[];
  /** How each field's column was chosen, for whoever shows the mapping (the dry run, the page). */
  matchedBy: Partial<Record<Field | "fullName", MatchReason>>;
  /**
   * One line for the user when the mapping made a choice they should know of: a full-name split, or a
   * column recognised by the words in its name rather than a known header.
   */
  notice?: string;
}

/**
 * `map`: --map or --full-name-column; `alias`: a header name fluence knows (header-aliases.ts); `words`:
 * the words in its name (header-words.ts); `full-name`: a column of full names, split.
 */
export type MatchReason =
  | { by: "map" }
  | { by: "alias" }
  | { by: "words"; words: string[] }
  | { by: "full-name" };

export interface ColumnMappingOptions {
  /** --map primeiro_nome=Nome (target field -> input header, matched loosely). Default: none. */
  map?: Record<string, string>;
  /** --full-name-column: one column holding "first last", split after the first word. Default: detect. */
  fullNameColumn?: string;
}

type Field = "primeiro_nome" | "ultimo_nome" | "empresa" | "contexto_adicional";

const FIELDS: readonly Field[] = ["primeiro_nome", "ultimo_nome", "empresa", "contexto_adicional"];

const FOLDED_ALIASES = new Map<AliasField, Set<string>>(
  (Object.keys(HEADER_ALIASES) as AliasField[]).map((field) => [
    field,
    new Set(HEADER_ALIASES[field].map((name) => foldLoose(name))),
  ]),
);

function isAlias(field: AliasField, foldedName: string): boolean {
  return FOLDED_ALIASES.get(field)!.has(foldedName);
}

function isOwnOutputColumn(name: string): boolean {
  return foldLoose(name).startsWith("fluence ");
}

function quoteList(header: string[]): string {
  return header.length === 0 ? "(no columns)" : header.map((name) => `"${name}"`).join(", ");
}

/**
 * True when a row names a person and a company the way a header does: how the header row is told apart
 * from a preamble (a title, notes, a report's date line) above it.
 */
export function looksLikeHeader(fields: string[]): boolean {
  const has = (field: AliasField) =>
    fields.some((name) => isAlias(field, foldLoose(name)) || matchHeaderWords(field, name) !== undefined);
  return (has("primeiro_nome") || has("nome_completo")) && has("empresa");
}

/**
 * Finds the input columns for each API field. The first matching column wins; duplicate names stay
 * separate columns. With no surname column, a name column whose sampled values are mostly full names is
 * split (`sample`: the first data rows). Throws UserError naming what was found when a required column is
 * missing, when two columns could hold the full name, or when a --map / --full-name-column target does
 * not exist.
 */
export function resolveColumns(
  header: string[],
  options: ColumnMappingOptions = {},
  sample: readonly string[][] = [],
): ColumnMapping {
  const folded = header.map((name) => foldLoose(name));
  const candidates = header.map((_, index) => index).filter((index) => !isOwnOutputColumn(header[index]!));
  const findColumn = (name: string): number | undefined => {
    const wanted = foldLoose(name);
    return candidates.find((index) => folded[index] === wanted);
  };
  const notFound = (what: string, name: string): UserError =>
    new UserError(`${what} "${name}" is not a column of the input; found: ${quoteList(header)}.`);

  const chosen: Partial<Record<Field, number>> = {};
  const matchedBy: ColumnMapping["matchedBy"] = {};
  for (const [target, name] of Object.entries(options.map ?? {})) {
    if (!(FIELDS as readonly string[]).includes(target)) {
      throw new UserError(`Unknown --map target "${target}"; use one of ${FIELDS.join(", ")}.`);
    }
    const index = findColumn(name);
    if (index === undefined) throw notFound(`--map ${target}=${name}:`, name);
    chosen[target as Field] = index;
    matchedBy[target as Field] = { by: "map" };
  }

  let fullName: number | undefined;
  if (options.fullNameColumn !== undefined) {
    if (chosen.primeiro_nome !== undefined || chosen.ultimo_nome !== undefined) {
      throw new UserError("Use either --full-name-column or --map for primeiro_nome/ultimo_nome, not both.");
    }
    fullName = findColumn(options.fullNameColumn);
    if (fullName === undefined) throw notFound("--full-name-column", options.fullNameColumn);
    matchedBy.fullName = { by: "map" };
  }

  const nameFields: Field[] = fullName === undefined ? ["primeiro_nome", "ultimo_nome"] : [];
  const open = [...nameFields, "empresa", "contexto_adicional"] as Field[];
  const taken = new Set(Object.values(chosen));
  // Known names first for every field, then words: a layout that matched by name reads as it always did.
  for (const field of open) {
    if (chosen[field] !== undefined) continue;
    const index = candidates.find((i) => !taken.has(i) && isAlias(field, folded[i]!));
    if (index !== undefined) {
      chosen[field] = index;
      matchedBy[field] = { by: "alias" };
      taken.add(index);
    }
  }
  for (const field of open) {
    if (chosen[field] !== undefined) continue;
    const found = bestWordMatch(field, header, candidates, taken);
    if (found === undefined) continue;
    chosen[field] = found.index;
    matchedBy[field] = { by: "words", words: found.words };
    taken.add(found.index);
  }

  let notice: string | undefined;
  if (
    fullName === undefined &&
    chosen.ultimo_nome === undefined &&
    options.map?.primeiro_nome === undefined
  ) {
    const found = fullNameColumn(header, folded, candidates, chosen.primeiro_nome, sample);
    if (found !== undefined) {
      fullName = found;
      delete chosen.primeiro_nome;
      delete matchedBy.primeiro_nome;
      matchedBy.fullName = { by: "full-name" };
      notice = `${header[found]} holds full names: split into first name and the rest; --full-name-column to choose another.`;
    }
  }
  // From matchedBy, so a word-matched first-name column that turned out to hold full names is not named.
  const wordNotice = open
    .filter((field) => matchedBy[field]?.by === "words")
    .map((field) => `${field} <- ${header[chosen[field]!]}`);
  if (wordNotice.length > 0) {
    const told = `Recognised by the words in their names: ${wordNotice.join(", ")}; --map <field>=<column> to choose another.`;
    notice = notice === undefined ? told : `${notice} ${told}`;
  }

  const required: Field[] =
    fullName === undefined ? ["primeiro_nome", "ultimo_nome", "empresa"] : ["empresa"];
  const missing = required.filter((field) => chosen[field] === undefined);
  if (missing.length > 0) {
    const orFullName =
      missing[0] === "empresa" ? "" : ", or --full-name-column <column> for a column of full names";
    throw new UserError(
      `Missing required column(s) ${missing.join(", ")}; found: ${quoteList(header)}. ` +
        `Use --map ${missing[0]}=<column> to pick one${orFullName}.`,
    );
  }

  const mapping: ColumnMapping = { empresa: chosen.empresa!, passthrough: candidates, matchedBy };
  if (fullName !== undefined) mapping.fullName = fullName;
  else {
    mapping.primeiro_nome = chosen.primeiro_nome!;
    mapping.ultimo_nome = chosen.ultimo_nome!;
  }
  if (chosen.contexto_adicional !== undefined) mapping.contexto_adicional = chosen.contexto_adicional;
  if (notice !== undefined) mapping.notice = notice;
  return mapping;
}

/** The free column whose name carries the field's words with the fewest others; the first on a tie. */
function bestWordMatch(
  field: Field,
  header: string[],
  candidates: number[],
  taken: Set<number>,
): { index: number; words: string[] } | undefined {
  let best: { index: number; words: string[]; extra: number } | undefined;
  for (const index of candidates) {
    if (taken.has(index)) continue;
    const match = matchHeaderWords(field, header[index]!);
    if (match !== undefined && (best === undefined || match.extra < best.extra)) best = { index, ...match };
  }
  return best === undefined ? undefined : { index: best.index, words: best.words };
}

/**
 * With no surname column: the one column that holds full names (a full-name alias, or the first-name
 * column), judged on the sampled values. Two such columns are ambiguous: the user must choose.
 */
function fullNameColumn(
  header: string[],
  folded: string[],
  candidates: number[],
  firstNameColumn: number | undefined,
  sample: readonly string[][],
): number | undefined {
  const named = candidates.filter(
    (i) =>
      i === firstNameColumn ||
      isAlias("nome_completo", folded[i]!) ||
      matchHeaderWords("nome_completo", header[i]!) !== undefined,
  );
  const full = named.filter((i) => holdsFullNames(sample.map((row) => row[i] ?? "")));
  if (full.length > 1) {
    throw new UserError(
      `Columns ${quoteList(full.map((i) => header[i]!))} could each hold the full name and there is no surname column; pass --full-name-column <column> to choose one.`,
    );
  }
  return full[0];
}

/** Which input column feeds which API field, by header name: what --dry-run shows. */
export function describeMapping(header: string[], mapping: ColumnMapping): Record<string, string> {
  const name = (index: number) => header[index] ?? `column ${index + 1}`;
  const out: Record<string, string> = {};
  if (mapping.fullName !== undefined) {
    out.primeiro_nome = `${name(mapping.fullName)} (first word)`;
    out.ultimo_nome = `${name(mapping.fullName)} (the rest)`;
  } else {
    out.primeiro_nome = name(mapping.primeiro_nome!);
    out.ultimo_nome = name(mapping.ultimo_nome!);
  }
  out.empresa = name(mapping.empresa);
  if (mapping.contexto_adicional !== undefined) out.contexto_adicional = name(mapping.contexto_adicional);
  return out;
}

/**
 * Extracts the person from a record. Values are trimmed; empty required fields are listed in `missing`;
 * contexto_adicional is omitted when empty.
 */
export function extractProfile(
  fields: string[],
  mapping: ColumnMapping,
): { profile: ProfileInput; missing: string[] } {
  const at = (index: number | undefined): string => (index === undefined ? "" : (fields[index] ?? "").trim());
  let primeiro: string;
  let ultimo: string;
  if (mapping.fullName !== undefined) {
    const { first, last } = splitFullName(at(mapping.fullName));
    primeiro = first;
    ultimo = last;
  } else {
    primeiro = at(mapping.primeiro_nome);
    ultimo = at(mapping.ultimo_nome);
  }
  const profile: ProfileInput = {
    primeiro_nome: primeiro,
    ultimo_nome: ultimo,
    empresa: at(mapping.empresa),
  };
  const contexto = at(mapping.contexto_adicional);
  if (contexto !== "") profile.contexto_adicional = contexto;
  const missing = (["primeiro_nome", "ultimo_nome", "empresa"] as const).filter((key) => profile[key] === "");
  return { profile, missing };
}
