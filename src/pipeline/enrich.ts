import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  AccessDeniedError,
  AuthenticationError,
  DEFAULT_RETRY_POLICY,
  type FluenceClient,
  WrongEndpointError,
  withRetries,
} from "../api/index.js";
import type { CreditsInfo } from "../api/types.js";
import { type CsvInput, openCsvInput, resolveColumns } from "../csv/index.js";
import { EXIT } from "../exit-codes.js";
import { onExitUndo } from "../fs/exit-cleanup.js";
import { asStoreFailure } from "../fs/io-errors.js";
import { lockOutputs } from "../fs/output-lock.js";
import { CreditGuard } from "../send/credit-guard.js";
import { FlowControl } from "../send/flow-control.js";
import { BatchSender } from "../send/send-batches.js";
import type { SendReport } from "../send/send-report.js";
import { type Analysis, type OutcomeStore, openStore } from "../store/index.js";
import { UserError } from "../user-error.js";
import {
  DEFAULT_ENRICH_SETTINGS,
  type DryRunReport,
  type EnrichEvents,
  type EnrichOptions,
  type EnrichPlanInfo,
  type EnrichSummary,
} from "./enrich-types.js";
import { ExtraColumns } from "./flatten-analise.js";
import { type PlanPassResult, planPass, writePass } from "./input-passes.js";
import { resolveOutputPaths } from "./output-paths.js";
import { OutputWriters } from "./output-writers.js";
import { RowTally } from "./row-tally.js";
import { RunLedger } from "./run-ledger.js";
import { buildSummary, dryRunReport, pendingReason } from "./run-summary.js";

/** Credits one successfully enriched person costs, per analysis. */
export const CREDITS_PER_PROFILE: Readonly<Record<Analysis, number>> = Object.freeze({
  basic: 1,
  complete: 2,
});

/**
 * Reads the input, plans, sends what the store does not already know, and writes every row to the
 * enriched or the errors output in input order. Outputs are a function of (input, store). The plan pass and
 * the free /creditos preflight start together, and the first batch leaves as soon as the preflight has
 * answered, while the plan pass may still be reading a large file.
 */
