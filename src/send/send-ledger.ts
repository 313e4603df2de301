import type { ProfileInput } from "../api/types.js";
import type { NewOutcome } from "../store/index.js";

/** One distinct person to send: their fingerprint, what goes on the wire, and their order in the input. */
export interface PersonEntry {
  fp: string;
  profile: ProfileInput;
  seq: number;
}

/**
 * What the send stage needs of the run's bookkeeping of people, and all it may do to it. The pipeline's
 * RunLedger implements it; a test can hand the sender a plain in-memory one.
 */
export interface SendLedger {
  /** Up to `max` queued people, marked as being sent. */
  takeQueued(max: number): PersonEntry[];
  /** People back to the queue (not sent, or released by a stop). */
  requeue(fps: readonly string[]): void;
  /** Outcomes committed to the store (or found there by a claim). */
  markDone(outcomes: readonly NewOutcome[]): void;
  /** A failure kept for this run only. */
  markFailed(fps: readonly string[], code: string, message: string, retryable: boolean): void;
  /** Sent without an answer: they may have been charged. */
  markInDoubt(fps: readonly string[]): void;
}
