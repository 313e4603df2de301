import pLimit, { type LimitFunction } from "p-limit";
import {
  AccessDeniedError,
  FluenceApiError as ApiErrorClass,
  AuthenticationError,
  BadRequestError,
  backoffDelayMs,
  type FluenceApiError,
  type FluenceClient,
  GatewayTimeoutError,
  InsufficientCreditsError,
  num,
  QuotaExceededError,
  RateLimitError,
  type RetryPolicy,
  WrongEndpointError,
} from "../api/index.js";
import type { BatchOutcome } from "../api/types.js";
import { rowErrorInfo } from "../pipeline/row-error-codes.js";
import type { PersonEntry, RunLedger } from "../pipeline/run-ledger.js";
import { type Analysis, ENDPOINT_OF, type NewOutcome, type OutcomeStore } from "../store/index.js";
import { signalOf } from "./answer-signal.js";
import type { CreditGuard } from "./credit-guard.js";
import type { FlightTicket, FlowControl } from "./flow-control.js";
import { type Job, JobQueue } from "./job-queue.js";
import { emptyReport, FAILED_REQUESTS_KEPT, type SendReport, type SendStop } from "./send-report.js";

export interface SendContext {
  client: FluenceClient;
  store: OutcomeStore;
  ledger: RunLedger;
  runId: string;
  analysis: Analysis;
  freshSince: number;
  retryPolicy: RetryPolicy;
  flow: FlowControl;
  credits: CreditGuard;
  signal?: AbortSignal | undefined;
  random: () => number;
  now: () => number;
  /** After every answer. */
  onSettled?: (report: SendReport) => void;
  onBackoff?: (info: { reason: string; delayMs: number }) => void;
  /** Every failed request, as it fails (for --debug). */
  onRequestFailed?: (failure: SendReport["failedRequests"][number]) => void;
}

/** How long to wait before asking again for people another live run holds in flight. */
const BUSY_RECHECK_MS = 1000;

/**
 * Sends every queued person in batches: paced, as many in flight as flow control allows (enforced by
 * p-limit), retried, each batch's outcomes committed to the store as soon as it lands. Per-row failures
 * end up in the ledger; nothing here throws for an API outcome. The plan pass may still be filling the
 * queue while this runs: call wake() when it adds people and planningDone() when it has finished.
 */
export class BatchSender {
  readonly #ctx: SendContext;
  readonly #report = emptyReport();
  readonly #retries = new JobQueue();
  readonly #gate: LimitFunction;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #endpoint: string;
  #planning = true;
  #batchSeq = 0;
  #wake: (() => void) | undefined;
  /** A failure that is not the API's: a bug, or the store giving out (a UserError). Ends the run. */
  #abort: unknown;
  #lastHealthyAt = Number.NEGATIVE_INFINITY;
  /** Set by a throttling answer, cleared by a healthy one: while set, only retries go out. */
  #throttled = false;

  constructor(ctx: SendContext) {
    this.#ctx = ctx;
    this.#gate = pLimit(Math.max(1, ctx.flow.limit));
    this.#endpoint = `/${ENDPOINT_OF[ctx.analysis]}`;
  }

  /** New people were queued. */
  wake(): void {
    this.#wake?.();
  }

  /** The plan pass has queued everyone: an empty queue now means the end. */
  planningDone(): void {
    this.#planning = false;
    this.#wake?.();
  }

  get report(): SendReport {
    return this.#report;
  }

