export { rowErrorInfo } from "../send/row-codes.js";
export { CREDITS_PER_PROFILE, runEnrich } from "./enrich.js";
export type {
  BillingCheck,
  DryRunReport,
  EnrichEvents,
  EnrichOptions,
  EnrichPlanInfo,
  EnrichProgress,
  EnrichSummary,
} from "./enrich-types.js";
export { DEFAULT_ENRICH_SETTINGS } from "./enrich-types.js";
export { requestsUsed as requestsUsedOf } from "./run-summary.js";
