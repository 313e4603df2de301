import { GATEWAY_REPLIES } from "./sandbox-gateway.js";
import type { Reply } from "./sandbox-paid-endpoints.js";

/** The answers whose shape depends on the mode: the service's documented bodies, or API Gateway's. */
export interface Answers {
  unauthorized(): Reply;
  noRoute(method: string, path: string): Reply;
  unavailable(message: string): Reply;
  injected429(): Reply;
}

export const DOCS_ANSWERS: Answers = {
  unauthorized: () => ({
    status: 401,
    body: { error: "Unauthorized", message: "Invalid API key provided in X-API-Key header" },
  }),
  noRoute: (method, path) => ({
    status: 404,
    body: { error: "Not found", message: `No route for ${method} ${path}` },
  }),
  unavailable: (message) => ({ status: 503, body: { error: "Service unavailable", message } }),
  injected429: () => ({
    status: 429,
    body: { error: "Rate limit exceeded", message: "Too many requests; retry in 1 s." },
    headers: { "retry-after": "1" },
  }),
};

export const GATEWAY_ANSWERS: Answers = {
  unauthorized: GATEWAY_REPLIES.forbidden,
  noRoute: GATEWAY_REPLIES.missingToken,
  unavailable: GATEWAY_REPLIES.unavailable,
  injected429: GATEWAY_REPLIES.throttled,
};
