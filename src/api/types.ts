/** Shapes exchanged with the Fluence API (see ../shared/api/CONTRACT.md). */

/** One person as the API takes it. `contexto_adicional` is omitted when empty. */
export interface ProfileInput {
  primeiro_nome: string;
  ultimo_nome: string;
  empresa: string;
  contexto_adicional?: string;
}

/** The analysis object. Documented fields are typed; every other field the server sends is kept. */
export interface Analise {
  cargo?: string;
  tipo_stakeholder?: string;
  manual_comprador?: { dores?: string[]; ganhos_procurados?: string[]; [key: string]: unknown };
  linguagem_impacto?: string[];
  [key: string]: unknown;
}

export interface BillingInfo {
  creditos_por_perfil?: number;
  perfis_processados?: number;
  creditos_utilizados?: number;
  creditos_restantes?: number;
  tipo_plano?: string;
  [key: string]: unknown;
}

/** The outcome for one profile of a batch, already matched to its position in the request. */
export type ProfileResult =
  | { index: number; ok: true; analise: Analise }
  | { index: number; ok: false; code: string; message: string; retryable: boolean };

/** A batch response (HTTP 200) made safe: exactly one result per profile sent, in request order. */
export interface BatchOutcome {
  results: ProfileResult[];
  billing: BillingInfo | undefined;
  /** Time of the HTTP exchange, from the moment the request was on the wire. */
  latencyMs: number;
  /** The answer's `x-amzn-RequestId`, when the gateway sent one. */
  requestId: string | undefined;
  /** The parsed body, for --debug and for fields this client does not know. */
  raw: unknown;
}

export interface CreditsInfo {
  creditos_restantes?: number;
  creditos_utilizados?: number;
  cota_mensal?: number;
  tipo_plano?: string;
  [key: string]: unknown;
}

export interface TierInfo {
  nome?: string;
  cota_mensal?: number;
  rate_limit_por_minuto?: number;
  endpoints?: string[];
  [key: string]: unknown;
}

export interface TiersInfo {
  tiers: TierInfo[];
  [key: string]: unknown;
}

/** /health and /status answer with any JSON; the HTTP status decides health. */
export interface ServiceState {
  httpStatus: number;
  healthy: boolean;
  body: unknown;
}
