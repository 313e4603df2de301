import { journalTrouble, OutcomeJournal } from "../store/journal.js";
import type { Analysis, NewOutcome } from "../store/types.js";

/**
 * The send stage's side of the journal of paid outcomes (store/journal.ts): an answer's outcomes are
 * recorded before the store is asked to keep them, and marked once it has. A journal that cannot be written
 * (the same full disk) stops being used, with one notice, and the run goes on: the store, while it works,
 * still keeps everything, and this run's outputs hold what it was paid for either way.
 */
export class PaidJournal {
  #journal: OutcomeJournal | undefined;
  #unavailable: string | undefined;
  readonly #notice: (text: string) => void;

  /** `journal` undefined: it could not be created, for the reason given. */
  constructor(
    journal: OutcomeJournal | undefined,
    unavailable: string | undefined,
    notice: (text: string) => void,
  ) {
    this.#journal = journal;
    this.#unavailable = journal ? undefined : (unavailable ?? "no journal");
    this.#notice = notice;
    if (this.#unavailable !== undefined) this.#noticeLost();
  }

  /** Why paid outcomes are not being journaled, or undefined while they are. */
  get unavailable(): string | undefined {
    return this.#unavailable;
  }

  /** Outcomes journaled and not in the store: what the next run on this store will put there. */
  get keptOutcomes(): number {
    return this.#journal?.pendingOutcomes ?? 0;
  }

  /** Records one answer's outcomes; the record's number, or undefined when there is no journal. */
  async record(
    analysis: Analysis,
    runId: string,
    outcomes: readonly NewOutcome[],
  ): Promise<number | undefined> {
    if (!this.#journal || outcomes.length === 0) return undefined;
    try {
      return await this.#journal.record(analysis, runId, outcomes);
    } catch (error) {
      this.#lost(error);
      return undefined;
    }
  }

  /** The store has record `seq`. */
  async committed(seq: number | undefined): Promise<void> {
    if (seq === undefined || !this.#journal) return;
    try {
      await this.#journal.committed(seq);
    } catch (error) {
      this.#lost(error);
    }
  }

  async close(): Promise<void> {
    await this.#journal?.close();
  }

  #lost(error: unknown): void {
    if (this.#unavailable !== undefined) return;
    this.#unavailable = journalTrouble(error, this.#journal?.file);
    // What it holds stays on disk, for the next run: only new outcomes go unjournaled.
    this.#noticeLost();
  }

  #noticeLost(): void {
    this.#notice(
      `The journal of paid outcomes cannot be written (${this.#unavailable}); going on, but if the store fails too, what this run is paid for will be in its outputs only.`,
    );
  }
}

/** Creates this run's journal in `dir`; one that cannot be created is reported (once) and done without. */
export async function openPaidJournal(
  dir: string,
  runId: string,
  notice: (text: string) => void,
): Promise<PaidJournal> {
  try {
    return new PaidJournal(await OutcomeJournal.create(dir, runId), undefined, notice);
  } catch (error) {
    return new PaidJournal(undefined, journalTrouble(error, dir), notice);
  }
}
