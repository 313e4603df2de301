import {
  ConnectionError,
  type FluenceApiError,
  GatewayTimeoutError,
  RateLimitError,
  ServerError,
  TimeoutError,
} from "../api/index.js";
import type { AnswerSignal } from "./flow-control.js";

/**
 * What a failed batch request says about the server's load. Overload: 502, 503, 504, a timeout, a
 * connection reset mid-request (the signals TCP and concurrency-limits back off on). Throttled: a 429 that
 * is not a spent quota. A 500 is the service refunding a failure, a refused connection never reached it,
 * and 4xx answers are about the request: none of them says "fewer in flight".
 */
export function signalOf(error: FluenceApiError): AnswerSignal {
  if (error instanceof RateLimitError) return "throttled";
  if (error instanceof GatewayTimeoutError || error instanceof TimeoutError) return "overload";
  if (error instanceof ServerError) return error.overload ? "overload" : "neutral";
  if (error instanceof ConnectionError) return error.inDoubt ? "overload" : "neutral";
  return "neutral";
}