export async function runEnrich(
  options: EnrichOptions,
  events: EnrichEvents = {},
): Promise<EnrichSummary | DryRunReport> {
  const started = Date.now();
  const settings = { ...DEFAULT_ENRICH_SETTINGS, ...definedOnly(options) };
  const now = options.now ?? Date.now;
  const analysis: Analysis = options.complete ? "complete" : "basic";
  const paths = resolveOutputPaths({ ...options, format: settings.format });
  // Before anything is read or sent: a run overlapping another on the same outputs stops here (exit 8).
  const locks = options.dryRun ? undefined : await lockOutputs([paths.enriched, paths.errors, paths.summary]);
  // The free preflight goes out first: its round trip overlaps opening the input, the store and the plan.
  // It counts against the rate like any request, so the pacer starts one gap after it.
  const preflightAt = now();
  const preflight = readCredits(options.client, events);
  preflight.catch(() => {});

  const scratchStore = options.storePath === null ? throwAwayStorePath() : undefined;
  const forgetScratch = scratchStore ? onExitUndo(() => removeStoreFiles(scratchStore)) : undefined;
  const stopPlanning = new AbortController();
  let planning: Promise<PlanPassResult> | undefined;
  let input: CsvInput | undefined;
  let store: OutcomeStore | undefined;
  let ledger: RunLedger | undefined;
  let out: OutputWriters | undefined;
  try {
    input = await openCsvInput(options.input, options.read);
    const mapping = resolveColumns(input.info.header, options.mapping);
    store = await openStore(options.storePath ?? scratchStore!);
    // A dry run only looks: it neither registers a run nor clears what a killed run left in flight.
    const run = options.dryRun
      ? { runId: "", staleInflight: await store.peekStaleInflight(), staleRuns: 0 }
      : await store.beginRun();
    if (run.staleInflight > 0) {
      events.onNotice?.(
        `A previous run stopped with ${run.staleInflight} profile(s) in flight; they may have been charged without an answer and will be sent again if still needed.`,
      );
    }
    ledger = new RunLedger();
    const freshSince = settings.maxAgeMs > 0 ? now() - settings.maxAgeMs : now();
    const writerSettings = {
      enrichedPath: paths.enriched,
      errorsPath: paths.errors,
      summaryPath: paths.summary,
      format: settings.format,
      delimiter: options.outDelimiter ?? input.info.delimiter,
      bom: options.bom ?? false,
      escapeFormulas: settings.escapeFormulas,
    };
    // The basic analysis has fixed columns, so a re-run served wholly by the store is written while it
    // is planned, in one pass. The complete analysis's columns come from the data: they are all known
    // only once the run has them, so its outputs are written by the second pass.
    const extraColumns = analysis === "complete" ? new ExtraColumns() : undefined;
    out =
      options.dryRun || extraColumns
        ? undefined
        : await OutputWriters.open(input.info.header, mapping, writerSettings);
    let tally = new RowTally();

    let sender: BatchSender | undefined;
    planning = planPass({
      input,
      mapping,
      ledger,
      store,
      analysis,
      freshSince,
      ...(out ? { speculative: { out, tally } } : {}),
      onQueued: () => sender?.wake(),
      ...(extraColumns
        ? {
            onStored: (found) => {
              for (const o of found) if (o.kind === "ok") extraColumns.add(o.analise);
            },
          }
        : {}),
      signal: stopPlanning.signal,
    });
    // Keep a failed plan pass from going unhandled while the preflight is awaited; it is awaited below.
    planning.catch(() => {});
    const before = await preflight;
    const perProfile = CREDITS_PER_PROFILE[analysis];

    if (options.dryRun) {
      const plan = planInfo(await planning, ledger, run.staleInflight);
      events.onPlanned?.(plan);
      return dryRunReport({ input: options.input, plan, settings, before, analysis, perProfile, options });
    }

    const flow = new FlowControl({
      concurrency: settings.concurrency,
      maxConcurrency: settings.maxConcurrency,
      batchSize: settings.batchSize,
      pacer: { ratePerMinute: settings.ratePerMinute, delayMs: settings.delayMs, lastStartAt: preflightAt },
      now,
    });
    const sendStart = Date.now();
    const activeLedger = ledger;
    let planDone = false;
    sender = new BatchSender({
      client: options.client,
      store,
      ledger,
      runId: run.runId,
      analysis,
      freshSince,
      retryPolicy: { ...DEFAULT_RETRY_POLICY, retries: settings.retries },
      flow,
      credits: new CreditGuard({
        balance: before?.creditos_restantes,
        maxCredits: options.maxCredits,
        creditsPerProfile: perProfile,
      }),
      signal: options.signal,
      random: options.random ?? Math.random,
      now,
      onBackoff: (info) => events.onBackoff?.(info),
      onRequestFailed: (failure) => events.onRequestFailed?.(failure),
      onSettled: (r) => {
        const elapsedMs = Date.now() - sendStart;
        const resolved = r.peopleDone + r.peopleFailed;
        const total = activeLedger.peopleCount();
        const pace = elapsedMs > 0 ? (resolved / elapsedMs) * 60_000 : 0;
        events.onProgress?.({
          peopleTotal: total,
          planning: !planDone,
          peopleDone: r.peopleDone,
          peopleFailed: r.peopleFailed,
          enriched: r.enriched,
          creditsUsed: r.creditsUsed,
          batches: r.batches,
          inFlight: flow.inflight,
          limit: flow.limit,
          elapsedMs,
          pacePerMinute: pace,
          etaMs: pace > 0 ? ((total - resolved) / pace) * 60_000 : undefined,
        });
      },
    });
    const sending = sender.run();
    // If sending fails (the store gave out), the plan pass must not keep reading and writing.
    sending.catch(() => stopPlanning.abort());
    const planned = await planning;
    planDone = true;
    sender.planningDone();
    events.onPlanned?.(planInfo(planned, ledger, run.staleInflight));
    const report: SendReport = await sending;
    const peopleToSend = ledger.peopleCount();

    if (!planned.written) {
      if (extraColumns) for (const analise of ledger.doneAnalyses()) extraColumns.add(analise);
      tally = new RowTally();
      out = await OutputWriters.open(input.info.header, mapping, { ...writerSettings, extraColumns });
      await writePass({
        input,
        mapping,
        ledger,
        store,
        analysis,
        freshSince,
        out,
        tally,
        pending: pendingReason(report),
      });
    }
    await out!.finish();

    const after = report.batches > 0 && !report.fatal ? await readCredits(options.client, events) : before;
    const summary = buildSummary({
      input: options.input,
      analysis,
      perProfile,
      tally,
      report: peopleToSend > 0 || report.batches > 0 ? report : undefined,
      flow,
      before,
      after,
      paths,
      storeLocation: options.storePath === null ? null : store.location,
      started,
      staleInFlight: run.staleInflight,
    });
    await out!.commit(`${JSON.stringify(summary, null, 2)}\n`);
    await store.endRun(run.runId);
    const replaced = await input.replacedNotice();
    if (replaced) events.onNotice?.(replaced);
    return summary;
  } catch (error) {
    stopPlanning.abort();
    await planning?.catch(() => {});
    await out?.abort();
    throw asStoreFailure(error, store?.location ?? options.storePath ?? scratchStore!);
  } finally {
    ledger?.close();
    await store?.close();
    await input?.close();
    if (scratchStore) removeStoreFiles(scratchStore);
    forgetScratch?.();
    await locks?.release();
  }
}

function planInfo(planned: PlanPassResult, ledger: RunLedger, staleInFlight: number): EnrichPlanInfo {
  return {
    rows: planned.rows,
    invalid: planned.invalid,
    duplicates: planned.duplicates,
    fromStore: planned.fromStore,
    peopleToSend: ledger.peopleCount(),
    staleInFlight,
  };
}

/**
 * The free /creditos call: the balance before and after, and an early, free check of the key and the base
 * URL: a refused key (exit 3) or a wrong base URL (exit 2) stops the run before any batch is sent.
 */
async function readCredits(client: FluenceClient, events: EnrichEvents): Promise<CreditsInfo | undefined> {
  try {
    return await withRetries(() => client.credits(), { policy: { retries: 2 } });
  } catch (error) {
    if (error instanceof AuthenticationError || error instanceof AccessDeniedError) {
      throw new UserError(error.message, EXIT.auth);
    }
    if (error instanceof WrongEndpointError) throw new UserError(error.message, EXIT.usage);
    events.onNotice?.(
      `Could not read the credit balance (${(error as Error).message}); going on without it.`,
    );
    return undefined;
  }
}

function throwAwayStorePath(): string {
  return path.join(os.tmpdir(), `fluence-run-${process.pid}-${randomBytes(6).toString("hex")}.sqlite`);
}

function removeStoreFiles(file: string): void {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${file}${suffix}`, { force: true });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
