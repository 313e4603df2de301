import type { FluenceClient } from "../api/index.js";
import type { ProfileInput } from "../api/types.js";
import type { ColumnMappingOptions, CsvReadOptions, FormulaEscape } from "../csv/index.js";
import { DEFAULT_GATEWAY_TIMEOUT_MS, DEFAULT_MAX_CONCURRENCY } from "../send/defaults.js";
import type { SendEvent } from "../send/send-events.js";
import type { FailedRequest } from "../send/send-report.js";
import type { StopReason } from "../send/stop-reasons.js";
import type { Analysis } from "../store/types.js";

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
  /** Default: "xlsx" when the input is named .xlsx/.xlsm, else "csv". */
  format?: "csv" | "jsonl" | "xlsx";
  read?: CsvReadOptions;
  mapping?: ColumnMappingOptions;
  /** Output delimiter. Default: the input's. */
  outDelimiter?: string;
  /** UTF-8 BOM on CSV outputs. Default false. */
  bom?: boolean;
  /** Default "api". */
  escapeFormulas?: FormulaEscape;
  client: FluenceClient;
  /** The complete analysis through /crm_batch (2 credits a person) instead of the basic one. Default false. */
  complete?: boolean;
  /** 1..10, default 10. */
  batchSize?: number;
  /** Batches in flight: a fixed ceiling, or "auto" (default: what the rate needs at the measured latency). */
  concurrency?: number | "auto";
  /** Hard ceiling of "auto". Default 64. */
  maxConcurrency?: number;
  /** Minimum gap between batch starts, ms. Default 0 (the rate's own spacing). */
  delayMs?: number;
  /** Requests per minute ceiling. Default 100. */
  ratePerMinute?: number;
  /** Retries per batch. Default 4. */
  retries?: number;
  /** API Gateway's integration timeout, ms: batches are sized to finish well inside it. Default 29,000. */
  gatewayTimeoutMs?: number;
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

/** Credits one successfully enriched person costs, per analysis. */
export const CREDITS_PER_PROFILE: Readonly<Record<Analysis, number>> = Object.freeze({
  basic: 1,
  complete: 2,
});

export const DEFAULT_ENRICH_SETTINGS = {
  batchSize: 10,
  concurrency: "auto" as number | "auto",
  maxConcurrency: DEFAULT_MAX_CONCURRENCY,
  delayMs: 0,
  ratePerMinute: 100,
  retries: 4,
  gatewayTimeoutMs: DEFAULT_GATEWAY_TIMEOUT_MS,
  maxAgeMs: 30 * 24 * 3600 * 1000,
  format: "csv" as "csv" | "jsonl" | "xlsx",
  escapeFormulas: "api" as FormulaEscape,
};

/** The run's counters after every answer; displays derive pace and ETA from them. */
export interface EnrichProgress {
  /** Distinct people to send in this run (so far, while `planning`). */
  peopleTotal: number;
  /** The plan pass is still reading the input: peopleTotal may grow. */
  planning: boolean;
  peopleDone: number;
  peopleFailed: number;
  enriched: number;
  creditsUsed: number;
  batches: number;
  inFlight: number;
  /** Batches that may be in flight now. */
  limit: number;
  /** Since the first batch could start (the run's injected clock). */
  elapsedMs: number;
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
  /** What the send stage did (throttled, overload, retrying, stopped), as data. */
  onEvent?(event: SendEvent): void;
  onNotice?(message: string): void;
  /** Every failed batch request, as it fails (the CLI prints them under --debug). */
  onRequestFailed?(failure: FailedRequest): void;
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
  /** "basic" (/crm_basico_batch) or "complete" (/crm_batch). */
  analysis: "basic" | "complete";
  /** Credits a successfully enriched person costs with that analysis. */
  credits_per_profile: number;
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
  stopped: StopReason | null;
  /** Why the run stopped early, as one sentence for the user. */
  stop_message: string | null;
  /** Most batches in flight at once. */
  max_in_flight: number;
  /** The concurrency limit when the run ended (adapted to the server's answers). */
  concurrency_limit: number;
  /** Starts per minute the pacer allowed when the run ended (below --rate after throttling). */
  rate_per_minute: number;
  /**
   * The runs that shared the API key through the store during this run (this one included) and the starts
   * a minute this run got, first start to last (null before two starts). Without a store, runs is 1.
   */
  fleet: { runs: number; rate_per_minute: number | null };
  /** Paid outcomes this run could not store and kept in this machine's journal, for the next run. */
  journaled: number;
  /** Paid outcomes earlier runs left in the journal, stored by this run before it planned. */
  recovered: number;
  /** When the store failed mid-run (stopped "store"): its sentence, and what was kept for the next run. */
  store_failure: string | null;
  /** Batch latency, from the moment a request was on the wire; null when no batch was answered. */
  latency_ms: { p50: number; p95: number } | null;
  /** 504s from the gateway (answers lost after the service may have charged). */
  gateway_timeouts: number;
  /** Batches sent per size, e.g. { "10": 98, "6": 4 }: smaller while the API answered too slowly for 10. */
  batch_sizes: Record<string, number>;
  /** Requests that failed (first 100), with the gateway's request id for support. */
  failed_requests: FailedRequest[];
  failed_request_count: number;
  duration_ms: number;
  exit_code: number;
  outputs: { enriched: string; errors: string; summary: string };
  store: string | null;
}

export interface DryRunReport {
  dry_run: true;
  input: string;
  /** Which input column feeds which API field, e.g. { primeiro_nome: "First Name", ... }. */
  columns: Record<string, string>;
  /** The first two data rows as they would be sent. */
  first_rows: ProfileInput[];
  analysis: "basic" | "complete";
  credits_per_profile: number;
  rows: number;
  invalid: number;
  duplicates: number;
  from_store: number;
  profiles_to_send: number;
  batches: number;
  /** Requests the run needs (one per batch; retries add more): quotas count requests, not profiles. */
  requests_needed: number;
  /** The plan's monthly request quota (`cota_mensal`), when /creditos reports it. */
  monthly_request_quota: number | null;
  /** Requests used this period, when /creditos reports it. */
  requests_used: number | null;
  /** One sentence when the run needs more requests than the quota allows (or has left); else null. */
  quota_warning: string | null;
  max_credits_cost: number;
  credits_remaining: number | null;
  plan: string | null;
  estimated_ms: number;
  /**
   * The key's free share the estimate assumed: runs on the key now (this one included) and the rate this
   * run can expect, --rate split evenly among them (no store: this run alone).
   */
  fleet: { runs: number; rate_per_minute: number };
  stale_in_flight: number;
  exit_code: number;
}
