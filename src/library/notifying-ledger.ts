import { RunLedger } from "../pipeline/run-ledger.js";
import type { NewOutcome } from "../store/types.js";

/**
 * The CLI's run ledger, telling the stream whenever a person's status changes: the sender settles some
 * people without an answer event (a claim that found them already done), and the stream must not wait for
 * an event that never comes.
 */
export class NotifyingLedger extends RunLedger {
  readonly #changed: () => void;

  constructor(changed: () => void) {
    super();
    this.#changed = changed;
  }

  override requeue(fps: readonly string[]): void {
    super.requeue(fps);
    this.#changed();
  }

  override markDone(outcomes: readonly NewOutcome[]): void {
    super.markDone(outcomes);
    this.#changed();
  }

  override markFailed(fps: readonly string[], code: string, message: string, retryable: boolean): void {
    super.markFailed(fps, code, message, retryable);
    this.#changed();
  }
}
