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
  /**
   * May be sent with other people due for the same attempt (a retry after a 504, a 5xx, a throttle). Not
   * a batch split to isolate a profile: that one must go as cut.
   */
  mergeable?: boolean;
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

  /**
   * The job whose time has come, cut to `maxPeople` (the rest stays queued) or, when mergeable, topped up
   * with people of other due mergeable jobs of the same attempt: after a batch size shrinks, the re-sent
   * 10s of a wave of 504s go as full batches of the new size, not as 6 + 4; or undefined.
   */
  takeReady(now: number, maxPeople: number): Job | undefined {
    const at = this.#earliestIndex();
    const job = at === undefined ? undefined : this.#jobs[at];
    if (!job || job.notBefore > now) return undefined;
    this.#jobs.splice(at!, 1);
    const taken = this.#cut(job, maxPeople, 0);
    if (!job.mergeable) return taken;
    for (let i = 0; i < this.#jobs.length && taken.people.length < maxPeople; ) {
      const other = this.#jobs[i]!;
      if (!other.mergeable || other.attempt !== job.attempt || other.notBefore > now) {
        i++;
        continue;
      }
      this.#jobs.splice(i, 1);
      const part = this.#cut(other, maxPeople - taken.people.length, i);
      taken.people = [...taken.people, ...part.people];
      if (part.firstSentAt !== undefined) {
        taken.firstSentAt = Math.min(taken.firstSentAt ?? part.firstSentAt, part.firstSentAt);
      }
    }
    return taken;
  }

  /** `job` cut to `maxPeople`, the rest put back at `at` (in its place in line). */
  #cut(job: Job, maxPeople: number, at: number): Job {
    if (job.people.length <= maxPeople) return { ...job };
    this.#jobs.splice(at, 0, { ...job, people: job.people.slice(maxPeople) });
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
