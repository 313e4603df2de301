import type { FluenceClient } from "../api/index.js";
import type { ColumnMappingOptions, CsvReadOptions, FormulaEscape } from "../csv/index.js";

/** Everything `runEnrich` needs; the CLI maps flags onto it. Defaults in DEFAULT_ENRICH_SETTINGS. */
export interface EnrichOptions {
  /** Input CSV path, or "-" for stdin. */
  input: string;
  /** Where outputs go when not given one by one. Default: the input's directory (cwd for stdin). */
  outDir?: string;
  enrichedPath?: string;
  errorsPath?: string;
  summaryPath?: string;
  /** Output format. Default "csv". */
  format?: "csv" | "jsonl";
  read?: CsvReadOptions;
  mapping?: ColumnMappingOptions;
  /** Output delimiter. Default: the input's. */
  outDelimiter?: string;
  /** UTF-8 BOM on CSV outputs. Default false. */
  bom?: boolean;
  /** Default "api". */
  escapeFormulas?: FormulaEscape;
  client: FluenceClient;
  /** 1..10, default 10. */
  batchSize?: number;
  /** Batches in flight: a number, or "auto" (default). */
  concurrency?: number | "auto";
  /** Minimum gap between batch starts, ms. Default 500. */
  delayMs?: number;
  /** Requests per minute ceiling. Default 100. */
  ratePerMinute?: number;
  /** Retries per batch. Default 4. */
  retries?: number;
  /** SQLite store path; null = no store (a throw-away one for this run). */
  storePath: string | null;
  /** Stored outcomes younger than this are used. Default 30 days; 0 = always ask. */
  maxAgeMs?: number;
  /** Never send more profiles than this many credits could pay for. */
  maxCredits?: number;
  /** Plan only: consult the store and /creditos, write nothing, charge nothing. */
  dryRun?: boolean;
  /** Aborting stops new batches; those in flight finish and everything is written. */
  signal?: AbortSignal;
  /** Injectable for tests. */
  random?: () => number;
  now?: () => number;
}

export const DEFAULT_ENRICH_SETTINGS = {
  batchSize: 10,
  concurrency: "auto" as number | "auto",
  delayMs: 500,
  ratePerMinute: 100,
  retries: 4,
  maxAgeMs: 30 * 24 * 3600 * 1000,
  format: "csv" as "csv" | "jsonl",
  escapeFormulas: "api" as FormulaEscape,
};

/** A snapshot for progress displays. */
export interface EnrichProgress {
  /** Distinct people to send in this run. */
  peopleTotal: number;
  peopleDone: number;
  peopleFailed: number;
  enriched: number;
  creditsUsed: number;
  batches: number;
  inFlight: number;
  elapsedMs: number;
  /** Profiles resolved per minute so far. */
  pacePerMinute: number;
  etaMs: number | undefined;
}

export interface EnrichPlanInfo {
  rows: number;
  invalid: number;
  duplicates: number;
  fromStore: number;
  peopleToSend: number;
  staleInFlight: number;
}

/** Callbacks: the engine knows nothing of terminals. */
export interface EnrichEvents {
  onPlanned?(plan: EnrichPlanInfo): void;
  onProgress?(progress: EnrichProgress): void;
  onBackoff?(info: { reason: string; delayMs: number }): void;
  onNotice?(message: string): void;
}

export interface BillingCheck {
  ok: boolean;
  credits_reported: number;
  successes: number;
  balance_before: number | null;
  balance_after: number | null;
  balance_drop: number | null;
  mismatch: string | null;
}

export interface EnrichSummary {
  input: string;
  rows: number;
  enriched: number;
  failed: number;
  invalid: number;
  duplicates: number;
  from_store: number;
  credits_saved: number;
  batches: number;
  profiles_sent: number;
  retries: number;
  rate_limited: number;
  in_doubt: number;
  stale_in_flight: number;
  credits_used: number;
  credits_remaining: number | null;
  plan: string | null;
  errors_by_code: Record<string, number>;
  retryable_failures: number;
  billing_check: BillingCheck;
  stopped: "credits" | "budget" | "interrupted" | "auth" | null;
  /** Why the run stopped early, as one sentence for the user. */
  stop_message: string | null;
  duration_ms: number;
  exit_code: number;
  outputs: { enriched: string; errors: string; summary: string };
  store: string | null;
}

export interface DryRunReport {
  dry_run: true;
  input: string;
  rows: number;
  invalid: number;
  duplicates: number;
  from_store: number;
  profiles_to_send: number;
  batches: number;
  max_credits_cost: number;
  credits_remaining: number | null;
  plan: string | null;
  estimated_ms: number;
  stale_in_flight: number;
  exit_code: number;
}
