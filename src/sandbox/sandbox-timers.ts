import { RequestAbandoned } from "./sandbox-http.js";

/**
 * Latency timers of one sandbox. They are tracked so close() can cancel them: a pending wait then rejects
 * with RequestAbandoned instead of leaving a request (or work behind a gateway timeout) hanging.
 */
export class TimerSet {
  private readonly pending = new Set<{ timer: NodeJS.Timeout; reject: (error: Error) => void }>();

  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (ms <= 0) return resolve();
      const entry = {
        timer: setTimeout(() => {
          this.pending.delete(entry);
          resolve();
        }, ms),
        reject,
      };
      this.pending.add(entry);
    });
  }

  cancelAll(): void {
    for (const entry of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new RequestAbandoned());
    }
    this.pending.clear();
  }
}
