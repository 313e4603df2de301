import { type FluenceApiError, type FluenceClient, withRetries } from "../api/index.js";
import type { CreditsInfo } from "../api/types.js";
import { describeMapping, extractProfile } from "../csv/index.js";
import { STOPS, stopForApiError } from "../send/stop-reasons.js";
import type { Analysis } from "../store/index.js";
import { UserError } from "../user-error.js";
import {
  extraColumnsFor,
  outputSettings,
  plan,
  planInfo,
  type RunContext,
  send,
  summarize,
  write,
} from "./enrich-steps.js";
import {
  CREDITS_PER_PROFILE,
  DEFAULT_ENRICH_SETTINGS,
  type DryRunReport,
  type EnrichEvents,
  type EnrichOptions,
  type EnrichSummary,
} from "./enrich-types.js";

import { resolveOutputPaths } from "./output-paths.js";
import { RunResources } from "./run-resources.js";
import { dryRunReport } from "./run-summary.js";

export { CREDITS_PER_PROFILE };

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
  const now = options.now ?? Date.now;
  const startedAt = now();
  const settings = { ...DEFAULT_ENRICH_SETTINGS, ...definedOnly(options) };
  // A workbook in gives workbooks out unless asked otherwise: the name decides, as the paths are fixed
  // (and locked) before the input is opened.
  if (options.format === undefined && /\.(xlsx|xlsm)$/i.test(options.input)) settings.format = "xlsx";
  const analysis: Analysis = options.complete ? "complete" : "basic";
  const paths = resolveOutputPaths({ ...options, format: settings.format });
  const resources = new RunResources(options);
  try {
    await resources.lockOutputs(paths);
    // The free preflight goes out first: its round trip overlaps opening the input, the store and the
    // plan. It counts against the rate like any request, so the pacer starts one gap after it.
    const preflightAt = now();
    const preflight = readCredits(options.client, events);
    preflight.catch(() => {});
    await resources.open();
    if (resources.mapping.notice) events.onNotice?.(resources.mapping.notice);
    const run = await resources.register();
    if (resources.recovered > 0) events.onNotice?.(recoveredNotice(resources.recovered));
    if (run.staleInflight > 0) events.onNotice?.(staleNotice(run.staleInflight));
    const journal = await resources.openJournal(run.runId, (text) => events.onNotice?.(text));
    const ctx: RunContext = {
      options,
      settings,
      events,
      now,
      analysis,
      perProfile: CREDITS_PER_PROFILE[analysis],
      paths,
      resources,
      run,
      freshSince: settings.maxAgeMs > 0 ? now() - settings.maxAgeMs : now(),
      writerSettings: outputSettings(options, settings, paths, resources.input.info.delimiter),
      extraColumns: extraColumnsFor(analysis),
      journal,
    };
    const sender = { wake: () => {} };
    const planning = await plan(ctx, () => sender.wake());
    const before = await preflight;
    if (options.dryRun) {
      const planned = planInfo(await planning.result, ctx);
      events.onPlanned?.(planned);
      const { perProfile } = ctx;
      return dryRunReport({
        input: options.input,
        columns: describeMapping(resources.input.info.header, resources.mapping),
        firstRows: resources.input.sample
          .slice(0, 2)
          .map((row) => extractProfile(row, resources.mapping).profile),
        plan: planned,
        settings,
        before,
        analysis,
        perProfile,
        options,
        fleetRuns: await resources.fleetNow(),
      });
    }
    const sent = await send(ctx, planning, before, preflightAt, sender);
    const tally = await write(ctx, sent, planning);
    return await summarize(ctx, sent, tally, before, startedAt, (client) => readCredits(client, events));
  } catch (error) {
    throw await resources.failed(error);
  } finally {
    await resources.close();
  }
}

function recoveredNotice(count: number): string {
  return `Stored ${count} paid outcome(s) that a previous run on this machine could not keep in the store (they were in its journal); nobody is paid for them twice.`;
}

function staleNotice(count: number): string {
  return `A previous run stopped with ${count} profile(s) in flight; they may have been charged without an answer and will be sent again if still needed.`;
}

/**
 * The free /creditos call: the balance before and after, and an early, free check of the key and the base
 * URL: a refused key (exit 3) or a wrong base URL (exit 2) stops the run before any batch is sent.
 */
export async function readCredits(
  client: FluenceClient,
  events: EnrichEvents,
): Promise<CreditsInfo | undefined> {
  try {
    return await withRetries(() => client.credits(), { policy: { retries: 2 } });
  } catch (error) {
    const stop = stopForApiError(error as FluenceApiError);
    if (stop === "auth" || stop === "endpoint")
      throw new UserError((error as Error).message, STOPS[stop].exit);
    events.onNotice?.(
      `Could not read the credit balance (${(error as Error).message}); going on without it.`,
    );
    return undefined;
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
