import type { OutcomeStore, SlotGrant, SlotRequest } from "../store/types.js";
import type { RatePacer } from "./rate-pacer.js";

/** Starts remembered to measure the rate this run actually gets from the key's schedule. */
const SHARE_WINDOW = 20;

/**
 * This run's side of the key's shared schedule in the store: every run on the key takes its starts from
 * one schedule there (folded into each batch's claim), so the fleet together never starts more than the
 * key's rate; a throttling answer or a spent quota that one run sees reaches the others through it. The
 * local RatePacer keeps pacing between slots and follows the shared rate; the store's clock, not this
 * machine's, orders the schedule (`storeOffsetMs` converts).
 */
export class SharedPace {
  readonly keyId: string;
  readonly #store: OutcomeStore;
  readonly #pacer: RatePacer;
  readonly #now: () => number;
  /** A quota stop recorded at or before this (store clock) predates the run: it is not this run's news. */
  readonly #quotaBaseline: number;
  #offset: number;
  #healthy = 0;
  #runs: number;
  #maxRuns: number;
  #sharedRate: number;
  readonly #starts: number[] = [];

  private constructor(
    store: OutcomeStore,
    keyId: string,
    pacer: RatePacer,
    now: () => number,
    share: Awaited<ReturnType<OutcomeStore["keyShare"]>>,
  ) {
    this.#store = store;
    this.keyId = keyId;
    this.#pacer = pacer;
    this.#now = now;
    this.#offset = share.storeNow - now();
    this.#quotaBaseline = Math.max(share.quotaAt ?? 0, share.storeNow);
    // This run is registered already, so it is among the runs counted.
    this.#runs = Math.max(1, share.runs);
    this.#maxRuns = this.#runs;
    this.#sharedRate = Math.min(
      share.ratePerMinute ?? pacer.rules.targetPerMinute,
      pacer.rules.targetPerMinute,
    );
    pacer.follow(this.#sharedRate);
  }

  /** Reads the key's schedule as this run joins it (one round trip). */
  static async join(
    store: OutcomeStore,
    keyId: string,
    pacer: RatePacer,
    now: () => number,
  ): Promise<SharedPace> {
    return new SharedPace(store, keyId, pacer, now, await store.keyShare(keyId));
  }

  /** What the next claim asks of the schedule; hand it back with unused() if no slot came of it. */
  request(): SlotRequest {
    const rules = this.#pacer.rules;
    const request: SlotRequest = {
      keyId: this.keyId,
      targetPerMinute: rules.targetPerMinute,
      floorPerMinute: rules.floorPerMinute,
      recoveryPerMinute: rules.recoveryPerMinute,
      healthy: this.#healthy,
      minGapMs: rules.minGapMs,
    };
    this.#healthy = 0;
    return request;
  }

  /** The claim took no slot (nobody was claimed): its healthy answers go with the next one. */
  unused(request: SlotRequest): void {
    this.#healthy += request.healthy;
  }

  /** A slot came with a claim: how long to wait for it, and whether another run saw the quota spent. */
  granted(grant: SlotGrant): { waitMs: number; quotaSpent: boolean } {
    this.#offset = grant.storeNow - this.#now();
    this.#runs = Math.max(1, grant.runs);
    this.#maxRuns = Math.max(this.#maxRuns, this.#runs);
    this.#sharedRate = grant.ratePerMinute;
    this.#pacer.follow(grant.ratePerMinute);
    return {
      waitMs: grant.waitMs,
      quotaSpent: grant.quotaAt !== null && grant.quotaAt > this.#quotaBaseline,
    };
  }

  /**
   * Reads the schedule again after a long wait for a slot: another run may have seen the quota spent, or
   * been told to pause, while this one waited. Returns how much longer to wait (the pause's rest).
   */
  async recheck(): Promise<{ waitMs: number; quotaSpent: boolean }> {
    const share = await this.#store.keyShare(this.keyId);
    this.#offset = share.storeNow - this.#now();
    if (share.ratePerMinute !== null) {
      this.#sharedRate = share.ratePerMinute;
      this.#pacer.follow(share.ratePerMinute);
    }
    return {
      waitMs: Math.max(0, share.pauseUntil - share.storeNow),
      quotaSpent: share.quotaAt !== null && share.quotaAt > this.#quotaBaseline,
    };
  }

  /** A batch started (local clock). */
  started(at: number): void {
    this.#starts.push(at);
    if (this.#starts.length > SHARE_WINDOW) this.#starts.shift();
  }

  onHealthy(): void {
    this.#healthy++;
  }

  /** A throttling answer to a batch started at `startedAt` (local clock): every run slows and pauses. */
  throttled(startedAt: number, retryAfterMs: number | undefined): Promise<void> {
    const rules = this.#pacer.rules;
    return this.#store.keyThrottled({
      keyId: this.keyId,
      startedAt: startedAt + this.#offset,
      retryAfterMs,
      decreaseRatio: rules.decreaseRatio,
      floorPerMinute: rules.floorPerMinute,
    });
  }

  /** This run saw the quota spent: the others stop at their next start. */
  quotaSpent(): Promise<void> {
    return this.#store.keyQuotaSpent(this.keyId);
  }

  /**
   * Starts a minute this run gets: measured over its last starts once it has a few, before that the
   * shared rate split evenly among the runs on the key. What Little's law needs in flight follows it.
   */
  get shareRatePerMinute(): number {
    const n = this.#starts.length;
    const even = this.#sharedRate / this.#runs;
    if (n < 5) return even;
    const span = this.#starts[n - 1]! - this.#starts[0]!;
    // Never below an even split: a run held back by its own limit measures less than it could get.
    return span > 0 ? Math.max(even, ((n - 1) * 60_000) / span) : even;
  }

  /** Most runs seen on the key at once during this run. */
  get maxRuns(): number {
    return this.#maxRuns;
  }
}
