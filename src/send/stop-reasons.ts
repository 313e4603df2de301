import {
  AccessDeniedError,
  AuthenticationError,
  type FluenceApiError,
  InsufficientCreditsError,
  QuotaExceededError,
  WrongEndpointError,
} from "../api/index.js";
import { EXIT, type ExitCode } from "../exit-codes.js";

/**
 * Every way a run stops starting batches before its queue is empty, and everything each one means: the
 * exit code, the code and sentence its unsent rows get in the errors file (and the summary's
 * `stop_message`), whether those rows are worth a re-run, and the progress line's words. The summary, the
 * errors file, the exit status and the terminal all read this table; a new reason is one entry here.
 */
export interface StopRecord {
  exit: ExitCode;
  /** The code of the rows left unsent. auth/endpoint rows carry the API's own error instead. */
  rowCode: string;
  /** What happened, for "Not sent: <why>." and the progress line. */
  why: string;
  /** What to do, for the sentence and the errors file's advice. */
  fix: string;
  retryable: boolean;
  /** The rows carry the API's own code and message (the refusal says best what to fix). */
  apiWords?: true;
}

export const STOPS = {
  credits: {
    exit: EXIT.credits,
    rowCode: "INSUFFICIENT_CREDITS",
    why: "the credit balance ran out",
    fix: "buy credits, then run again",
    retryable: true,
  },
  budget: {
    exit: EXIT.credits,
    rowCode: "BUDGET_EXCEEDED",
    why: "--max-credits was reached",
    fix: "raise it, then run again",
    retryable: true,
  },
  quota: {
    exit: EXIT.credits,
    rowCode: "QUOTA_EXCEEDED",
    why: "the API key's request quota for this period is spent",
    fix: "run again after it resets",
    retryable: true,
  },
  rate_limited: {
    exit: EXIT.retryable,
    rowCode: "RATE_LIMITED",
    why: "the API refused every request as rate-limited (HTTP 429)",
    fix: "run again later, or lower --rate",
    retryable: true,
  },
  interrupted: {
    exit: EXIT.interrupted,
    rowCode: "INTERRUPTED",
    why: "the run was interrupted",
    fix: "run again",
    retryable: true,
  },
  store: {
    exit: EXIT.io,
    rowCode: "STORE_UNAVAILABLE",
    why: "the store could not be written",
    fix: "fix the store (its server, its disk), then run again",
    retryable: true,
  },
  auth: {
    exit: EXIT.auth,
    rowCode: "AUTH_FAILED",
    why: "the API refused the key or the plan",
    fix: "check FLUENCE_API_KEY or --api-key-file, or the plan",
    retryable: false,
    apiWords: true,
  },
  endpoint: {
    exit: EXIT.usage,
    rowCode: "WRONG_ENDPOINT",
    why: "the endpoint does not exist at the base URL",
    fix: "check --base-url or FLUENCE_BASE_URL (a missing or extra /prod)",
    retryable: false,
    apiWords: true,
  },
} as const satisfies Record<string, StopRecord>;

/** Why a run stopped starting batches before its queue was empty. */
export type StopReason = keyof typeof STOPS;

export const STOP_REASONS = Object.keys(STOPS) as StopReason[];

/** The code and sentence of the rows a stop left unsent. */
export function unsentRows(reason: StopReason, fatal?: FluenceApiError): { code: string; message: string } {
  const stop: StopRecord = STOPS[reason];
  if (stop.apiWords && fatal) return { code: fatal.code, message: fatal.message };
  return {
    code: stop.rowCode,
    message: `Not sent: ${stop.why}. ${capitalised(stop.fix)}; only these rows are sent.`,
  };
}

/** The stop a failed request means for the whole run, if any (a 402 goes through the credit guard first). */
export function stopForApiError(error: FluenceApiError): StopReason | undefined {
  if (error instanceof AuthenticationError || error instanceof AccessDeniedError) return "auth";
  if (error instanceof WrongEndpointError) return "endpoint";
  if (error instanceof QuotaExceededError) return "quota";
  if (error instanceof InsufficientCreditsError) return "credits";
  return undefined;
}

/** The exit status of a run-level API failure outside the send loop (credits, lookup, the preflight). */
export function exitForApiError(error: FluenceApiError): ExitCode {
  const stop = stopForApiError(error);
  // Anything else went wrong on the API's side of the line: worth trying again later.
  return stop === undefined ? EXIT.retryable : STOPS[stop].exit;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
