import type { FluenceClient, RetryPolicy } from "../api/index.js";
import type { Analysis, OutcomeStore } from "../store/index.js";
import type { CreditGuard } from "./credit-guard.js";
import type { FlowControl } from "./flow-control.js";
import type { PaidJournal } from "./paid-journal.js";
import type { SendEvent } from "./send-events.js";
import type { SendLedger } from "./send-ledger.js";
import type { FailedRequest, SendReport } from "./send-report.js";

/** Everything the send stage works with, handed in by whoever runs it: it reaches for nothing else. */
export interface SendContext {
  client: FluenceClient;
  store: OutcomeStore;
  ledger: SendLedger;
  runId: string;
  analysis: Analysis;
  freshSince: number;
  retryPolicy: RetryPolicy;
  flow: FlowControl;
  credits: CreditGuard;
  /** The journal of paid outcomes: written before the store, so a store that fails loses nothing paid for. */
  journal?: PaidJournal | undefined;
  signal?: AbortSignal | undefined;
  random: () => number;
  now: () => number;
  /** After every answer. */
  onSettled?: (report: SendReport) => void;
  /** What the send stage did that a person watching would want to know (a 429 pause, a retry, a stop). */
  onEvent?: (event: SendEvent) => void;
  /** Every failed request, as it fails (for --debug). */
  onRequestFailed?: (failure: FailedRequest) => void;
}
