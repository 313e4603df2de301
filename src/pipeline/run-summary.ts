import { num, str } from "../api/json-values.js";
import type { CreditsInfo, ProfileInput } from "../api/types.js";
import { EXIT } from "../exit-codes.js";
import type { FlowControl } from "../send/flow-control.js";
import { RatePacer } from "../send/rate-pacer.js";
import type { SendReport } from "../send/send-report.js";
import { STOPS, unsentRows } from "../send/stop-reasons.js";
import type { Analysis } from "../store/types.js";
import { checkBilling } from "./billing-check.js";
import type { DEFAULT_ENRICH_SETTINGS, DryRunReport, EnrichPlanInfo, EnrichSummary } from "./enrich-types.js";
import type { PendingReason, RowTally } from "./row-tally.js";

/** Assumed per-batch latency for dry-run estimates, before any is measured (the docs: 15-20 s for 10). */
const ASSUMED_BATCH_LATENCY_MS = 17_500;

/** Why the people still queued at the end were not sent, as the code and sentence of their rows. */
export function pendingReason(report: SendReport | undefined): PendingReason {
  return unsentRows(report?.stop ?? "interrupted", report?.fatal);
}

export function buildSummary(args: {
  input: string;
  analysis: Analysis;
  perProfile: number;
  tally: RowTally;
  report: SendReport | undefined;
  flow: FlowControl;
  before: CreditsInfo | undefined;
  after: CreditsInfo | undefined;
  paths: { enriched: string; errors: string; summary: string };
  storeLocation: string | null;
  durationMs: number;
  staleInFlight: number;
  maxInFlight: number;
  fleetRuns: number;
  journaled: number;
  recovered: number;
}): EnrichSummary {
  const { tally, report, flow } = args;
  const stop = report?.stop ?? null;
  const balanceAfter = num(args.after?.creditos_restantes) ?? num(report?.lastBilling?.creditos_restantes);
  const exit = stop !== null ? STOPS[stop].exit : tally.retryableFailures > 0 ? EXIT.retryable : EXIT.ok;
  return {
    input: args.input,
    analysis: args.analysis,
    credits_per_profile: args.perProfile,
    rows: tally.rows,
    enriched: tally.enriched,
    failed: tally.failed,
    invalid: tally.invalid,
    duplicates: tally.duplicates,
    from_store: tally.fromStore,
    credits_saved: tally.creditsSaved * args.perProfile,
    batches: report?.batches ?? 0,
    profiles_sent: report?.profilesSent ?? 0,
    retries: report?.retries ?? 0,
    rate_limited: report?.rateLimited ?? 0,
    in_doubt: report?.inDoubt ?? 0,
    stale_in_flight: args.staleInFlight,
    credits_used: report?.creditsUsed ?? 0,
    credits_remaining: balanceAfter ?? num(args.before?.creditos_restantes) ?? null,
    plan:
      str(args.after?.tipo_plano) ??
      str(report?.lastBilling?.tipo_plano) ??
      str(args.before?.tipo_plano) ??
      null,
    errors_by_code: tally.errorsByCode,
    retryable_failures: tally.retryableFailures,
    billing_check: checkBilling({
      creditsReported: report?.creditsUsed ?? 0,
      successes: report?.successes ?? 0,
      expectedCharge: report?.expectedCharge ?? 0,
      inDoubt: report?.inDoubt ?? 0,
      balanceBefore: num(args.before?.creditos_restantes),
      balanceAfter:
        report && report.batches > 0
          ? num(args.after?.creditos_restantes)
          : num(args.before?.creditos_restantes),
    }),
    stopped: stop,
    stop_message: stop ? pendingReason(report).message : null,
    max_in_flight: args.maxInFlight,
    concurrency_limit: flow.limit,
    rate_per_minute: round1(flow.pacer.ratePerMinute),
    fleet: { runs: args.fleetRuns, rate_per_minute: nullable(flow.achievedRatePerMinute, round1) },
    journaled: args.journaled,
    recovered: args.recovered,
    store_failure: report?.storeFailure ? storeFailureSentence(report, args.journaled) : null,
    latency_ms: flow.latency.summary(),
    gateway_timeouts: report?.gatewayTimeouts ?? 0,
    batch_sizes: report?.batchSizes ?? {},
    failed_requests: report?.failedRequests ?? [],
    failed_request_count: report?.failedRequestCount ?? 0,
    duration_ms: args.durationMs,
    exit_code: exit,
    outputs: args.paths,
    store: args.storeLocation,
  };
}

