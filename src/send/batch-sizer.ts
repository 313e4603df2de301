/**
 * Batch size under API Gateway's integration timeout: the docs quote 15-20 s for 10 profiles and 8-10 s
 * for 5, and the gateway gives up at 29 s, so full batches are the ones a slow moment pushes over. Every
 * 504 is an answer lost after the work may have been charged, so the sizer is cautious both ways:
 * - when 504s recur at a size (two among the last RECUR_WINDOW answers), the next batches are halved
 *   toward 5, then fewer, and that size becomes a ceiling;
 * - after GROW_AFTER healthy answers in a row it grows by one, but only up to one below the ceiling; the
 *   ceiling itself is probed again only after PROBE_AFTER healthy answers, and a single 504 while probing
 *   steps straight back.
 */
export const RECUR_WINDOW = 20;
export const GROW_AFTER = 10;
export const PROBE_AFTER = 200;

export class BatchSizer {
  readonly #max: number;
  #size: number;
  /** The smallest size at which 504s recurred: not tried again for a long while. */
  #ceiling: number;
  /** Outcome of each recent answer at the current size: true for a gateway timeout. */
  #recent: boolean[] = [];
  #healthyRun = 0;
  /** The current size was just reached by growing: one 504 is enough to step back. */
  #probing = false;

  constructor(max: number) {
    this.#max = Math.max(1, Math.floor(max));
    this.#size = this.#max;
    this.#ceiling = this.#max + 1;
  }

  get size(): number {
    return this.#size;
  }

  /** A gateway timeout for a batch of `size`; returns true when the size was cut. */
  onGatewayTimeout(size: number): boolean {
    this.#healthyRun = 0;
    // A batch sent before the last change says nothing about the current size.
    if (size < this.#size) return false;
    this.#push(true);
    if (this.#probing) {
      this.#cutTo(this.#size - 1);
      return true;
    }
    if (this.#recent.filter(Boolean).length < 2) return false;
    this.#cutTo(this.#size > 5 ? 5 : Math.max(1, Math.ceil(this.#size / 2)));
    return true;
  }

  /** A healthy answer for a batch of `size`. */
  onHealthy(size: number): void {
    if (size < this.#size) return;
    this.#push(false);
    this.#healthyRun++;
    if (this.#probing && this.#healthyRun >= GROW_AFTER) {
      this.#probing = false;
      if (this.#size >= this.#ceiling) this.#ceiling = this.#max + 1;
    }
    if (this.#size >= this.#max) return;
    const next = this.#size + 1;
    const needed = next >= this.#ceiling ? PROBE_AFTER : GROW_AFTER;
    if (this.#healthyRun < needed) return;
    this.#size = next;
    this.#probing = true;
    this.#healthyRun = 0;
    this.#recent = [];
  }

  #cutTo(size: number): void {
    this.#ceiling = Math.min(this.#ceiling, this.#size);
    this.#size = Math.max(1, size);
    this.#probing = false;
    this.#recent = [];
  }

  #push(timedOut: boolean): void {
    this.#recent.push(timedOut);
    if (this.#recent.length > RECUR_WINDOW) this.#recent.shift();
  }
}