  async run(): Promise<SendReport> {
    const { signal } = this.#ctx;
    const onAbort = () => this.#wake?.();
    signal?.addEventListener("abort", onAbort);
    try {
      await this.#loop();
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    if (this.#abort !== undefined) throw this.#abort;
    if (signal?.aborted && this.#report.stop === undefined) this.#report.stop = "interrupted";
    // Whatever was not sent goes back to the queue; the writer gives those rows the stop's reason.
    this.#ctx.ledger.requeue(this.#retries.drain().map((p) => p.fp));
    return this.#report;
  }

  #stopping(): boolean {
    return this.#report.stop !== undefined || this.#abort !== undefined || this.#ctx.signal?.aborted === true;
  }

  async #loop(): Promise<void> {
    for (;;) {
      if (this.#stopping()) {
        await Promise.all(this.#inFlight);
        return;
      }
      this.#gate.concurrency = Math.max(1, this.#ctx.flow.limit);
      if (this.#gate.activeCount >= this.#gate.concurrency) {
        await this.#idle(Number.POSITIVE_INFINITY);
        continue;
      }
      const wait = this.#ctx.flow.pacer.waitMs();
      if (wait > 0) {
        await this.#idle(wait);
        continue;
      }
      const next = this.#nextJob();
      if (typeof next === "number") {
        await this.#idle(next);
        continue;
      }
      if (next === undefined) {
        if (this.#inFlight.size === 0 && !this.#planning) return;
        await this.#idle(Number.POSITIVE_INFINITY);
        continue;
      }
      try {
        await this.#launch(next);
      } catch (failure) {
        // The store failed to claim (or release): stop starting batches, let those in flight land.
        this.#abort ??= failure;
        this.#ctx.ledger.requeue(next.people.map((p) => p.fp));
      }
    }
  }

  /** The next job to start, a number of ms to wait, or undefined when there is nothing to start now. */
  #nextJob(): Job | number | undefined {
    const now = this.#ctx.now();
    const allowance = this.#ctx.credits.allowance();
    if (allowance <= 0) {
      // Batches in flight may free credits (pay per success); with none, nothing ever will.
      if (this.#inFlight.size > 0) return Number.POSITIVE_INFINITY;
      this.#report.stop = this.#ctx.credits.stopReason() ?? "credits";
      return undefined;
    }
    const size = Math.min(this.#ctx.flow.sizer.size, allowance);
    const ready = this.#retries.takeReady(now, size);
    if (ready) return ready;
    const retryAt = this.#retries.nextAt();
    // While the API throttles, probe with the retries alone: fresh batches would only be refused too.
    if (!(this.#throttled && retryAt !== undefined)) {
      const fresh = this.#ctx.ledger.takeQueued(size);
      if (fresh.length > 0) return { people: fresh, attempt: 0, notBefore: now };
    }
    return retryAt === undefined ? undefined : retryAt - now;
  }

  async #launch(job: Job): Promise<void> {
    const ctx = this.#ctx;
    const batchId = `${ctx.runId}:${++this.#batchSeq}`;
    const claim = await ctx.store.claim(
      ctx.runId,
      batchId,
      ctx.analysis,
      job.people.map((p) => p.fp),
      ctx.freshSince,
    );
    if (claim.done.size > 0) {
      ctx.ledger.markDone([...claim.done.values()]);
      const ok = [...claim.done.values()].filter((o) => o.kind === "ok").length;
      this.#report.peopleDone += ok;
      this.#report.enriched += ok;
      this.#report.peopleFailed += claim.done.size - ok;
    }
    if (claim.busy.length > 0) {
      const busy = new Set(claim.busy);
      this.#retries.push({
        ...job,
        people: job.people.filter((p) => busy.has(p.fp)),
        notBefore: ctx.now() + BUSY_RECHECK_MS,
      });
    }
    const claimed = new Set(claim.claimed);
    const people = job.people.filter((p) => claimed.has(p.fp));
    if (people.length === 0) return;
    // A stop (quota, Ctrl-C) may have come while the claim was being made: nothing more goes out.
    if (this.#stopping()) {
      await ctx.store.release(ctx.runId, ctx.analysis, claim.claimed);
      this.#retries.push({ ...job, people });
      return;
    }
    const sent: Job = { ...job, people, firstSentAt: job.firstSentAt ?? ctx.now() };
    const ticket = ctx.flow.started(people.length);
    ctx.credits.reserve(people.length);
    const task = this.#gate(() => this.#exchange(sent, ticket))
      .catch((failure: unknown) => {
        this.#abort ??= failure;
      })
      .finally(() => {
        this.#inFlight.delete(task);
        this.#wake?.();
      });
    this.#inFlight.add(task);
  }

  async #exchange(job: Job, ticket: FlightTicket): Promise<void> {
    const ctx = this.#ctx;
    // p-limit runs this a turn later: a stop decided meanwhile (a spent quota) still holds it back.
    if (this.#stopping()) {
      ctx.flow.answered(ticket, "neutral");
      ctx.credits.settle(job.people.length, 0, undefined);
      this.#retries.push(job);
      await ctx.store.release(
        ctx.runId,
        ctx.analysis,
        job.people.map((p) => p.fp),
      );
      return;
    }
    const n = job.people.length;
    this.#report.batches++;
    this.#report.profilesSent += n;
    this.#report.batchSizes[n] = (this.#report.batchSizes[n] ?? 0) + 1;
    if (job.attempt > 0) this.#report.retries++;
    let outcome: BatchOutcome;
    try {
      outcome = await this.#ctx.client.batch(
        job.people.map((p) => p.profile),
        { complete: this.#ctx.analysis === "complete" },
      );
    } catch (error) {
      if (!(error instanceof ApiErrorClass)) throw error;
      await this.#failed(job, ticket, error);
      return;
    }
    await this.#landed(job, ticket, outcome);
  }

  async #landed(job: Job, ticket: FlightTicket, outcome: BatchOutcome): Promise<void> {
    const ctx = this.#ctx;
    this.#lastHealthyAt = ctx.now();
    this.#throttled = false;
    ctx.flow.answered(ticket, "healthy", { latencyMs: outcome.latencyMs });
    const okCount = outcome.results.filter((r) => r.ok).length;
    const perProfile = num(outcome.billing?.creditos_por_perfil) ?? ctx.credits.creditsPerProfile;
    const charged = num(outcome.billing?.creditos_utilizados) ?? okCount * perProfile;
    ctx.credits.settle(job.people.length, charged, num(outcome.billing?.creditos_restantes));
    this.#report.creditsUsed += charged;
    this.#report.expectedCharge += okCount * perProfile;
    this.#report.successes += okCount;
    if (outcome.billing) {
      this.#report.firstBilling ??= outcome.billing;
      this.#report.lastBilling = outcome.billing;
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
    await ctx.store.commitBatch(
      ctx.runId,
      ctx.analysis,
      terminal,
      job.people.map((p) => p.fp),
    );
    ctx.ledger.markDone(terminal);
    this.#report.peopleDone += okCount;
    this.#report.peopleFailed += terminal.length - okCount;
    this.#report.enriched += okCount;
    if (retry.length > 0) this.#retryLater({ ...job, people: retry }, retryCode, retryMessage);
    ctx.onSettled?.(this.#report);
  }

  async #failed(job: Job, ticket: FlightTicket, error: FluenceApiError): Promise<void> {
    const ctx = this.#ctx;
    const signal = signalOf(error);
    const pause = ctx.flow.answered(ticket, signal, {
      retryAfterMs: error instanceof RateLimitError ? error.retryAfterMs : undefined,
      gatewayTimeout: error instanceof GatewayTimeoutError,
    });
    this.#recordFailure(job, error);
    const fps = job.people.map((p) => p.fp);
    // The release is issued now (both stores run statements in the order given, so a retry's claim
    // cannot overtake it) but awaited last: a stop must be decided before this turn of the event loop
    // ends, or the loop could start one more batch after the API said the quota is spent.
    const released = ctx.store.release(ctx.runId, ctx.analysis, fps);
    try {
      this.#decide(job, error, pause);
    } finally {
      await released;
    }
    ctx.onSettled?.(this.#report);
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
    if (error instanceof AuthenticationError || error instanceof AccessDeniedError) {
      this.#stop("auth", error, fps);
    } else if (error instanceof WrongEndpointError) {
      this.#stop("endpoint", error, fps);
    } else if (error instanceof QuotaExceededError) {
      this.#stop("quota", error, fps);
    } else if (error instanceof BadRequestError) {
      if (n > 1) {
        // One bad row sinks the whole batch: split until it stands alone, so the others still get enriched.
        const half = Math.ceil(n / 2);
        const now = ctx.now();
        this.#retries.unshift(
          { ...job, people: job.people.slice(0, half), notBefore: now },
          { ...job, people: job.people.slice(half), notBefore: now },
        );
      } else this.#fail(fps, "BAD_REQUEST", error.message, false);
    } else if (error instanceof RateLimitError) {
      this.#report.rateLimited++;
      this.#throttled = true;
      if (pause > 0) ctx.onBackoff?.({ reason: "rate limited by the API (HTTP 429)", delayMs: pause });
      this.#retryLater(job, error.code, error.message, pause);
    } else if (error.retryable) {
      if (error.inDoubt) {
        ctx.credits.addInDoubt(n);
        ctx.ledger.markInDoubt(fps);
        this.#report.inDoubt += n;
      }
      if (error instanceof GatewayTimeoutError) this.#report.gatewayTimeouts++;
      this.#retryLater(job, error.code, error.message);
    } else {
      this.#fail(fps, error.code, error.message, false);
    }
  }

  /** Stops the run: nothing more starts; these people go back to the queue to get the stop's reason. */
  #stop(reason: SendStop, error: FluenceApiError, fps: string[]): void {
    this.#report.stop ??= reason;
    if (reason === "auth" || reason === "endpoint") this.#report.fatal ??= error;
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
        this.#report.stop ??= "rate_limited";
      }
      return;
    }
    const delay = Math.max(minDelayMs, backoffDelayMs(job.attempt, ctx.retryPolicy, ctx.random));
    ctx.onBackoff?.({ reason: `${code}: retrying ${job.people.length} profile(s)`, delayMs: delay });
    this.#retries.push({ ...job, attempt: job.attempt + 1, notBefore: ctx.now() + delay });
  }

  #fail(fps: string[], code: string, message: string, retryable: boolean): void {
    this.#ctx.ledger.markFailed(fps, code, message, retryable);
    this.#report.peopleFailed += fps.length;
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
    this.#report.failedRequestCount++;
    if (this.#report.failedRequests.length < FAILED_REQUESTS_KEPT) this.#report.failedRequests.push(failure);
    this.#ctx.onRequestFailed?.(failure);
  }

  #idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(1, ms)) : undefined;
      this.#wake = done;
      function done() {
        if (timer) clearTimeout(timer);
        resolve();
      }
    });
  }
}
