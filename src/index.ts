/**
 * The package's public surface (`import { enrich } from "fluence-enrich"`). What is exported here is the
 * semver contract; nothing else in dist/ is reachable through the package's "exports".
 */
export { checkBaseUrl, DEFAULT_BASE_URL } from "./api/base-url.js";
export { createClient, type FluenceClient, type FluenceClientOptions } from "./api/client.js";
export {
  AccessDeniedError,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  FluenceApiError,
  GatewayTimeoutError,
  InsufficientCreditsError,
  InsufficientDataError,
  MultipleMatchesError,
  NotFoundError,
  ProtocolError,
  QuotaExceededError,
  RateLimitError,
  ServerError,
  TimeoutError,
  UnexpectedStatusError,
  WrongEndpointError,
} from "./api/errors.js";
export { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./api/retry-timing.js";
export type {
  Analise,
  BatchOutcome,
  BillingInfo,
  CreditsInfo,
  ProfileInput,
  ServiceState,
  TierInfo,
  TiersInfo,
} from "./api/types.js";
export { type EnrichFileOptions, enrichFile } from "./library/enrich-file.js";
export { type EnrichStreamOptions, enrich } from "./library/enrich-stream.js";
export type {
  EnrichedOutcome,
  EnrichOutcome,
  FailedOutcome,
  InvalidOutcome,
  Person,
} from "./library/people.js";
export type {
  DryRunReport,
  EnrichPlanInfo,
  EnrichProgress,
  EnrichSummary,
} from "./pipeline/enrich-types.js";
export { CREDITS_PER_PROFILE } from "./pipeline/enrich-types.js";
export { SANDBOX_KEYS, SANDBOX_PLANS } from "./sandbox/sandbox-plans.js";
export { startSandbox } from "./sandbox/sandbox-server.js";
export type { SandboxHandle, SandboxOptions } from "./sandbox/sandbox-types.js";
export type { SendEvent } from "./send/send-events.js";
export { UserError } from "./user-error.js";
