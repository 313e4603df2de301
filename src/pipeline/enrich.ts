import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  AccessDeniedError,
  AuthenticationError,
  DEFAULT_RETRY_POLICY,
  type FluenceApiError,
  type FluenceClient,
  withRetries,
} from "../api/index.js";
import type { CreditsInfo } from "../api/types.js";
import { openCsvInput, resolveColumns } from "../csv/index.js";
import { EXIT } from "../exit-codes.js";
import { OutcomeStore } from "../store/index.js";
import { UserError } from "../user-error.js";
import { writeFileAtomic } from "./atomic-file.js";
import { checkBilling } from "./billing-check.js";
import { CreditGuard } from "./credit-guard.js";
import {
  DEFAULT_ENRICH_SETTINGS,
  type DryRunReport,
  type EnrichEvents,
  type EnrichOptions,
  type EnrichSummary,
} from "./enrich-types.js";
import { planPass, writePass } from "./input-passes.js";
import { resolveOutputPaths } from "./output-paths.js";
import { OutputWriters } from "./output-writers.js";
import { Pacer } from "./pacer.js";
import { type PendingReason, RowTally } from "./row-tally.js";
import { RunLedger } from "./run-ledger.js";
import { type SendReport, sendBatches } from "./send-batches.js";

/** The store keys outcomes by endpoint: a basic analysis is not a complete one. */
export const BATCH_ENDPOINT = "crm_basico_batch";

/** Assumed per-batch latency for dry-run estimates before any is measured (the docs quote 15-20 s for 10). */
const ASSUMED_BATCH_LATENCY_MS = 15_000;

/**
 * Reads the input, plans, sends what the store does not already know, and writes every row to the
 * enriched or the errors output in input order. Outputs are a function of (input, store).
 */
