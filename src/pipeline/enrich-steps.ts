import { DEFAULT_RETRY_POLICY, type FluenceClient } from "../api/index.js";
import type { CreditsInfo } from "../api/types.js";
import { CreditGuard } from "../send/credit-guard.js";
import { FlowControl } from "../send/flow-control.js";
import type { PaidJournal } from "../send/paid-journal.js";
import { BatchSender } from "../send/send-batches.js";
import type { SendReport } from "../send/send-report.js";
import { SharedPace } from "../send/shared-pace.js";
import type { Analysis } from "../store/index.js";
import type {
  DEFAULT_ENRICH_SETTINGS,
  EnrichEvents,
  EnrichOptions,
  EnrichPlanInfo,
  EnrichSummary,
} from "./enrich-types.js";
import { ExtraColumns } from "./flatten-analise.js";
import { type PlanPassResult, planPass, writePass } from "./input-passes.js";
import type { OutputPaths } from "./output-paths.js";
import { type OutputSettings, OutputWriters } from "./output-writers.js";
import { RowTally } from "./row-tally.js";
import type { RunRegistration, RunResources } from "./run-resources.js";
import { buildSummary, pendingReason } from "./run-summary.js";

/** What every step of one run reads: settled before the first step, never changed after. */
export interface RunContext {
  options: EnrichOptions;
  settings: typeof DEFAULT_ENRICH_SETTINGS;
  events: EnrichEvents;
  now: () => number;
  analysis: Analysis;
  perProfile: number;
  paths: OutputPaths;
  resources: RunResources;
  run: RunRegistration;
  /** Stored outcomes newer than this are reused. */
  freshSince: number;
  writerSettings: OutputSettings;
  /** The complete analysis's columns come from the data, learned as outcomes are seen. */
  extraColumns: ExtraColumns | undefined;
  /** The journal of paid outcomes (none with --no-store or for a dry run). */
  journal: PaidJournal | undefined;
}

export function outputSettings(
  options: EnrichOptions,
  settings: typeof DEFAULT_ENRICH_SETTINGS,
  paths: OutputPaths,
  inputDelimiter: string,
): OutputSettings {
  return {
    enrichedPath: paths.enriched,
    errorsPath: paths.errors,
    summaryPath: paths.summary,
    format: settings.format,
    delimiter: options.outDelimiter ?? inputDelimiter,
    bom: options.bom ?? false,
    escapeFormulas: settings.escapeFormulas,
  };
}

export function extraColumnsFor(analysis: Analysis): ExtraColumns | undefined {
  return analysis === "complete" ? new ExtraColumns() : undefined;
}

/** What both passes over the input read: the rows, their columns, the run's ledger and the store. */
function passInputs(ctx: RunContext) {
  const { input, mapping, ledger, store } = ctx.resources;
  return { input, mapping, ledger, store, analysis: ctx.analysis, freshSince: ctx.freshSince };
}

/** The plan pass under way, and the tally of rows it may already have written. */
export interface Planning {
  result: Promise<PlanPassResult>;
  tally: RowTally;
}

/**
 * Starts the plan pass (validate, de-duplicate, consult the store, queue the rest). The basic analysis has
 * fixed columns, so a re-run served wholly by the store is written while it is planned, in one pass; the
 * complete analysis's columns are all known only once the run has them, so the write pass writes it.
 */
export async function plan(ctx: RunContext, onQueued: () => void): Promise<Planning> {
  const { resources, extraColumns } = ctx;
  const tally = new RowTally();
  if (!ctx.options.dryRun && !extraColumns) {
    resources.out = await OutputWriters.open(
      resources.input.info.header,
      resources.mapping,
      ctx.writerSettings,
    );
  }
  const out = resources.out;
  const result = planPass({
    ...passInputs(ctx),
    ...(out ? { speculative: { out, tally } } : {}),
    onQueued,
    ...(extraColumns
      ? {
          onStored: (found) => {
            for (const o of found) if (o.kind === "ok") extraColumns.add(o.analise);
          },
        }
      : {}),
    signal: resources.stopPlanning.signal,
  });
  resources.planning = result;
  // Keep a failed plan pass from going unhandled while the preflight is awaited; it is awaited later.
  result.catch(() => {});
  return { result, tally };
}

export function planInfo(planned: PlanPassResult, ctx: RunContext): EnrichPlanInfo {
  return {
    rows: planned.rows,
    invalid: planned.invalid,
    duplicates: planned.duplicates,
    fromStore: planned.fromStore,
    peopleToSend: ctx.resources.ledger.peopleCount(),
    staleInFlight: ctx.run.staleInflight,
  };
}

export interface Sent {
  report: SendReport;
  planned: PlanPassResult;
  flow: FlowControl;
  maxInFlight: number;
}

/**
 * Sends what the plan pass queues, while it is still queueing. The pacer starts one gap after the
 * preflight, which counted against the rate like any request.
 */