/**
 * What a run would send and cost, without sending. The time estimate is the ideal at the plan's rate and
 * the docs' latency: (batches - 1) x 60/rate + one latency, or the concurrency ceiling's bound if lower.
 */
export function dryRunReport(args: {
  input: string;
  columns: Record<string, string>;
  firstRows: ProfileInput[];
  plan: EnrichPlanInfo;
  settings: typeof DEFAULT_ENRICH_SETTINGS & { delayMs: number; ratePerMinute: number };
  before: CreditsInfo | undefined;
  analysis: Analysis;
  perProfile: number;
  options: { maxCredits?: number | undefined };
  /** Runs alive on the key (this one included); the estimate takes --rate split among them. */
  fleetRuns: number;
}): DryRunReport {
  const { plan, settings, before, perProfile } = args;
  const maxCredits = args.options.maxCredits;
  const affordable =
    maxCredits !== undefined ? Math.floor(maxCredits / perProfile) : Number.POSITIVE_INFINITY;
  const toSend = Math.min(plan.peopleToSend, affordable);
  const batches = Math.ceil(toSend / settings.batchSize);
  const runs = Math.max(1, args.fleetRuns);
  const share = settings.ratePerMinute / runs;
  const gap = new RatePacer({ ratePerMinute: share, delayMs: settings.delayMs }).gapMs;
  const slots = settings.concurrency === "auto" ? settings.maxConcurrency : settings.concurrency;
  const estimated =
    batches === 0
      ? 0
      : Math.max((batches - 1) * gap, Math.ceil(batches / slots - 1) * ASSUMED_BATCH_LATENCY_MS) +
        ASSUMED_BATCH_LATENCY_MS;
  const balance = num(before?.creditos_restantes);
  const quota = num(before?.cota_mensal) ?? null;
  const used = requestsUsed(before);
  const cost = toSend * perProfile;
  return {
    dry_run: true,
    input: args.input,
    columns: args.columns,
    first_rows: args.firstRows,
    analysis: args.analysis,
    credits_per_profile: perProfile,
    rows: plan.rows,
    invalid: plan.invalid,
    duplicates: plan.duplicates,
    from_store: plan.fromStore,
    profiles_to_send: plan.peopleToSend,
    batches,
    requests_needed: batches,
    monthly_request_quota: quota,
    requests_used: used,
    quota_warning: quotaWarning(batches, quota, used),
    max_credits_cost: cost,
    credits_remaining: balance ?? null,
    plan: str(before?.tipo_plano) ?? null,
    estimated_ms: Math.round(estimated),
    fleet: { runs, rate_per_minute: round1(share) },
    stale_in_flight: plan.staleInFlight,
    exit_code: balance !== undefined && balance < cost ? EXIT.credits : EXIT.ok,
  };
}

/** The store's own sentence, then what became of the answers it could not take. */
export function storeFailureSentence(report: SendReport, journaled: number): string {
  const people = (n: number) => `${n} answered ${n === 1 ? "person" : "people"}`;
  const were = (n: number) => (n === 1 ? "was" : "were");
  const kept =
    journaled > 0
      ? ` ${people(journaled)} ${were(journaled)} kept in this machine's journal; the next run on this store stores them before sending anything, so nobody is paid for twice.`
      : "";
  const lost =
    report.unkept > 0
      ? ` ${people(report.unkept)} could not be kept for the next run (the journal could not be written either): they are in this run's outputs, and a re-run pays for them again.`
      : "";
  return `${report.storeFailure!.message}${kept}${lost}`;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function nullable<T, R>(value: T | null, f: (v: T) => R): R | null {
  return value === null ? null : f(value);
}

/**
 * Requests counted against the quota this period, where /creditos reports it. The field name is not
 * published; `requisicoes_utilizadas` is what the sandbox's gateway mode sends (an assumption).
 */
export function requestsUsed(info: CreditsInfo | undefined): number | null {
  return num(info?.requisicoes_utilizadas) ?? null;
}

function quotaWarning(requests: number, quota: number | null, used: number | null): string | null {
  if (quota === null || requests === 0) return null;
  if (requests > quota) {
    return `This run needs ${requests} requests but the plan allows ${quota} a month: it will stop with QUOTA_EXCEEDED when the quota is spent.`;
  }
  if (used !== null && requests > quota - used) {
    return `This run needs ${requests} requests but only ${Math.max(0, quota - used)} of the plan's ${quota} are left this month: it will stop with QUOTA_EXCEEDED when they are spent.`;
  }
  return null;
}
