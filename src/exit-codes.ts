/** Process exit codes, documented in the README; cron jobs branch on them. */
export const EXIT = {
  /** Every row resolved: enriched, or a terminal per-row failure such as not found. */
  ok: 0,
  /** A bug in fluence. */
  bug: 1,
  /** Usage or input error: fix the command or the file. */
  usage: 2,
  /** The API refused the key or the plan. */
  auth: 3,
  /** Stopped for credits or quota (balance spent, --max-credits reached, the key's request quota spent). */
  credits: 4,
  /** Retryable failures remain: run again later. */
  retryable: 5,
  /** The service is not healthy (health/status commands). */
  unhealthy: 6,
  /**
   * A file or the store could not be read or written: disk full, read-only filesystem, permission
   * denied, the store's database unreachable. Nothing paid for is lost; fix the machine, run again.
   */
  io: 7,
  /** Another fluence run holds these outputs, or kept the store locked: an overlapping run. */
  busy: 8,
  /** Interrupted by SIGINT, SIGTERM or SIGHUP: in-flight batches landed, everything written. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
