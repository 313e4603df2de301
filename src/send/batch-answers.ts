import {
  BadRequestError,
  backoffDelayMs,
  type FluenceApiError,
  GatewayTimeoutError,
  InsufficientCreditsError,
  num,
  RateLimitError,
} from "../api/index.js";
import type { BatchOutcome } from "../api/types.js";
import { ENDPOINT_OF } from "../store/serving-rule.js";
import { storeFailureOf } from "../store/store-failure.js";
import type { NewOutcome } from "../store/types.js";
import { signalOf } from "./answer-signal.js";
import type { SizeChange } from "./batch-sizer.js";
import type { FlightTicket } from "./flow-control.js";
import type { Job, JobQueue } from "./job-queue.js";
import { rowErrorInfo } from "./row-codes.js";
import type { SendContext } from "./send-context.js";
import type { PersonEntry } from "./send-ledger.js";
import { emptyReport, FAILED_REQUESTS_KEPT, type SendReport } from "./send-report.js";
import { STOPS, type StopReason, type StopRecord, stopForApiError } from "./stop-reasons.js";

/**
 * What each answer to a batch request means: outcomes committed to the store, people to retry (with
 * backoff), people failed for this run, and whether the run must stop (a refused key, a spent quota, an
 * API that throttles everything). Feeds flow control with every answer. The sender only dispatches.
 */
export class BatchAnswers {
  readonly report: SendReport = emptyReport();
  readonly #ctx: SendContext;
  readonly #retries: JobQueue;
  readonly #endpoint: string;
  #lastHealthyAt = Number.NEGATIVE_INFINITY;
  #throttled = false;

  readonly #inFlight: () => number;

  constructor(ctx: SendContext, retries: JobQueue, inFlight: () => number) {
    this.#ctx = ctx;
    this.#retries = retries;
    this.#inFlight = inFlight;
    this.#endpoint = `/${ENDPOINT_OF[ctx.analysis]}`;
  }

  /** Set by a throttling answer, cleared by a healthy one: while set, only retries should go out. */
  get throttled(): boolean {
    return this.#throttled;
  }

  async landed(job: Job, ticket: FlightTicket, outcome: BatchOutcome): Promise<void> {
    const ctx = this.#ctx;
    this.#lastHealthyAt = ctx.now();
    this.#throttled = false;
    this.#resized(ctx.flow.answered(ticket, "healthy", { latencyMs: outcome.latencyMs }).resized);
    const okCount = outcome.results.filter((r) => r.ok).length;
    const perProfile = num(outcome.billing?.creditos_por_perfil) ?? ctx.credits.creditsPerProfile;
    const charged = num(outcome.billing?.creditos_utilizados) ?? okCount * perProfile;
    ctx.credits.settle(job.people.length, charged, num(outcome.billing?.creditos_restantes));
    this.report.creditsUsed += charged;
    this.report.expectedCharge += okCount * perProfile;
    this.report.successes += okCount;
    if (outcome.billing) {
      this.report.firstBilling ??= outcome.billing;
      this.report.lastBilling = outcome.billing;
    }

    const terminal: NewOutcome[] = [];
    const retry: PersonEntry[] = [];
    let retryCode = "PROTOCOL_ERROR";
    let retryMessage = "";
    outcome.results.forEach((result, i) => {
      const person = job.people[i]!;
      if (result.ok) terminal.push({ fp: person.fp, kind: "ok", analise: JSON.stringify(result.analise) });
      // The client marks per-profile failures terminal; a transient code from the server is still worth a retry.
      else if (result.retryable || rowErrorInfo(result.code).retryable) {
        retry.push(person);
        retryCode = result.code;
        retryMessage = result.message;
      } else terminal.push({ fp: person.fp, kind: "error", code: result.code, message: result.message });
    });
    // Paid for: journaled before the store is asked, and in this run's outputs whatever the store does.
    const seq = await ctx.journal?.record(ctx.analysis, ctx.runId, terminal);
    ctx.ledger.markDone(terminal);
    const stored = await this.storeCall(() =>
      ctx.store.commitBatch(
        ctx.runId,
        ctx.analysis,
        terminal,
        job.people.map((p) => p.fp),
      ),
    );
    if (stored) await ctx.journal?.committed(seq);
    else if (seq === undefined) this.report.unkept += terminal.length;
    this.report.peopleDone += okCount;
    this.report.peopleFailed += terminal.length - okCount;
    this.report.enriched += okCount;
    if (retry.length > 0) this.#retryLater({ ...job, people: retry }, retryCode, retryMessage);
    ctx.onSettled?.(this.report);
  }

  async failed(job: Job, ticket: FlightTicket, error: FluenceApiError): Promise<void> {
    const ctx = this.#ctx;
    const signal = signalOf(error);
    const limitBefore = ctx.flow.limit;
    const { pauseMs: pause, resized } = ctx.flow.answered(ticket, signal, {
      retryAfterMs: error instanceof RateLimitError ? error.retryAfterMs : undefined,
      gatewayTimeout: error instanceof GatewayTimeoutError,
      inflight: this.#inFlight(),
    });
    this.#resized(resized);
    if (signal === "overload" && ctx.flow.limit < limitBefore) {
      ctx.onEvent?.({ kind: "overload", code: error.code, limit: ctx.flow.limit });
    }
    this.#recordFailure(job, error);
    const fps = job.people.map((p) => p.fp);
    // The release is issued now (both stores run statements in the order given, so a retry's claim
    // cannot overtake it) but awaited last: a stop must be decided before this turn of the event loop
    // ends, or the loop could start one more batch after the API said the quota is spent.
    const released = this.storeCall(() => ctx.store.release(ctx.runId, ctx.analysis, fps));
    try {
      this.#decide(job, error, pause);
    } finally {
      await released;
    }
    // The other runs on the key stop at their next start instead of each spending a request to learn it.
    if (ctx.flow.share && stopForApiError(error) === "quota") await ctx.flow.share.quotaSpent();
    ctx.onSettled?.(this.report);
  }

