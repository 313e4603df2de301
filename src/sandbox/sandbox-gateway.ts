import type { Reply } from "./sandbox-paid-endpoints.js";
import type { GatewayOptions } from "./sandbox-types.js";

/** GatewayOptions with every default applied. */
export interface GatewayConfig {
  stage: string | undefined;
  burst: number;
  quota: number | undefined;
  integrationTimeoutMs: number;
}

const STAGE = /^(\/[A-Za-z0-9_-]+)+$/;

/** "/prod" for "prod", "/prod" or "/prod/"; undefined for anything that is not a path of stage names. */
export function parseStage(raw: string): string | undefined {
  const stage = `/${raw.trim().replace(/^\/+/, "").replace(/\/+$/, "")}`;
  return STAGE.test(stage) ? stage : undefined;
}

export function resolveGateway(option: boolean | GatewayOptions | undefined): GatewayConfig | undefined {
  if (!option) return undefined;
  const given = option === true ? {} : option;
  const stage = given.stage === undefined ? undefined : parseStage(given.stage);
  if (given.stage !== undefined && stage === undefined) {
    throw new RangeError(`gateway.stage must be a path such as "/prod", got "${given.stage}"`);
  }
  return {
    stage,
    burst: given.burst ?? 10,
    quota: given.quota,
    integrationTimeoutMs: given.integrationTimeoutMs ?? 29_000,
  };
}

/** The route path under the stage, or undefined when the path is not under it. */
export function underStage(path: string, stage: string | undefined): string | undefined {
  if (!stage) return path;
  return path.startsWith(`${stage}/`) ? path.slice(stage.length) : undefined;
}

const gatewayReply = (status: number, message: string): Reply => ({ status, body: { message } });

/** API Gateway's own answers (its documented default messages); their body is only `message`. */
export const GATEWAY_REPLIES = {
  forbidden: () => gatewayReply(403, "Forbidden"),
  missingToken: () => gatewayReply(403, "Missing Authentication Token"),
  throttled: () => gatewayReply(429, "Too Many Requests"),
  limitExceeded: () => gatewayReply(429, "Limit Exceeded"),
  timedOut: () => gatewayReply(504, "Endpoint request timed out"),
  badGateway: () => gatewayReply(502, "Internal server error"),
  unavailable: () => gatewayReply(503, "Service Unavailable"),
};
