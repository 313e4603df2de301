import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  AccessDeniedError,
  AuthenticationError,
  DEFAULT_RETRY_POLICY,
  type FluenceClient,
  withRetries,
} from "../api/index.js";
import type { CreditsInfo } from "../api/types.js";
import { type CsvInput, openCsvInput, resolveColumns } from "../csv/index.js";
import { EXIT } from "../exit-codes.js";
import { onExitUndo } from "../fs/exit-cleanup.js";
import { asStoreFailure } from "../fs/io-errors.js";
import { lockOutputs } from "../fs/output-lock.js";
import { OutcomeStore } from "../store/index.js";
import { UserError } from "../user-error.js";
import { CreditGuard } from "./credit-guard.js";
import {
  DEFAULT_ENRICH_SETTINGS,
  type DryRunReport,
  type EnrichEvents,
  type EnrichOptions,
  type EnrichPlanInfo,
  type EnrichSummary,
} from "./enrich-types.js";
import { planPass, writePass } from "./input-passes.js";
import { resolveOutputPaths } from "./output-paths.js";
import { OutputWriters } from "./output-writers.js";
import { Pacer } from "./pacer.js";
import { RowTally } from "./row-tally.js";
import { RunLedger } from "./run-ledger.js";
import { buildSummary, dryRunReport, pendingReason } from "./run-summary.js";
import { type SendReport, sendBatches } from "./send-batches.js";

/** The store keys outcomes by endpoint: a basic analysis is not a complete one. */
export const BATCH_ENDPOINT = "crm_basico_batch";

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
  // Before anything is read or sent: a run overlapping another on the same outputs stops here (exit 8).
  const locks = options.dryRun ? undefined : await lockOutputs([paths.enriched, paths.errors, paths.summary]);
  const scratchStore = options.storePath === null ? throwAwayStorePath() : undefined;
  const forgetScratch = scratchStore ? onExitUndo(() => removeStoreFiles(scratchStore)) : undefined;
  let input: CsvInput | undefined;
  let store: OutcomeStore | undefined;
  let out: OutputWriters | undefined;
  try {
    input = await openCsvInput(options.input, options.read);
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
      summaryPath: paths.summary,
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
    const plan: EnrichPlanInfo = {
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
    await out!.finish();

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
    await out!.commit(`${JSON.stringify(summary, null, 2)}\n`);
    store.endRun(run.runId);
    const replaced = await input.replacedNotice();
    if (replaced) events.onNotice?.(replaced);
    return summary;
  } catch (error) {
    await out?.abort();
    throw asStoreFailure(error, store?.path ?? options.storePath ?? scratchStore!);
  } finally {
    store?.close();
    await input?.close();
    if (scratchStore) removeStoreFiles(scratchStore);
    forgetScratch?.();
    await locks?.release();
  }
}

/** The free /creditos call: the balance before and after, and an early, free check of the key. */
async function readCredits(client: FluenceClient, events: EnrichEvents): Promise<CreditsInfo | undefined> {
  try {
    return await withRetries(() => client.credits(), { policy: { retries: 2 } });
  } catch (error) {
    if (error instanceof AuthenticationError || error instanceof AccessDeniedError) {
      throw new UserError(error.message, EXIT.auth);
    }
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
