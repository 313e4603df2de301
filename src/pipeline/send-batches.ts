import {
  AccessDeniedError,
  FluenceApiError as ApiErrorClass,
  AuthenticationError,
  BadRequestError,
  backoffDelayMs,
  type FluenceApiError,
  type FluenceClient,
  InsufficientCreditsError,
  num,
  RateLimitError,
  type RetryPolicy,
} from "../api/index.js";
import type { BatchOutcome, BillingInfo } from "../api/types.js";
import type { Analysis, NewOutcome, OutcomeStore } from "../store/index.js";
import type { CreditGuard, StopReason } from "./credit-guard.js";
import type { Pacer } from "./pacer.js";
import { rowErrorInfo } from "./row-error-codes.js";
import type { PersonEntry, RunLedger } from "./run-ledger.js";

export interface SendContext {
  client: FluenceClient;
  store: OutcomeStore;
  ledger: RunLedger;
  runId: string;
  analysis: Analysis;
  freshSince: number;
  batchSize: number;
  retryPolicy: RetryPolicy;
  pacer: Pacer;
  credits: CreditGuard;
  signal?: AbortSignal | undefined;
  random: () => number;
  now: () => number;
  onSettled?: (report: SendReport) => void;
  onBackoff?: (info: { reason: string; delayMs: number }) => void;
}

export interface SendReport {
  batches: number;
  profilesSent: number;
  peopleDone: number;
  peopleFailed: number;
  enriched: number;
  retries: number;
  rateLimited: number;
  inDoubt: number;
  /** Sum of billing_info.creditos_utilizados (or successes where a response had none). */
  creditsUsed: number;
  successes: number;
  firstBilling: BillingInfo | undefined;
  lastBilling: BillingInfo | undefined;
  stop: StopReason | "interrupted" | "auth" | undefined;
  fatal: FluenceApiError | undefined;
}

interface Job {
  people: PersonEntry[];
  attempt: number;
  notBefore: number;
  lastCode?: string;
  lastMessage?: string;
}

/** How long to wait before asking again for people another live run holds in flight. */
const BUSY_RECHECK_MS = 1000;

/**
 * Sends every queued person in batches, paced and retried, committing each batch's outcomes to the store
 * as soon as it lands. Per-row failures end up in the ledger; nothing here throws for an API outcome.
 */
export async function sendBatches(ctx: SendContext): Promise<SendReport> {
  return new BatchSender(ctx).run();
}

