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
  /** Stopped for credits (balance spent or --max-credits reached). */
  credits: 4,
  /** Retryable failures remain: run again later. */
  retryable: 5,
  /** The service is not healthy (health/status commands). */
  unhealthy: 6,
  /** Interrupted by Ctrl-C / SIGINT / SIGTERM. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
