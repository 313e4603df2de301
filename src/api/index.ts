export { loadApiKey, redactKey, validateApiKey } from "./api-key.js";
export { checkBaseUrl, DEFAULT_BASE_URL } from "./base-url.js";
export { createClient, type FluenceClient, type FluenceClientOptions } from "./client.js";
export { errorFromResponse, requestIdOf } from "./error-from-response.js";
export {
  AccessDeniedError,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  FluenceApiError,
  type FluenceApiErrorInit,
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
} from "./errors.js";
export { isRecord, num, str } from "./json-values.js";
export {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  type RetryPolicy,
  type WithRetriesOptions,
  withRetries,
} from "./retry-timing.js";
export type * from "./types.js";
