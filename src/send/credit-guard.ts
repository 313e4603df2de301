import type { StopReason } from "./stop-reasons.js";

/**
 * Keeps the run inside the balance and the --max-credits budget, counted in credits: a person costs
 * `creditsPerProfile` (1 for the basic analysis, 2 for the complete one) and only on success. In-flight
 * batches are reserved at their full cost; the balance the API reports already counts some of them, which
 * makes the guard cautious while batches are in flight and exact once they land.
 */
export type CreditStop = Extract<StopReason, "credits" | "budget">;

export interface CreditGuardOptions {
  /** Credits left, from /creditos; undefined when unknown. */
  balance?: number | undefined;
  /** --max-credits. */
  maxCredits?: number | undefined;
  /** Credits a successful person costs. Default 1. */
  creditsPerProfile?: number;
}

export class CreditGuard {
  readonly #perProfile: number;
  readonly #budget: number | undefined;
  #balance: number | undefined;
  #reserved = 0;
  #spent = 0;
  #inDoubt = 0;

  constructor(options: CreditGuardOptions) {
    this.#balance = options.balance;
    this.#budget = options.maxCredits;
    this.#perProfile = options.creditsPerProfile ?? 1;
  }

  get creditsPerProfile(): number {
    return this.#perProfile;
  }

  get balance(): number | undefined {
    return this.#balance;
  }

  get spent(): number {
    return this.#spent;
  }

  /** People that may be sent now; Infinity when neither balance nor budget limits. */
  allowance(): number {
    let credits = Number.POSITIVE_INFINITY;
    if (this.#balance !== undefined) credits = Math.min(credits, this.#balance - this.#reserved);
    if (this.#budget !== undefined) {
      credits = Math.min(credits, this.#budget - this.#spent - this.#inDoubt - this.#reserved);
    }
    return Math.max(0, Math.floor(credits / this.#perProfile));
  }

  /** Why nothing more may be sent, when nothing is in flight that could free room. */
  stopReason(): CreditStop | undefined {
    if (this.#reserved > 0 || this.allowance() > 0) return undefined;
    const budgetLeft =
      this.#budget === undefined ? Number.POSITIVE_INFINITY : this.#budget - this.#spent - this.#inDoubt;
    if (budgetLeft < this.#perProfile) return "budget";
    return "credits";
  }

  reserve(people: number): void {
    this.#reserved += people * this.#perProfile;
  }

  /** A batch came back (or failed): release its reservation and record what it cost, in credits. */
  settle(people: number, charged: number, balanceAfter: number | undefined): void {
    this.#reserved = Math.max(0, this.#reserved - people * this.#perProfile);
    this.#spent += charged;
    // Answers arrive out of order; the balance only falls during a run, so an older, higher figure that
    // lands late must not undo a newer one.
    if (balanceAfter !== undefined) this.#balance = Math.min(this.#balance ?? balanceAfter, balanceAfter);
  }

  /** People that may have been charged without an answer: they count against the budget. */
  addInDoubt(people: number): void {
    this.#inDoubt += people * this.#perProfile;
  }

  /** A 402: the API says how many credits are really left. */
  refused(people: number, creditsAvailable: number | undefined): void {
    const cost = people * this.#perProfile;
    this.#reserved = Math.max(0, this.#reserved - cost);
    // Without a figure, assume one person less than the batch fits: the next try sends a smaller one.
    this.#balance = creditsAvailable ?? Math.max(0, Math.min(this.#balance ?? cost, cost) - this.#perProfile);
  }
}
