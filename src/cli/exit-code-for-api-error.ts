import {
  AccessDeniedError,
  AuthenticationError,
  type FluenceApiError,
  InsufficientCreditsError,
  QuotaExceededError,
  WrongEndpointError,
} from "../api/index.js";
import { EXIT } from "../exit-codes.js";

/** Run-level API failures outside `enrich` (credits, lookup, ...) map onto the documented exit codes. */
export function exitCodeForApiError(error: FluenceApiError): number {
  if (error instanceof AuthenticationError || error instanceof AccessDeniedError) return EXIT.auth;
  if (error instanceof WrongEndpointError) return EXIT.usage;
  if (error instanceof InsufficientCreditsError || error instanceof QuotaExceededError) return EXIT.credits;
  // Anything else went wrong on the API's side of the line: worth trying again later.
  return EXIT.retryable;
}
