import { type FluenceApiError, num, str } from "../api/index.js";
import type { CreditsInfo } from "../api/types.js";
import { EXIT } from "../exit-codes.js";
import { checkBilling } from "./billing-check.js";
import type { DEFAULT_ENRICH_SETTINGS, DryRunReport, EnrichPlanInfo, EnrichSummary } from "./enrich-types.js";
import { Pacer } from "./pacer.js";
import type { PendingReason, RowTally } from "./row-tally.js";
import type { SendReport } from "./send-batches.js";

/** Assumed per-batch latency for dry-run estimates before any is measured (the docs quote 15-20 s for 10). */
const ASSUMED_BATCH_LATENCY_MS = 15_000;

/** Why the people still queued at the end were not sent, as the code and sentence of their rows. */
export function pendingReason(report: SendReport | undefined): PendingReason {
  switch (report?.stop) {
    case "credits":
      return {
        code: "INSUFFICIENT_CREDITS",
        message:
          "Not sent: the credit balance ran out. Buy credits, then run again; only these rows are sent.",
      };
    case "budget":
      return {
        code: "BUDGET_EXCEEDED",
        message: "Not sent: --max-credits was reached. Raise it, then run again; only these rows are sent.",
      };
    case "auth": {
      const fatal = report.fatal as FluenceApiError;
      return { code: fatal.code, message: fatal.message };
    }
    default:
      return {
        code: "INTERRUPTED",
        message: "Not sent: the run was interrupted. Run again; only these rows are sent.",
      };
  }
}

export function buildSummary(args: {
  input: string;
  tally: RowTally;
  report: SendReport | undefined;
  before: CreditsInfo | undefined;
  after: CreditsInfo | undefined;
  paths: { enriched: string; errors: string; summary: string };
  storePath: string | null;
  started: number;
  staleInFlight: number;
}): EnrichSummary {
  const { tally, report } = args;
  const stop = report?.stop ?? null;
  const balanceAfter = num(args.after?.creditos_restantes) ?? num(report?.lastBilling?.creditos_restantes);
  const exit =
    stop === "auth"
      ? EXIT.auth
      : stop === "credits" || stop === "budget"
        ? EXIT.credits
        : stop === "interrupted"
          ? EXIT.interrupted
          : tally.retryableFailures > 0
            ? EXIT.retryable
            : EXIT.ok;
  return {
    input: args.input,
    rows: tally.rows,
    enriched: tally.enriched,
    failed: tally.failed,
    invalid: tally.invalid,
    duplicates: tally.duplicates,
    from_store: tally.fromStore,
    credits_saved: tally.creditsSaved,
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
      inDoubt: report?.inDoubt ?? 0,
      balanceBefore: num(args.before?.creditos_restantes),
      balanceAfter:
        report && report.batches > 0
          ? num(args.after?.creditos_restantes)
          : num(args.before?.creditos_restantes),
    }),
    stopped: stop,
    stop_message: stop ? pendingReason(report).message : null,
    duration_ms: Date.now() - args.started,
    exit_code: exit,
    outputs: args.paths,
    store: args.storePath,
  };
}

export function dryRunReport(
  input: string,
  plan: EnrichPlanInfo,
  settings: typeof DEFAULT_ENRICH_SETTINGS & { delayMs: number; ratePerMinute: number },
  before: CreditsInfo | undefined,
  maxCredits: number | undefined,
): DryRunReport {
  const toSend = maxCredits !== undefined ? Math.min(plan.peopleToSend, maxCredits) : plan.peopleToSend;
  const batches = Math.ceil(toSend / settings.batchSize);
  const pacer = new Pacer({
    delayMs: settings.delayMs,
    ratePerMinute: settings.ratePerMinute,
    concurrency: settings.concurrency,
  });
  const slots = settings.concurrency === "auto" ? 10 : settings.concurrency;
  const estimated =
    batches === 0
      ? 0
      : Math.max((batches - 1) * pacer.gapMs, Math.ceil(batches / slots - 1) * ASSUMED_BATCH_LATENCY_MS) +
        ASSUMED_BATCH_LATENCY_MS;
  const balance = num(before?.creditos_restantes);
  return {
    dry_run: true,
    input,
    rows: plan.rows,
    invalid: plan.invalid,
    duplicates: plan.duplicates,
    from_store: plan.fromStore,
    profiles_to_send: plan.peopleToSend,
    batches,
    max_credits_cost: toSend,
    credits_remaining: balance ?? null,
    plan: str(before?.tipo_plano) ?? null,
    estimated_ms: Math.round(estimated),
    stale_in_flight: plan.staleInFlight,
    exit_code: balance !== undefined && balance < toSend ? EXIT.credits : EXIT.ok,
  };
}