  /**
   * Runs a store call unless the store already failed; a failure of the store (not a bug) stops the run
   * instead of ending it: nothing more is sent, what is in flight lands in the journal and the outputs.
   * Resolves true when the call was made and succeeded.
   */
  async storeCall(call: () => Promise<unknown>): Promise<boolean> {
    if (this.report.storeFailure !== undefined) return false;
    try {
      await call();
      return true;
    } catch (error) {
      const failure = storeFailureOf(error, this.#ctx.store.location);
      if (!failure) throw error;
      if (this.report.storeFailure === undefined) {
        this.report.storeFailure = failure;
        // Whatever stopped the run before, this is what its exit and its unsent rows must say now.
        this.report.stop = undefined;
        this.#stop("store", undefined, []);
      }
      return false;
    }
  }

  #resized(change: SizeChange | undefined): void {
    if (change) this.#ctx.onEvent?.({ kind: "batch_size", ...change });
  }

  /** What a failed request means for its people and for the run. */
  #decide(job: Job, error: FluenceApiError, pause: number): void {
    const ctx = this.#ctx;
    const n = job.people.length;
    const fps = job.people.map((p) => p.fp);
    if (error instanceof InsufficientCreditsError) {
      ctx.credits.refused(n, error.creditsAvailable);
      // A 402 that names a balance below the batch is answered by a smaller batch at once; one that does
      // not (no figure, or enough credits) must not loop forever: it spends a retry.
      const fits =
        error.creditsAvailable !== undefined && error.creditsAvailable < n * ctx.credits.creditsPerProfile;
      if (fits) this.#retries.unshift({ ...job, notBefore: ctx.now() });
      else this.#retryLater(job, error.code, error.message);
      return;
    }
    ctx.credits.settle(n, 0, undefined);
    const stop = stopForApiError(error);
    if (stop !== undefined) {
      this.#stop(stop, error, fps);
    } else if (error instanceof BadRequestError) {
      if (n > 1) {
        // One bad row sinks the whole batch: split until it stands alone, so the others still get enriched.
        const half = Math.ceil(n / 2);
        const now = ctx.now();
        this.#retries.unshift(
          { ...job, people: job.people.slice(0, half), notBefore: now, mergeable: false },
          { ...job, people: job.people.slice(half), notBefore: now, mergeable: false },
        );
      } else this.#fail(fps, "BAD_REQUEST", error.message, false);
    } else if (error instanceof RateLimitError) {
      this.report.rateLimited++;
      this.#throttled = true;
      if (pause > 0) ctx.onEvent?.({ kind: "throttled", delayMs: pause });
      this.#retryLater(job, error.code, error.message, pause);
    } else if (error.retryable) {
      if (error.inDoubt) {
        ctx.credits.addInDoubt(n);
        ctx.ledger.markInDoubt(fps);
        this.report.inDoubt += n;
      }
      if (error instanceof GatewayTimeoutError) this.report.gatewayTimeouts++;
      this.#retryLater(job, error.code, error.message);
    } else {
      this.#fail(fps, error.code, error.message, false);
    }
  }

  /** Stops the run: nothing more starts; these people go back to the queue to get the stop's reason. */
  #stop(reason: StopReason, error: FluenceApiError | undefined, fps: string[]): void {
    if (this.report.stop === undefined) {
      this.report.stop = reason;
      this.#ctx.onEvent?.({ kind: "stopped", reason });
    }
    // The API's own words name the fix for a refused key or endpoint: the unsent rows carry them.
    if (error && (STOPS[reason] as StopRecord).apiWords) this.report.fatal ??= error;
    this.#ctx.ledger.requeue(fps);
  }

  #retryLater(job: Job, code: string, message: string, minDelayMs = 0): void {
    const ctx = this.#ctx;
    if (job.attempt >= ctx.retryPolicy.retries) {
      this.#fail(
        job.people.map((p) => p.fp),
        code,
        `${message} (gave up after ${job.attempt + 1} attempts)`,
        true,
      );
      // Every attempt of these people was throttled and nothing succeeded meanwhile: the API is refusing
      // everything. Waiting longer would only stretch the run; the rows are retryable.
      if (code === "RATE_LIMITED" && (job.firstSentAt ?? 0) > this.#lastHealthyAt) {
        this.#stop("rate_limited", undefined, []);
      }
      return;
    }
    const delay = Math.max(minDelayMs, backoffDelayMs(job.attempt, ctx.retryPolicy, ctx.random));
    ctx.onEvent?.({
      kind: "retrying",
      code,
      profiles: job.people.length,
      attempt: job.attempt + 1,
      delayMs: delay,
    });
    this.#retries.push({ ...job, attempt: job.attempt + 1, notBefore: ctx.now() + delay, mergeable: true });
  }

  #fail(fps: string[], code: string, message: string, retryable: boolean): void {
    this.#ctx.ledger.markFailed(fps, code, message, retryable);
    this.report.peopleFailed += fps.length;
  }

  #recordFailure(job: Job, error: FluenceApiError): void {
    const failure = {
      at: new Date(this.#ctx.now()).toISOString(),
      endpoint: this.#endpoint,
      status: error.status ?? null,
      code: error.code,
      request_id: error.requestId ?? null,
      profiles: job.people.length,
      message: error.message,
    };
    this.report.failedRequestCount++;
    if (this.report.failedRequests.length < FAILED_REQUESTS_KEPT) this.report.failedRequests.push(failure);
    this.#ctx.onRequestFailed?.(failure);
  }
}
