import pLimit, { type LimitFunction } from "p-limit";
import { FluenceApiError as ApiErrorClass } from "../api/index.js";
import type { BatchOutcome } from "../api/types.js";
import type { ClaimResult } from "../store/types.js";
import { BatchAnswers } from "./batch-answers.js";
import type { FlightTicket } from "./flow-control.js";
import { type Job, JobQueue } from "./job-queue.js";
import type { SendContext } from "./send-context.js";
import type { SendReport } from "./send-report.js";
import type { SharedPace } from "./shared-pace.js";
import type { StopReason } from "./stop-reasons.js";

export type { SendContext } from "./send-context.js";

/**
 * How long to wait before asking again for people another live run holds in flight: a claim is one cheap
 * round trip, and the run that holds them commits as soon as their answer lands.
 */
const BUSY_RECHECK_MS = 250;

/** A wait for the key's slot at least this long reads the shared schedule again before sending. */
const SLOT_RECHECK_MS = 250;

/**
 * Sends every queued person in batches: paced, as many in flight as flow control allows, retried, each batch's outcomes committed to the store as soon as it lands. Per-row failures
 * end up in the ledger; nothing here throws for an API outcome. The plan pass may still be filling the
 * queue while this runs: call wake() when it adds people and planningDone() when it has finished.
 */
export class BatchSender {
  readonly #ctx: SendContext;
  readonly #retries = new JobQueue();
  readonly #answers: BatchAnswers;
  readonly #report: SendReport;
  /**
   * The one count and the one enforcer of batches in flight: p-limit (the stack's choice). Flow control
   * decides the number (gate.concurrency); a batch counts from its enqueue to its answer's bookkeeping.
   */
  readonly #gate: LimitFunction;
  #planning = true;
  #batchSeq = 0;
  #wake: (() => void) | undefined;
  /** A failure that is not the API's: a bug, or the store giving out (a UserError). Ends the run. */
  #abort: unknown;

  constructor(ctx: SendContext) {
    this.#ctx = ctx;
    this.#answers = new BatchAnswers(ctx, this.#retries, () => this.inFlight);
    this.#report = this.#answers.report;
    this.#gate = pLimit(Math.max(1, ctx.flow.limit));
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

  /** Batches sent and not yet answered. */
  get inFlight(): number {
    return this.#gate.activeCount;
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
    if (signal?.aborted && this.#report.stop === undefined) this.#stop("interrupted");
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
        if (this.inFlight === 0) return;
        await this.#idle(Number.POSITIVE_INFINITY);
        continue;
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
        if (this.inFlight === 0 && !this.#planning) return;
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
      if (this.inFlight > 0) return Number.POSITIVE_INFINITY;
      this.#stop(this.#ctx.credits.stopReason() ?? "credits");
      return undefined;
    }
    const size = Math.min(this.#ctx.flow.sizer.size, allowance);
    const ready = this.#retries.takeReady(now, size);
    if (ready) return ready;
    const retryAt = this.#retries.nextAt();
    // While the API throttles, probe with the retries alone: fresh batches would only be refused too.
    if (!(this.#answers.throttled && retryAt !== undefined)) {
      const fresh = this.#ctx.ledger.takeQueued(size);
      if (fresh.length > 0) return { people: fresh, attempt: 0, notBefore: now };
    }
    return retryAt === undefined ? undefined : retryAt - now;
  }

  async #launch(job: Job): Promise<void> {
    const ctx = this.#ctx;
    const batchId = `${ctx.runId}:${++this.#batchSeq}`;
    const share = ctx.flow.share;
    const slot = share?.request();
    let answer: ClaimResult | undefined;
    await this.#answers.storeCall(async () => {
      answer = await ctx.store.claim(
        ctx.runId,
        batchId,
        ctx.analysis,
        job.people.map((p) => p.fp),
        ctx.freshSince,
        slot,
      );
    });
    if (slot && !answer?.slot) share!.unused(slot);
    if (!answer) {
      // The store failed: these people stay unsent, with the stop's reason.
      ctx.ledger.requeue(job.people.map((p) => p.fp));
      return;
    }
    const claim = answer;
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
    if (claim.slot) await this.#awaitSlot(share!, share!.granted(claim.slot));
    // A stop (quota, Ctrl-C) may have come while the claim was being made: nothing more goes out.
    if (this.#stopping()) {
      await this.#answers.storeCall(() => ctx.store.release(ctx.runId, ctx.analysis, claim.claimed));
      this.#retries.push({ ...job, people });
      return;
    }
    const sent: Job = { ...job, people, firstSentAt: job.firstSentAt ?? ctx.now() };
    // Counted now, not when p-limit runs it: the pacer must see this start before the loop's next turn.
    const ticket = ctx.flow.started(people.length, this.inFlight + 1);
    ctx.credits.reserve(people.length);
    this.#gate(() => this.#exchange(sent, ticket))
      .catch((failure: unknown) => {
        this.#abort ??= failure;
      })
      // p-limit's own bookkeeping of the batch runs ticks before this (it awaits the result directly):
      // the loop woken here already sees the active count without it.
      .finally(() => this.#wake?.());
  }

  async #exchange(job: Job, ticket: FlightTicket): Promise<void> {
    const ctx = this.#ctx;
    // p-limit starts a function a microtask after counting it: an answer handled in between may have
    // stopped the run (a spent quota), and then this batch must not go out.
    if (this.#stopping()) {
      ctx.flow.answered(ticket, "neutral");
      ctx.credits.settle(job.people.length, 0, undefined);
      this.#retries.push(job);
      await this.#answers.storeCall(() =>
        ctx.store.release(
          ctx.runId,
          ctx.analysis,
          job.people.map((p) => p.fp),
        ),
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
      await this.#answers.failed(job, ticket, error);
      return;
    }
    await this.#answers.landed(job, ticket, outcome);
  }

  /**
   * Waits for the key's slot (cut short only by a stop); another run's spent quota stops this one. After a
   * long wait the schedule is read again: a Retry-After or a spent quota another run saw meanwhile counts.
   */
  async #awaitSlot(share: SharedPace, granted: { waitMs: number; quotaSpent: boolean }): Promise<void> {
    for (let news = granted; ; ) {
      if (news.quotaSpent) {
        this.#stop("quota");
        return;
      }
      if (news.waitMs <= 0) return;
      const until = this.#ctx.now() + news.waitMs;
      for (let left = news.waitMs; left > 0 && !this.#stopping(); left = until - this.#ctx.now()) {
        await this.#idle(left);
      }
      if (news.waitMs < SLOT_RECHECK_MS || this.#stopping()) return;
      news = await share.recheck();
    }
  }

  #stop(reason: StopReason): void {
    this.#report.stop ??= reason;
    this.#ctx.onEvent?.({ kind: "stopped", reason });
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
