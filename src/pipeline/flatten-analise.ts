import { isRecord } from "../api/index.js";

/** The enriched columns derived from an `analise`, in output order. The whole object is kept as JSON too. */
export const ENRICHED_COLUMNS = [
  "fluence_cargo",
  "fluence_tipo_stakeholder",
  "fluence_dores",
  "fluence_ganhos_procurados",
  "fluence_linguagem_impacto",
  "fluence_analise",
] as const;

export const ERROR_COLUMNS = [
  "fluence_row",
  "fluence_error_code",
  "fluence_error",
  "fluence_retryable",
] as const;

export const LIST_SEPARATOR = " | ";

/** `analiseJson` is the analise exactly as stored; unexpected shapes are shown as JSON, never dropped. */
export function flattenAnalise(analiseJson: string): string[] {
  let analise: unknown;
  try {
    analise = JSON.parse(analiseJson);
  } catch {
    return ["", "", "", "", "", analiseJson];
  }
  const obj = isRecord(analise) ? analise : {};
  const manual = isRecord(obj.manual_comprador) ? obj.manual_comprador : {};
  return [
    text(obj.cargo),
    text(obj.tipo_stakeholder),
    list(manual.dores),
    list(manual.ganhos_procurados),
    list(obj.linguagem_impacto),
    analiseJson,
  ];
}

function text(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function list(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map(text).join(LIST_SEPARATOR);
  return text(value);
}
