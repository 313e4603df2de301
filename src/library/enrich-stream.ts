import type { FluenceClient } from "../api/client.js";
import { DEFAULT_RETRY_POLICY } from "../api/retry-timing.js";
import type { Analise, ProfileInput } from "../api/types.js";
import { EXIT } from "../exit-codes.js";
import { readCredits } from "../pipeline/enrich.js";
import { CREDITS_PER_PROFILE, DEFAULT_ENRICH_SETTINGS, type EnrichEvents } from "../pipeline/enrich-types.js";
import { FingerprintSet } from "../pipeline/fingerprint-set.js";
import { sentence } from "../pipeline/row-tally.js";
import { pendingReason, storeFailureSentence } from "../pipeline/run-summary.js";
import { CreditGuard } from "../send/credit-guard.js";
import { FlowControl } from "../send/flow-control.js";
import { openPaidJournal, type PaidJournal } from "../send/paid-journal.js";
import { rowErrorInfo } from "../send/row-codes.js";
import { BatchSender } from "../send/send-batches.js";
import type { SendReport } from "../send/send-report.js";
import { SharedPace } from "../send/shared-pace.js";
import { fingerprint } from "../store/fingerprint.js";
import { journalDir, replayJournals } from "../store/journal.js";
import type { Analysis, StoredOutcome } from "../store/types.js";
import { UserError } from "../user-error.js";
import { NotifyingLedger } from "./notifying-ledger.js";
import { type EnrichOutcome, type Person, profileOf } from "./people.js";
import { openRunStore, type RunStore } from "./run-store.js";

export interface EnrichStreamOptions extends EnrichEvents {
  client: FluenceClient;
  /** SQLite file or postgres:// URL of the store; null: a throw-away store for this call. Default: the CLI's. */
  storePath?: string | null;
  /** The complete analysis (2 credits a person) instead of the basic one. */
  complete?: boolean;
  batchSize?: number;
  concurrency?: number | "auto";
  maxConcurrency?: number;
  delayMs?: number;
  ratePerMinute?: number;
  retries?: number;
  /** API Gateway's timeout: batches are sized so that 9 in 10 finish within 85% of it. Default 29,000 ms. */
  gatewayTimeoutMs?: number;
  /** Stored outcomes younger than this are used. Default 30 days; 0 = always ask. */
  maxAgeMs?: number;
  /** Never send more people than this many credits could pay for. */
  maxCredits?: number;
  /**
   * Stops new batches; those in flight land (and are kept in the store), then the iteration throws the
   * signal's reason. Outcomes not yet yielded are not yielded.
   */
  signal?: AbortSignal;
  /** Most people read from the input ahead of the consumer. Default 1000. */
  readAhead?: number;
  /** Injectable for tests. */
  random?: () => number;
  now?: () => number;
}

/** People are looked up in the store a chunk at a time, never once per person. */
const CHUNK = 100;

interface Pending<P> {
  person: P;
  index: number;
  duplicate: boolean;
  fp?: string;
  invalid?: string;
  stored?: StoredOutcome;
}

/**
 * Enriches people from an iterable or async iterable and yields one outcome per person, in input order,
 * with the CLI's engine: the store, de-duplication, pacing, adaptive concurrency, retries, the credit guard
 * and in-doubt accounting. It reads at most `readAhead` people ahead of the consumer, so a slow consumer
 * slows the reading instead of filling memory.
 */
