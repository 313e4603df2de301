/**
 * Keeps the run inside the balance and the --max-credits budget. A batch costs at most its size (pay per
 * success), so in-flight batches are reserved at their size; the balance the API reports already counts
 * some of them, which makes the guard cautious while batches are in flight and exact once they land.
 */
export type StopReason = "credits" | "budget";

export class CreditGuard {
  #balance: number | undefined;
  readonly #budget: number | undefined;
  #reserved = 0;
  #spent = 0;
  #inDoubt = 0;

  constructor(options: { balance?: number | undefined; maxCredits?: number | undefined }) {
    this.#balance = options.balance;
    this.#budget = options.maxCredits;
  }

  get balance(): number | undefined {
    return this.#balance;
  }

  get spent(): number {
    return this.#spent;
  }

  /** Profiles that may be sent now; Infinity when neither balance nor budget limits. */
  allowance(): number {
    let allow = Number.POSITIVE_INFINITY;
    if (this.#balance !== undefined) allow = Math.min(allow, this.#balance - this.#reserved);
    if (this.#budget !== undefined) {
      allow = Math.min(allow, this.#budget - this.#spent - this.#inDoubt - this.#reserved);
    }
    return Math.max(0, allow);
  }

  /** Why nothing more may be sent, when nothing is in flight that could free room. */
  stopReason(): StopReason | undefined {
    if (this.#reserved > 0 || this.allowance() > 0) return undefined;
    if (this.#budget !== undefined && this.#budget - this.#spent - this.#inDoubt <= 0) return "budget";
    return "credits";
  }

  reserve(profiles: number): void {
    this.#reserved += profiles;
  }

  /** A batch came back (or failed): release its reservation and record what it cost. */
  settle(profiles: number, charged: number, balanceAfter: number | undefined): void {
    this.#reserved = Math.max(0, this.#reserved - profiles);
    this.#spent += charged;
    // Answers arrive out of order; the balance only falls during a run, so an older, higher figure that
    // lands late must not undo a newer one.
    if (balanceAfter !== undefined) this.#balance = Math.min(this.#balance ?? balanceAfter, balanceAfter);
  }

  /** Profiles that may have been charged without an answer: they count against the budget. */
  addInDoubt(profiles: number): void {
    this.#inDoubt += profiles;
  }

  /** A 402: the API says how much is really left. */
  refused(profiles: number, creditsAvailable: number | undefined): void {
    this.#reserved = Math.max(0, this.#reserved - profiles);
    // Without a figure, assume less than the batch: the next try sends a smaller one.
    this.#balance = creditsAvailable ?? Math.max(0, Math.min(this.#balance ?? profiles, profiles) - 1);
  }
}
