import { STOP_REASONS, STOPS, type StopRecord } from "./stop-reasons.js";

/**
 * Every code a row can end with in the errors file, whether it is worth retrying, and what the user
 * should do about it. The codes of rows a stop left unsent come from the stop table; codes the API
 * invents later are shown as they come, as terminal.
 */
export interface RowErrorInfo {
  retryable: boolean;
  advice: string;
}

const ROW_CODES: Record<string, RowErrorInfo> = {
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
  SERVER_ERROR: { retryable: true, advice: "the API failed; run again later" },
  NETWORK_ERROR: { retryable: true, advice: "check the connection and run again" },
  TIMEOUT: { retryable: true, advice: "run again, or raise --timeout" },
  PROTOCOL_ERROR: { retryable: true, advice: "the API answered something unreadable; run again" },
  STORE_MISSING: { retryable: true, advice: "the stored result vanished during the run; run again" },
};

for (const reason of STOP_REASONS) {
  const stop: StopRecord = STOPS[reason];
  ROW_CODES[stop.rowCode] = {
    retryable: stop.retryable,
    advice: stop.retryable ? `${stop.fix}: only these rows are sent` : stop.fix,
  };
}

export function rowErrorInfo(code: string): RowErrorInfo {
  return Object.hasOwn(ROW_CODES, code)
    ? ROW_CODES[code]!
    : { retryable: false, advice: "see the fluence_error column" };
}
