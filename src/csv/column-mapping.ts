import type { ProfileInput } from "../api/types.js";
import { foldLoose } from "../text/fold.js";
import { UserError } from "../user-error.js";

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
}

export interface ColumnMappingOptions {
  /** --map primeiro_nome=Nome (target field -> input header, matched loosely). Default: none. */
  map?: Record<string, string>;
  /** --full-name-column: one column holding "first last", split on the first space. Default: none. */
  fullNameColumn?: string;
}

type Field = "primeiro_nome" | "ultimo_nome" | "empresa" | "contexto_adicional";

const FIELDS: readonly Field[] = ["primeiro_nome", "ultimo_nome", "empresa", "contexto_adicional"];

// Compared after foldLoose, so "First_Name", "first-name" and "FIRST NAME" all match "first name".
// Deliberately absent: "razão social" (often a legal entity, not the brand) and "cargo" (a job title is not
// context the API expects); both remain reachable through --map.
const SYNONYMS: Record<Field, readonly string[]> = {
  primeiro_nome: [
    "primeiro_nome",
    "first_name",
    "nome",
    "primeiro nome",
    "firstname",
    "given name",
    "prenome",
  ],
  ultimo_nome: ["ultimo_nome", "last_name", "sobrenome", "ultimo nome", "lastname", "surname", "family name"],
  empresa: [
    "empresa",
    "company",
    "company name",
    "companhia",
    "organizacao",
    "organization",
    "organisation",
    "account name",
  ],
  contexto_adicional: ["contexto_adicional", "context", "contexto", "additional context"],
};

const FOLDED_SYNONYMS = new Map<Field, Set<string>>(
  FIELDS.map((field) => [field, new Set(SYNONYMS[field].map((name) => foldLoose(name)))]),
);

function isOwnOutputColumn(name: string): boolean {
  return foldLoose(name).startsWith("fluence ");
}

function quoteList(header: string[]): string {
  return header.length === 0 ? "(no columns)" : header.map((name) => `"${name}"`).join(", ");
}

/**
 * Finds the input columns for each API field. The first matching column wins; duplicate names stay
 * separate columns. Throws UserError naming what was found when a required column is missing or a
 * --map / --full-name-column target does not exist.
 */
export function resolveColumns(header: string[], options: ColumnMappingOptions = {}): ColumnMapping {
  const folded = header.map((name) => foldLoose(name));
  const candidates = header.map((_, index) => index).filter((index) => !isOwnOutputColumn(header[index]!));
  const findColumn = (name: string): number | undefined => {
    const wanted = foldLoose(name);
    return candidates.find((index) => folded[index] === wanted);
  };
  const notFound = (what: string, name: string): UserError =>
    new UserError(`${what} "${name}" is not a column of the input; found: ${quoteList(header)}.`);

  const chosen: Partial<Record<Field, number>> = {};
  for (const [target, name] of Object.entries(options.map ?? {})) {
    if (!(FIELDS as readonly string[]).includes(target)) {
      throw new UserError(`Unknown --map target "${target}"; use one of ${FIELDS.join(", ")}.`);
    }
    const index = findColumn(name);
    if (index === undefined) throw notFound(`--map ${target}=${name}:`, name);
    chosen[target as Field] = index;
  }

  let fullName: number | undefined;
  if (options.fullNameColumn !== undefined) {
    if (chosen.primeiro_nome !== undefined || chosen.ultimo_nome !== undefined) {
      throw new UserError("Use either --full-name-column or --map for primeiro_nome/ultimo_nome, not both.");
    }
    fullName = findColumn(options.fullNameColumn);
    if (fullName === undefined) throw notFound("--full-name-column", options.fullNameColumn);
  }

  const nameFields: Field[] = fullName === undefined ? ["primeiro_nome", "ultimo_nome"] : [];
  for (const field of [...nameFields, "empresa", "contexto_adicional"] as Field[]) {
    if (chosen[field] !== undefined) continue;
    const synonyms = FOLDED_SYNONYMS.get(field)!;
    const index = candidates.find((i) => synonyms.has(folded[i]!));
    if (index !== undefined) chosen[field] = index;
  }

  const missing = [...nameFields, "empresa" as const].filter((field) => chosen[field] === undefined);
  if (missing.length > 0) {
    throw new UserError(
      `Missing required column(s) ${missing.join(", ")}; found: ${quoteList(header)}. ` +
        `Use --map ${missing[0]}=<column> to pick one.`,
    );
  }

  const mapping: ColumnMapping = { empresa: chosen.empresa!, passthrough: candidates };
  if (fullName !== undefined) mapping.fullName = fullName;
  else {
    mapping.primeiro_nome = chosen.primeiro_nome!;
    mapping.ultimo_nome = chosen.ultimo_nome!;
  }
  if (chosen.contexto_adicional !== undefined) mapping.contexto_adicional = chosen.contexto_adicional;
  return mapping;
}

/**
 * Splits "Maria da Silva" into "Maria" / "da Silva". A heuristic: compound first names ("Ana Maria")
 * land partly in the last name, which the API tolerates better than a missing one.
 */
export function splitFullName(value: string): { first: string; last: string } {
  const trimmed = value.trim();
  const match = /\s+/u.exec(trimmed);
  if (match === null) return { first: trimmed, last: "" };
  return { first: trimmed.slice(0, match.index), last: trimmed.slice(match.index + match[0].length) };
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
