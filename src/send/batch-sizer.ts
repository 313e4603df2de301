/**
 * Batch size under API Gateway's integration timeout: the docs quote 15-20 s for 10 profiles and 8-10 s
 * for 5, and the gateway gives up at 29 s, so full batches are the ones a slow moment pushes over. When
 * 504s recur (two among the last RECUR_WINDOW answers), the next batches are smaller: halved toward 5, then
 * fewer. After GROW_AFTER healthy answers in a row at the current size it grows by one, slowly, because
 * every 504 is an answer lost after the work may have been charged.
 */
export const RECUR_WINDOW = 20;
export const GROW_AFTER = 10;

export class BatchSizer {
  readonly #max: number;
  #size: number;
  /** Outcome of each recent answer at the current size: true for a gateway timeout. */
  #recent: boolean[] = [];
  #healthyRun = 0;

  constructor(max: number) {
    this.#max = Math.max(1, Math.floor(max));
    this.#size = this.#max;
  }

  get size(): number {
    return this.#size;
  }

  /** A gateway timeout for a batch of `size`; returns true when the size was cut. */
  onGatewayTimeout(size: number): boolean {
    this.#healthyRun = 0;
    // A batch sent before the last cut says nothing about the current size.
    if (size < this.#size) return false;
    this.#push(true);
    if (this.#recent.filter(Boolean).length < 2) return false;
    this.#size = this.#size > 5 ? 5 : Math.max(1, Math.ceil(this.#size / 2));
    this.#recent = [];
    return true;
  }

  /** A healthy answer for a batch of `size`. */
  onHealthy(size: number): void {
    if (size < this.#size) return;
    this.#push(false);
    if (++this.#healthyRun < GROW_AFTER || this.#size >= this.#max) return;
    this.#size++;
    this.#healthyRun = 0;
    this.#recent = [];
  }

  #push(timedOut: boolean): void {
    this.#recent.push(timedOut);
    if (this.#recent.length > RECUR_WINDOW) this.#recent.shift();
  }
}
