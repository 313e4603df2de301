/**
 * Every code a row can end with in the errors file, whether it is worth retrying, and what the user
 * should do about it. Codes the API invents later are shown as they come, as terminal.
 */
export interface RowErrorInfo {
  retryable: boolean;
  advice: string;
}

const KNOWN: Record<string, RowErrorInfo> = {
  INVALID_ROW: { retryable: false, advice: "fill in the empty required fields or fix the row's columns" },
  PROFILE_NOT_FOUND: { retryable: false, advice: "check the spelling of the name and company" },
  MULTIPLE_MATCHES: {
    retryable: false,
    advice: "add a contexto_adicional column (role, city, e-mail) to pick the right person",
  },
  INSUFFICIENT_DATA: { retryable: false, advice: "the API has too little public data on this person" },
  INVALID_INPUT: { retryable: false, advice: "fill in the empty required fields" },
  BAD_REQUEST: {
    retryable: false,
    advice: "the API refused this row; check its values (length, odd characters)",
  },
  ACCESS_DENIED: {
    retryable: false,
    advice: "your plan cannot use this endpoint; upgrade the plan (the message names where)",
  },
  AUTH_FAILED: { retryable: false, advice: "check FLUENCE_API_KEY or --api-key-file" },
  WRONG_ENDPOINT: {
    retryable: false,
    advice: "check --base-url or FLUENCE_BASE_URL (a missing or extra /prod)",
  },
  RATE_LIMITED: { retryable: true, advice: "run again later, or lower --rate" },
  SERVER_ERROR: { retryable: true, advice: "the API failed; run again later" },
  NETWORK_ERROR: { retryable: true, advice: "check the connection and run again" },
  TIMEOUT: { retryable: true, advice: "run again, or raise --timeout" },
  PROTOCOL_ERROR: { retryable: true, advice: "the API answered something unreadable; run again" },
  INSUFFICIENT_CREDITS: { retryable: true, advice: "buy credits, then run again: only these rows are sent" },
  QUOTA_EXCEEDED: {
    retryable: true,
    advice:
      "the key's request quota for the period is spent; run again after it resets: only these rows are sent",
  },
  BUDGET_EXCEEDED: {
    retryable: true,
    advice: "raise --max-credits, then run again: only these rows are sent",
  },
  INTERRUPTED: { retryable: true, advice: "run again: only these rows are sent" },
  STORE_MISSING: { retryable: true, advice: "the stored result vanished during the run; run again" },
};

export function rowErrorInfo(code: string): RowErrorInfo {
  return KNOWN[code] ?? { retryable: false, advice: "see the fluence_error column" };
}