class BatchSender {
  readonly #ctx: SendContext;
  readonly #report: SendReport = {
    batches: 0,
    profilesSent: 0,
    peopleDone: 0,
    peopleFailed: 0,
    enriched: 0,
    retries: 0,
    rateLimited: 0,
    inDoubt: 0,
    creditsUsed: 0,
    successes: 0,
    firstBilling: undefined,
    lastBilling: undefined,
    stop: undefined,
    fatal: undefined,
  };
  readonly #jobs: Job[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #batchSeq = 0;
  #wake: (() => void) | undefined;
  #bug: unknown;

  constructor(ctx: SendContext) {
    this.#ctx = ctx;
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
    if (this.#bug !== undefined) throw this.#bug;
    if (signal?.aborted && this.#report.stop === undefined) this.#report.stop = "interrupted";
    // Whatever was not sent goes back to the queue; the writer gives those rows the stop's reason.
    this.#ctx.ledger.requeue(this.#jobs.flatMap((j) => j.people.map((p) => p.fp)));
    this.#jobs.length = 0;
    return this.#report;
  }

  async #loop(): Promise<void> {
    for (;;) {
      if (this.#report.fatal || this.#bug !== undefined || this.#ctx.signal?.aborted || this.#report.stop) {
        await Promise.all(this.#inFlight);
        return;
      }
      const wait = this.#ctx.pacer.waitMs();
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
        if (this.#inFlight.size === 0) return;
        await this.#idle(Number.POSITIVE_INFINITY);
        continue;
      }
      await this.#launch(next);
    }
  }

  /** The next job to start, a number of ms to wait, or undefined when there is nothing left to start. */
  #nextJob(): Job | number | undefined {
    const now = this.#ctx.now();
    const allowance = this.#ctx.credits.allowance();
    if (allowance <= 0) {
      // Batches in flight may free credits (pay per success); with none, nothing ever will.
      if (this.#inFlight.size > 0) return Number.POSITIVE_INFINITY;
      this.#report.stop = this.#ctx.credits.stopReason() ?? "credits";
      return undefined;
    }
    this.#jobs.sort((a, b) => a.notBefore - b.notBefore);
    const ready = this.#jobs[0];
    if (ready && ready.notBefore <= now) {
      this.#jobs.shift();
      return this.#fit(ready, allowance);
    }
    const fresh = this.#ctx.ledger.takeQueued(Math.min(this.#ctx.batchSize, allowance));
    if (fresh.length > 0) return { people: fresh, attempt: 0, notBefore: now };
    if (ready) return ready.notBefore - now;
    return undefined;
  }

  /** Shrinks a job to what the credits allow, putting the rest back. */
  #fit(job: Job, allowance: number): Job {
    if (job.people.length <= allowance) return job;
    this.#jobs.push({ ...job, people: job.people.slice(allowance) });
    return { ...job, people: job.people.slice(0, allowance) };
  }

  async #launch(job: Job): Promise<void> {
    const ctx = this.#ctx;
    const batchId = `${ctx.runId}:${++this.#batchSeq}`;
    const fps = job.people.map((p) => p.fp);
    const claim = await ctx.store.claim(ctx.runId, batchId, ctx.analysis, fps, ctx.freshSince);
    if (claim.done.size > 0) {
      ctx.ledger.markDone([...claim.done.values()]);
      const ok = [...claim.done.values()].filter((o) => o.kind === "ok").length;
      this.#report.peopleDone += ok;
      this.#report.enriched += ok;
      this.#report.peopleFailed += claim.done.size - ok;
    }
    if (claim.busy.length > 0) {
      const busy = new Set(claim.busy);
      this.#jobs.push({
        ...job,
        people: job.people.filter((p) => busy.has(p.fp)),
        notBefore: ctx.now() + BUSY_RECHECK_MS,
      });
    }
    const claimed = new Set(claim.claimed);
    const people = job.people.filter((p) => claimed.has(p.fp));
    if (people.length === 0) return;
    const sent: Job = { ...job, people };

    ctx.pacer.start();
    ctx.credits.reserve(people.length);
    this.#report.batches++;
    this.#report.profilesSent += people.length;
    if (job.attempt > 0) this.#report.retries++;

    const task = ctx.client
      .batch(people.map((p) => p.profile))
      .then(
        (outcome) => this.#landed(sent, outcome),
        (error: unknown) => this.#failed(sent, error),
      )
      .catch((bug: unknown) => {
        this.#bug ??= bug;
      })
      .finally(() => {
        this.#inFlight.delete(task);
        this.#wake?.();
      });
    this.#inFlight.add(task);
  }

  async #landed(job: Job, outcome: BatchOutcome): Promise<void> {
    const ctx = this.#ctx;
    ctx.pacer.finish(outcome.latencyMs);
    const okCount = outcome.results.filter((r) => r.ok).length;
    const charged = num(outcome.billing?.creditos_utilizados) ?? okCount;
    ctx.credits.settle(job.people.length, charged, num(outcome.billing?.creditos_restantes));
    this.#report.creditsUsed += charged;
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

  async #failed(job: Job, error: unknown): Promise<void> {
    const ctx = this.#ctx;
    if (!(error instanceof ApiErrorClass)) throw error;
    ctx.pacer.finish();
    const n = job.people.length;
    const fps = job.people.map((p) => p.fp);
    await ctx.store.release(ctx.runId, ctx.analysis, fps);

    if (error instanceof AuthenticationError || error instanceof AccessDeniedError) {
      ctx.credits.settle(n, 0, undefined);
      this.#report.fatal ??= error;
      this.#report.stop = "auth";
      ctx.ledger.requeue(fps);
    } else if (error instanceof InsufficientCreditsError) {
      ctx.credits.refused(n, error.creditsAvailable);
      // A 402 that names a balance below the batch is answered by a smaller batch at once; one that does
      // not (no figure, or enough credits) must not loop forever: it spends a retry.
      if (error.creditsAvailable !== undefined && error.creditsAvailable < n) {
        this.#jobs.unshift({ ...job, notBefore: ctx.now() });
      } else this.#retryLater(job, error.code, error.message);
    } else if (error instanceof BadRequestError) {
      ctx.credits.settle(n, 0, undefined);
      if (n > 1) {
        // One bad row sinks the whole batch: split until it stands alone, so the others still get enriched.
        const half = Math.ceil(n / 2);
        const now = ctx.now();
        this.#jobs.unshift(
          { ...job, people: job.people.slice(0, half), notBefore: now },
          { ...job, people: job.people.slice(half), notBefore: now },
        );
      } else this.#fail(fps, "BAD_REQUEST", error.message, false);
    } else if (error instanceof RateLimitError) {
      ctx.credits.settle(n, 0, undefined);
      this.#report.rateLimited++;
      const pause = ctx.pacer.rateLimited(error.retryAfterMs);
      ctx.onBackoff?.({ reason: "rate limited by the API (HTTP 429)", delayMs: pause });
      this.#retryLater(job, error.code, error.message, pause);
    } else if (error.retryable) {
      ctx.credits.settle(n, 0, undefined);
      if (error.inDoubt) {
        ctx.credits.addInDoubt(n);
        ctx.ledger.markInDoubt(fps);
        this.#report.inDoubt += n;
      }
      this.#retryLater(job, error.code, error.message);
    } else {
      ctx.credits.settle(n, 0, undefined);
      this.#fail(fps, error.code, error.message, false);
    }
    ctx.onSettled?.(this.#report);
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
      return;
    }
    const delay = Math.max(minDelayMs, backoffDelayMs(job.attempt, ctx.retryPolicy, ctx.random));
    ctx.onBackoff?.({ reason: `${code}: retrying ${job.people.length} profile(s)`, delayMs: delay });
    this.#jobs.push({
      people: job.people,
      attempt: job.attempt + 1,
      notBefore: ctx.now() + delay,
      lastCode: code,
      lastMessage: message,
    });
  }

  #fail(fps: string[], code: string, message: string, retryable: boolean): void {
    this.#ctx.ledger.markFailed(fps, code, message, retryable);
    this.#report.peopleFailed += fps.length;
  }

  #idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(1, ms)) : undefined;
      const wake = () => done();
      this.#wake = wake;
      function done() {
        if (timer) clearTimeout(timer);
        resolve();
      }
    });
  }
}