export async function send(
  ctx: RunContext,
  planning: Planning,
  before: CreditsInfo | undefined,
  preflightAt: number,
  wakeOnQueued: { wake: () => void },
): Promise<Sent> {
  const { options, settings, events, now, resources } = ctx;
  const flow = new FlowControl({
    concurrency: settings.concurrency,
    maxConcurrency: settings.maxConcurrency,
    batchSize: settings.batchSize,
    gatewayTimeoutMs: settings.gatewayTimeoutMs,
    pacer: { ratePerMinute: settings.ratePerMinute, delayMs: settings.delayMs, lastStartAt: preflightAt },
    now,
  });
  const keyId = resources.sharedKeyId;
  if (keyId !== undefined) flow.share = await SharedPace.join(resources.store, keyId, flow.pacer, now);
  const sendStart = now();
  let planDone = false;
  const sender: BatchSender = new BatchSender({
    client: options.client,
    store: resources.store,
    ledger: resources.ledger,
    runId: ctx.run.runId,
    analysis: ctx.analysis,
    freshSince: ctx.freshSince,
    retryPolicy: { ...DEFAULT_RETRY_POLICY, retries: settings.retries },
    flow,
    journal: ctx.journal,
    credits: new CreditGuard({
      balance: before?.creditos_restantes,
      maxCredits: options.maxCredits,
      creditsPerProfile: ctx.perProfile,
    }),
    signal: options.signal,
    random: options.random ?? Math.random,
    now,
    onEvent: (event) => events.onEvent?.(event),
    onRequestFailed: (failure) => events.onRequestFailed?.(failure),
    onSettled: (r) =>
      events.onProgress?.({
        peopleTotal: resources.ledger.peopleCount(),
        planning: !planDone,
        peopleDone: r.peopleDone,
        peopleFailed: r.peopleFailed,
        enriched: r.enriched,
        creditsUsed: r.creditsUsed,
        batches: r.batches,
        inFlight: sender.inFlight,
        limit: flow.limit,
        elapsedMs: now() - sendStart,
      }),
  });
  wakeOnQueued.wake = () => sender.wake();
  const sending = sender.run();
  // If sending fails (the store gave out), the plan pass must not keep reading and writing.
  sending.catch(() => resources.stopPlanning.abort());
  const planned = await planning.result;
  planDone = true;
  sender.planningDone();
  events.onPlanned?.(planInfo(planned, ctx));
  const report = await sending;
  return { report, planned, flow, maxInFlight: flow.maxInflight };
}

/** Every row, in input order, into the enriched or the errors output (unless the plan pass did it). */
export async function write(ctx: RunContext, sent: Sent, planning: Planning): Promise<RowTally> {
  const { resources, extraColumns } = ctx;
  let tally = planning.tally;
  if (!sent.planned.written) {
    if (extraColumns) for (const analise of resources.ledger.doneAnalyses()) extraColumns.add(analise);
    tally = new RowTally();
    resources.out = await OutputWriters.open(resources.input.info.header, resources.mapping, {
      ...ctx.writerSettings,
      extraColumns,
    });
    await writePass({
      ...passInputs(ctx),
      out: resources.out,
      tally,
      pending: pendingReason(sent.report),
      storeDown: sent.report.storeFailure !== undefined,
    });
  }
  await resources.out!.finish();
  return tally;
}

/** The summary, the outputs published with it, the run closed in the store. */
export async function summarize(
  ctx: RunContext,
  sent: Sent,
  tally: RowTally,
  before: CreditsInfo | undefined,
  startedAt: number,
  readCredits: (client: FluenceClient) => Promise<CreditsInfo | undefined>,
): Promise<EnrichSummary> {
  const { report } = sent;
  const { resources } = ctx;
  const after = report.batches > 0 && !report.fatal ? await readCredits(ctx.options.client) : before;
  const storeUp = report.storeFailure === undefined;
  const share = sent.flow.share;
  const summary = buildSummary({
    input: ctx.options.input,
    analysis: ctx.analysis,
    perProfile: ctx.perProfile,
    tally,
    report: resources.ledger.peopleCount() > 0 || report.batches > 0 ? report : undefined,
    flow: sent.flow,
    before,
    after,
    paths: ctx.paths,
    storeLocation: resources.storeLocation,
    durationMs: ctx.now() - startedAt,
    staleInFlight: ctx.run.staleInflight,
    maxInFlight: sent.maxInFlight,
    fleetRuns:
      share && storeUp ? await resources.store.fleetRuns(share.keyId, ctx.run.runId) : (share?.maxRuns ?? 1),
    journaled: ctx.journal?.keptOutcomes ?? 0,
    recovered: resources.recovered,
  });
  await resources.out!.commit(`${JSON.stringify(summary, null, 2)}\n`);
  // A store that failed cannot end the run: its claims lapse with its lease (or its session, at once).
  if (storeUp) await resources.store.endRun(ctx.run.runId);
  const replaced = await resources.input.replacedNotice();
  if (replaced) ctx.events.onNotice?.(replaced);
  return summary;
}
