import type { PersonEntry } from "./send-ledger.js";

/** People to send together, and how often they were sent already. */
export interface Job {
  people: PersonEntry[];
  /** Attempts already made (0 for a fresh batch). */
  attempt: number;
  /** Not to be started before this time (ms, the run's clock). */
  notBefore: number;
  /** When the first attempt of these people went out. */
  firstSentAt?: number;
}

/** Jobs waiting for another attempt, earliest first. Fresh people come from the ledger, not from here. */
export class JobQueue {
  readonly #jobs: Job[] = [];

  push(...jobs: Job[]): void {
    this.#jobs.push(...jobs);
  }

  /** Puts jobs first in line (a batch split after a 400, a 402 that named a smaller balance). */
  unshift(...jobs: Job[]): void {
    this.#jobs.unshift(...jobs);
  }

  /** The job whose time has come, cut to `maxPeople` (the rest stays queued); or undefined. */
  takeReady(now: number, maxPeople: number): Job | undefined {
    const at = this.#earliestIndex();
    const job = at === undefined ? undefined : this.#jobs[at];
    if (!job || job.notBefore > now) return undefined;
    this.#jobs.splice(at!, 1);
    if (job.people.length <= maxPeople) return job;
    this.#jobs.unshift({ ...job, people: job.people.slice(maxPeople) });
    return { ...job, people: job.people.slice(0, maxPeople) };
  }

  /** Time of the earliest job, or undefined when empty. */
  nextAt(): number | undefined {
    const at = this.#earliestIndex();
    return at === undefined ? undefined : this.#jobs[at]!.notBefore;
  }

  /** Empties the queue and returns every person still in it. */
  drain(): PersonEntry[] {
    return this.#jobs.splice(0).flatMap((job) => job.people);
  }

  // Stable: among jobs due at the same time the one queued first goes first, as a split batch expects.
  #earliestIndex(): number | undefined {
    let best: number | undefined;
    this.#jobs.forEach((job, i) => {
      if (best === undefined || job.notBefore < this.#jobs[best]!.notBefore) best = i;
    });
    return best;
  }
}