export async function* enrich<P extends Person>(
  people: Iterable<P> | AsyncIterable<P>,
  options: EnrichStreamOptions,
): AsyncGenerator<EnrichOutcome<P>, void, undefined> {
  options.signal?.throwIfAborted();
  const now = options.now ?? Date.now;
  const settings = { ...DEFAULT_ENRICH_SETTINGS, ...definedOnly(options) };
  const analysis: Analysis = options.complete ? "complete" : "basic";
  const readAhead = Math.max(1, options.readAhead ?? 1000);
  // Stops the sender when the caller aborts or stops iterating (break, throw): both end here.
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort);
  let changed = () => {};
  const ledger = new NotifyingLedger(() => changed());
  let store: RunStore | undefined;
  let journal: PaidJournal | undefined;
  let sending: Promise<SendReport> | undefined;
  let source: AsyncIterator<P> | Iterator<P> | undefined;
  try {
    const preflightAt = now();
    const before = await readCredits(options.client, options);
    store = await openRunStore(options.storePath);
    // A throw-away store (storePath null) has nobody to share the key's rate with, nor anything to keep.
    const keyId = options.storePath === null ? undefined : options.client.keyId;
    const dir = options.storePath === null ? undefined : journalDir(store.store.location);
    const recovered = dir === undefined ? 0 : await replayJournals(dir, store.store);
    if (recovered > 0)
      options.onNotice?.(`Stored ${recovered} paid outcome(s) a previous run could not keep in the store.`);
    const run = await store.store.beginRun(keyId);
    if (run.staleInflight > 0)
      options.onNotice?.(`${run.staleInflight} person(s) were in flight when a previous run stopped.`);
    if (dir !== undefined)
      journal = await openPaidJournal(dir, run.runId, (text) => options.onNotice?.(text));
    const freshSince = settings.maxAgeMs > 0 ? now() - settings.maxAgeMs : now();
    const flow = new FlowControl({
      concurrency: settings.concurrency,
      maxConcurrency: settings.maxConcurrency,
      batchSize: settings.batchSize,
      pacer: { ratePerMinute: settings.ratePerMinute, delayMs: settings.delayMs, lastStartAt: preflightAt },
      gatewayTimeoutMs: settings.gatewayTimeoutMs,
      now,
    });
    if (keyId !== undefined) flow.share = await SharedPace.join(store.store, keyId, flow.pacer, now);
    const sendStart = now();
    let sourceDone = false;
    const sender: BatchSender = new BatchSender({
      client: options.client,
      store: store.store,
      ledger,
      runId: run.runId,
      analysis,
      freshSince,
      retryPolicy: { ...DEFAULT_RETRY_POLICY, retries: settings.retries },
      flow,
      journal,
      credits: new CreditGuard({
        balance: before?.creditos_restantes,
        maxCredits: options.maxCredits,
        creditsPerProfile: CREDITS_PER_PROFILE[analysis],
      }),
      signal: stop.signal,
      random: options.random ?? Math.random,
      now,
      onEvent: (event) => options.onEvent?.(event),
      onRequestFailed: (failure) => options.onRequestFailed?.(failure),
      onSettled: (r) =>
        options.onProgress?.({
          peopleTotal: ledger.peopleCount(),
          planning: !sourceDone,
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
    let report: SendReport | undefined;
    let failure: { error: unknown } | undefined;
    sending = sender.run();
    sending.then(
      (r) => {
        report = r;
        changed();
      },
      (error: unknown) => {
        failure = { error };
        changed();
      },
    );

    source = iteratorOf(people);
    const seen = new FingerprintSet();
    const queue: Pending<P>[] = [];
    let head = 0;
    let index = 0;
    const profiles = new Map<Pending<P>, ProfileInput | undefined>();
    const readChunk = async () => {
      const chunk: Pending<P>[] = [];
      while (chunk.length < CHUNK && queue.length - head + chunk.length < readAhead) {
        const next = await source!.next();
        if (next.done) {
          sourceDone = true;
          break;
        }
        const checked = profileOf(next.value);
        const item: Pending<P> = { person: next.value, index: index++, duplicate: false };
        if ("invalid" in checked) item.invalid = checked.invalid;
        else item.fp = fingerprint(checked.profile);
        chunk.push(item);
        profiles.set(item, "profile" in checked ? checked.profile : undefined);
      }
      const fps = chunk.flatMap((item) => (item.fp ? [item.fp] : []));
      const stored = fps.length > 0 ? await store!.store.lookup(fps, analysis, freshSince) : new Map();
      const toSend = [];
      for (const item of chunk) {
        const profile = profiles.get(item);
        profiles.delete(item);
        if (!item.fp || !profile) continue;
        item.duplicate = !seen.add(item.fp);
        const found = stored.get(item.fp);
        if (found) item.stored = found;
        else toSend.push({ fp: item.fp, seq: item.index, profile });
      }
      ledger.addQueued(toSend);
      queue.push(...chunk);
      if (toSend.length > 0) sender.wake();
      if (sourceDone) sender.planningDone();
    };
    for (;;) {
      if (stop.signal.aborted) break;
      while (!sourceDone && queue.length - head < readAhead && !stop.signal.aborted) {
        await readChunk();
        // Yield what is already known between chunks, so a store-served input streams without waiting.
        if (queue.length > head && resolve(queue[head]!, ledger, report) !== undefined) break;
      }
      if (failure) throw failure.error;
      if (head === queue.length) {
        if (sourceDone) break;
        continue;
      }
      const item = queue[head]!;
      const outcome = resolve(item, ledger, report);
      if (outcome === undefined) {
        await new Promise<void>((wake) => {
          changed = wake;
          // Re-checked after arming: the answer may have landed between the resolve and now.
          if (resolve(item, ledger, report) !== undefined || failure || report || stop.signal.aborted) wake();
        });
        changed = () => {};
        continue;
      }
      queue[head++] = undefined as never;
      if (head > 4096 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      yield outcome;
    }
    if (options.signal?.aborted) {
      await sending.catch(() => {});
      options.signal.throwIfAborted();
    }
    const sent = await sending;
    // A store that failed mid-run: every answer was yielded (and kept in the journal); the run failed.
    if (sent.storeFailure)
      throw new UserError(storeFailureSentence(sent, journal?.keptOutcomes ?? 0), EXIT.io);
    await store.store.endRun(run.runId);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    stop.abort();
    await sending?.catch(() => {});
    // The caller stopped early (break, an error): let the input close its file or cursor.
    await source?.return?.();
    ledger.close();
    await journal?.close();
    await store?.close();
  }
}

/** The person's outcome, or undefined while its batch is still to be sent or answered. */
function resolve<P extends Person>(
  item: Pending<P>,
  ledger: NotifyingLedger,
  report: SendReport | undefined,
): EnrichOutcome<P> | undefined {
  const base = { person: item.person, index: item.index, duplicate: item.duplicate };
  if (item.invalid !== undefined) {
    return {
      ...base,
      fromStore: false,
      status: "invalid" as const,
      code: "INVALID_ROW" as const,
      message: item.invalid,
    };
  }
  if (item.stored) return fromOutcome(base, item.stored, true, false);
  const entry = ledger.resolve([item.fp!]).get(item.fp!);
  if (!entry) return undefined;
  if (entry.status === "failed") {
    return {
      ...base,
      fromStore: false,
      status: "failed" as const,
      code: entry.code ?? "UNKNOWN_ERROR",
      message: entry.message ?? "Unknown error.",
      retryable: entry.retryable,
      inDoubt: entry.inDoubt,
    };
  }
  if (entry.status === "done" && entry.outcome) return fromOutcome(base, entry.outcome, false, entry.inDoubt);
  // Still queued or sending: known only once the sender has stopped (credits, quota, a refused key).
  if (!report) return undefined;
  const reason = pendingReason(report);
  return {
    ...base,
    fromStore: false,
    status: "failed" as const,
    code: reason.code,
    message: reason.message,
    retryable: rowErrorInfo(reason.code).retryable,
    inDoubt: entry.inDoubt,
  };
}

function fromOutcome<P extends Person>(
  b: { person: P; index: number; duplicate: boolean },
  outcome: {
    kind: "ok" | "error";
    analise?: string | undefined;
    code?: string | undefined;
    message?: string | undefined;
  },
  fromStore: boolean,
  inDoubt: boolean,
): EnrichOutcome<P> {
  if (outcome.kind === "ok" && outcome.analise !== undefined) {
    return { ...b, fromStore, status: "enriched", analise: JSON.parse(outcome.analise) as Analise };
  }
  const code = outcome.code ?? "UNKNOWN_ERROR";
  return {
    ...b,
    fromStore,
    status: "failed",
    code,
    message: sentence(outcome.message ?? null, code),
    retryable: false,
    inDoubt,
  };
}

function iteratorOf<T>(items: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> | Iterator<T> {
  return Symbol.asyncIterator in items
    ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
    : (items as Iterable<T>)[Symbol.iterator]();
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
