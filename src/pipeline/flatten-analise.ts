import { isRecord } from "../api/index.js";

/** The enriched columns derived from an `analise`, in output order. The whole object is kept as JSON too. */
export const BASIC_COLUMNS = [
  "fluence_cargo",
  "fluence_tipo_stakeholder",
  "fluence_dores",
  "fluence_ganhos_procurados",
  "fluence_linguagem_impacto",
] as const;
export const ANALISE_COLUMN = "fluence_analise";

export const ERROR_COLUMNS = [
  "fluence_row",
  "fluence_error_code",
  "fluence_error",
  "fluence_retryable",
] as const;

export const LIST_SEPARATOR = " | ";

/** The analysis paths the basic columns already show. */
const BASIC_PATHS = new Set([
  "cargo",
  "tipo_stakeholder",
  "manual_comprador.dores",
  "manual_comprador.ganhos_procurados",
  "linguagem_impacto",
]);

/** `analiseJson` is the analise exactly as stored; unexpected shapes are shown as JSON, never dropped. */
export function flattenAnalise(analiseJson: string, extra: ExtraColumns = NO_EXTRA_COLUMNS): string[] {
  let analise: unknown;
  try {
    analise = JSON.parse(analiseJson);
  } catch {
    return [...BASIC_COLUMNS.map(() => ""), ...extra.paths.map(() => ""), analiseJson];
  }
  const obj = isRecord(analise) ? analise : {};
  const manual = isRecord(obj.manual_comprador) ? obj.manual_comprador : {};
  const leaves = extra.paths.length > 0 ? leafValues(obj) : new Map<string, unknown>();
  return [
    text(obj.cargo),
    text(obj.tipo_stakeholder),
    list(manual.dores),
    list(manual.ganhos_procurados),
    list(obj.linguagem_impacto),
    ...extra.paths.map((p) => list(leaves.get(p))),
    analiseJson,
  ];
}

/**
 * The columns of the complete analysis beyond the basic ones: every scalar leaf (and list of scalars) of
 * the analyses a run writes becomes `fluence_<path>` (e.g. `fluence_perfil_personalidade_mbti`). The
 * field names are not published, so they are learned from the data; the order is alphabetical by path,
 * so it is the same whichever row came first, and the header is fixed before the first row is written.
 */
export class ExtraColumns {
  readonly #paths = new Set<string>();
  #sorted: string[] | undefined = [];

  /** Learns the leaf paths of one analysis (JSON text, as stored). */
  add(analiseJson: string | undefined): void {
    if (analiseJson === undefined) return;
    let analise: unknown;
    try {
      analise = JSON.parse(analiseJson);
    } catch {
      return;
    }
    if (!isRecord(analise)) return;
    for (const path of leafValues(analise).keys()) {
      if (!this.#paths.has(path)) {
        this.#paths.add(path);
        this.#sorted = undefined;
      }
    }
  }

  /** Dotted paths, in column order. */
  get paths(): string[] {
    this.#sorted ??= [...this.#paths].sort();
    return this.#sorted;
  }

  /** Column names; two paths that would read the same (a_b vs a.b) are told apart by a suffix. */
  columns(): string[] {
    const taken = new Set<string>([...BASIC_COLUMNS, ANALISE_COLUMN]);
    return this.paths.map((path) => {
      const base = `fluence_${path.replace(/\./g, "_")}`;
      let name = base;
      for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
      taken.add(name);
      return name;
    });
  }
}

const NO_EXTRA_COLUMNS = new ExtraColumns();

/** Leaf values by dotted path, skipping the basic fields. A list is a leaf (scalars joined, else JSON). */
function leafValues(obj: Record<string, unknown>, prefix = "", into = new Map<string, unknown>()) {
  for (const [key, value] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isRecord(value)) leafValues(value, path, into);
    else if (!BASIC_PATHS.has(path)) into.set(path, value);
  }
  return into;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function list(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) {
    return value.every((v) => !isRecord(v) && !Array.isArray(v))
      ? value.map(text).join(LIST_SEPARATOR)
      : JSON.stringify(value);
  }
  return text(value);
}