export async function runEnrich(
  options: EnrichOptions,
  events: EnrichEvents = {},
): Promise<EnrichSummary | DryRunReport> {
  const started = Date.now();
  const settings = { ...DEFAULT_ENRICH_SETTINGS, ...definedOnly(options) };
  const now = options.now ?? Date.now;
  const paths = resolveOutputPaths({ ...options, format: settings.format });

  const input = await openCsvInput(options.input, options.read);
  const scratchStore = options.storePath === null ? throwAwayStorePath() : undefined;
  let store: OutcomeStore | undefined;
  let out: OutputWriters | undefined;
  try {
    const mapping = resolveColumns(input.info.header, options.mapping);
    store = OutcomeStore.open(options.storePath ?? scratchStore!);
    // A dry run only looks: it neither registers a run nor clears what a killed run left in flight.
    const run = options.dryRun
      ? { runId: "", staleInflight: store.peekStaleInflight(), staleRuns: 0 }
      : store.beginRun();
    if (run.staleInflight > 0) {
      events.onNotice?.(
        `A previous run stopped with ${run.staleInflight} profile(s) in flight; they may have been charged without an answer and will be sent again if still needed.`,
      );
    }
    const ledger = new RunLedger(store.db);
    const before = await readCredits(options.client, events);
    const freshSince = settings.maxAgeMs > 0 ? now() - settings.maxAgeMs : now();

    const writerSettings = {
      enrichedPath: paths.enriched,
      errorsPath: paths.errors,
      format: settings.format,
      delimiter: options.outDelimiter ?? input.info.delimiter,
      bom: options.bom ?? false,
      escapeFormulas: settings.escapeFormulas,
    };
    out = options.dryRun ? undefined : await OutputWriters.open(input.info.header, mapping, writerSettings);
    let tally = new RowTally();
    const planned = await planPass({
      input,
      mapping,
      ledger,
      store,
      endpoint: BATCH_ENDPOINT,
      freshSince,
      ...(out ? { speculative: { out, tally } } : {}),
    });
    const peopleToSend = ledger.peopleCount();
    const plan = {
      rows: planned.rows,
      invalid: planned.invalid,
      duplicates: planned.duplicates,
      fromStore: planned.fromStore,
      peopleToSend,
      staleInFlight: run.staleInflight,
    };
    events.onPlanned?.(plan);

    if (options.dryRun) {
      return dryRunReport(options.input, plan, settings, before, options.maxCredits);
    }

    const credits = new CreditGuard({ balance: before?.creditos_restantes, maxCredits: options.maxCredits });
    const pacer = new Pacer({
      delayMs: settings.delayMs,
      ratePerMinute: settings.ratePerMinute,
      concurrency: settings.concurrency,
      now,
    });
    let report: SendReport | undefined;
    if (peopleToSend > 0) {
      const sendStart = Date.now();
      report = await sendBatches({
        client: options.client,
        store,
        ledger,
        runId: run.runId,
        endpoint: BATCH_ENDPOINT,
        freshSince,
        batchSize: settings.batchSize,
        retryPolicy: { ...DEFAULT_RETRY_POLICY, retries: settings.retries },
        pacer,
        credits,
        signal: options.signal,
        random: options.random ?? Math.random,
        now,
        onBackoff: (info) => events.onBackoff?.(info),
        onSettled: (r) => {
          const elapsedMs = Date.now() - sendStart;
          const resolved = r.peopleDone + r.peopleFailed;
          const pace = elapsedMs > 0 ? (resolved / elapsedMs) * 60_000 : 0;
          events.onProgress?.({
            peopleTotal: peopleToSend,
            peopleDone: r.peopleDone,
            peopleFailed: r.peopleFailed,
            enriched: r.enriched,
            creditsUsed: r.creditsUsed,
            batches: r.batches,
            inFlight: pacer.inFlight,
            elapsedMs,
            pacePerMinute: pace,
            etaMs: pace > 0 ? ((peopleToSend - resolved) / pace) * 60_000 : undefined,
          });
        },
      });
    }

    if (!planned.written) {
      tally = new RowTally();
      out = await OutputWriters.open(input.info.header, mapping, writerSettings);
      await writePass({
        input,
        mapping,
        ledger,
        endpoint: BATCH_ENDPOINT,
        out,
        tally,
        pending: pendingReason(report),
      });
    }
    await out!.commit();
    store.endRun(run.runId);

    const after =
      report && report.batches > 0 && !report.fatal ? await readCredits(options.client, events) : before;
    const summary = buildSummary({
      input: options.input,
      tally,
      report,
      before,
      after,
      paths,
      storePath: options.storePath,
      started,
      staleInFlight: run.staleInflight,
    });
    await writeFileAtomic(paths.summary, `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } catch (error) {
    await out?.abort();
    throw error;
  } finally {
    store?.close();
    await input.close();
    if (scratchStore) removeStoreFiles(scratchStore);
  }
}

/** The free /creditos call: the balance before and after, and an early, free check of the key. */
async function readCredits(client: FluenceClient, events: EnrichEvents): Promise<CreditsInfo | undefined> {
  try {
    return await withRetries(() => client.credits(), { policy: { retries: 2 } });
  } catch (error) {
    if (error instanceof AuthenticationError) throw new UserError(error.message, EXIT.auth);
    if (error instanceof AccessDeniedError) throw new UserError(accessDeniedSentence(error), EXIT.auth);
    events.onNotice?.(
      `Could not read the credit balance (${(error as Error).message}); going on without it.`,
    );
    return undefined;
  }
}

export function accessDeniedSentence(error: AccessDeniedError): string {
  const tier = error.currentTier ? `your plan (${error.currentTier})` : "your plan";
  const need = error.requiredTier ? ` a ${error.requiredTier} plan` : " a CRM plan";
  const url = error.upgradeUrl ? `: ${error.upgradeUrl}` : "";
  return `The API refused the request because ${tier} cannot use the CRM endpoints; upgrade to${need}${url}.`;
}

function pendingReason(report: SendReport | undefined): PendingReason {
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
      const message = fatal instanceof AccessDeniedError ? accessDeniedSentence(fatal) : fatal.message;
      return { code: fatal.code, message };
    }
    default:
      return {
        code: "INTERRUPTED",
        message: "Not sent: the run was interrupted. Run again; only these rows are sent.",
      };
  }
}

function buildSummary(args: {
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
  const balanceAfter =
    finite(args.after?.creditos_restantes) ?? finite(report?.lastBilling?.creditos_restantes);
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
    credits_remaining: balanceAfter ?? finite(args.before?.creditos_restantes) ?? null,
    plan:
      stringOr(args.after?.tipo_plano) ??
      stringOr(report?.lastBilling?.tipo_plano) ??
      stringOr(args.before?.tipo_plano) ??
      null,
    errors_by_code: tally.errorsByCode,
    retryable_failures: tally.retryableFailures,
    billing_check: checkBilling({
      creditsReported: report?.creditsUsed ?? 0,
      successes: report?.successes ?? 0,
      inDoubt: report?.inDoubt ?? 0,
      balanceBefore: finite(args.before?.creditos_restantes),
      balanceAfter:
        report && report.batches > 0
          ? finite(args.after?.creditos_restantes)
          : finite(args.before?.creditos_restantes),
    }),
    stopped: stop,
    stop_message: stop ? pendingReason(report).message : null,
    duration_ms: Date.now() - args.started,
    exit_code: exit,
    outputs: args.paths,
    store: args.storePath,
  };
}

function dryRunReport(
  input: string,
  plan: {
    rows: number;
    invalid: number;
    duplicates: number;
    fromStore: number;
    peopleToSend: number;
    staleInFlight: number;
  },
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
  const balance = finite(before?.creditos_restantes);
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
    plan: stringOr(before?.tipo_plano) ?? null,
    estimated_ms: Math.round(estimated),
    stale_in_flight: plan.staleInFlight,
    exit_code: balance !== undefined && balance < toSend ? EXIT.credits : EXIT.ok,
  };
}

function throwAwayStorePath(): string {
  return path.join(os.tmpdir(), `fluence-run-${process.pid}-${randomBytes(6).toString("hex")}.sqlite`);
}

function removeStoreFiles(file: string): void {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${file}${suffix}`, { force: true });
}

function finite(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
