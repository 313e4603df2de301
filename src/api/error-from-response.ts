import { redactKey } from "./api-key.js";
import {
  AccessDeniedError,
  AuthenticationError,
  BadRequestError,
  type FluenceApiError,
  GatewayTimeoutError,
  InsufficientCreditsError,
  InsufficientDataError,
  MultipleMatchesError,
  NotFoundError,
  QuotaExceededError,
  RateLimitError,
  ServerError,
  UnexpectedStatusError,
  WrongEndpointError,
} from "./errors.js";
import { isRecord, num, str } from "./json-values.js";
import { parseRetryAfter } from "./retry-timing.js";

type Headers = Record<string, string | string[] | undefined>;

/** What errorFromResponse knows of the request, for sentences that name the key or the URL. */
export interface ResponseContext {
  /** Lets a refusal name the key's last characters; scrubbed from any server text quoted. */
  apiKey?: string;
  /** e.g. "GET". */
  method?: string;
  /** The full URL requested. */
  url?: string;
  /** True for the single-profile endpoints, whose 404 is an answer about the person. */
  personEndpoint?: boolean;
}

const GATEWAY_MISSING_TOKEN = /^missing authentication token$/i;

/**
 * Maps a non-2xx answer to its error class. Production sits behind AWS API Gateway, which answers some
 * failures itself with a body of only `{"message": ...}` (CONTRACT.md, "The API as deployed"); those are told
 * apart from the service's documented bodies here, and nowhere else.
 */
export function errorFromResponse(
  status: number,
  body: unknown,
  headers: Headers,
  context: ResponseContext = {},
): FluenceApiError {
  const fields = isRecord(body) ? body : {};
  const said = serverText(body, context.apiKey);
  const init = { status, body, requestId: requestIdOf(headers) };
  const gatewaySays = gatewayMessage(body);
  const where = context.url ? `${context.method ?? "GET"} ${context.url}` : "this request";
  if (status === 403 && gatewaySays !== undefined && GATEWAY_MISSING_TOKEN.test(gatewaySays)) {
    return new WrongEndpointError(
      `The API answered 403 Missing Authentication Token for ${where}: API Gateway says this for a path it does not know, almost always a wrong base URL (a missing or extra stage such as /prod); check --base-url or FLUENCE_BASE_URL.`,
      { ...init, url: context.url },
    );
  }
  if (status === 403 && gatewaySays !== undefined) {
    const whose =
      context.apiKey === undefined ? "the API key" : `the key ending in ${redactKey(context.apiKey)}`;
    return new AuthenticationError(
      `The API refused ${whose} (HTTP 403 ${gatewaySays.replace(/[.!]+$/, "")}): the gateway does not know it or it is disabled; check FLUENCE_API_KEY or --api-key-file and that the key is active.`,
      init,
    );
  }
  if (status === 404 && !(context.personEndpoint && isServiceBody(fields))) {
    return new WrongEndpointError(
      `The API has no endpoint at ${where} (HTTP 404): check --base-url or FLUENCE_BASE_URL (a missing or extra path such as /prod).`,
      { ...init, url: context.url },
    );
  }
  if (status === 429 && isQuotaSpent(said, headers)) {
    return new QuotaExceededError(
      `The API key's request quota for this period is spent (HTTP 429${said ? ` ${said.replace(/[.!]+$/, "")}` : ""}); run again after it resets: only the rows not yet enriched are sent.`,
      init,
    );
  }
  if (fields.error_code === "ACCESS_DENIED" || status === 403) {
    // The plan and the upgrade URL belong in the one sentence the user sees (CONTRACT.md: "stop, show
    // tiers and upgrade URL"), wherever the error is reported.
    const current = str(fields.current_tier);
    const required = str(fields.required_tier);
    const upgradeUrl = str(fields.upgrade_url);
    const plan = current ? `Your plan (${current})` : "Your plan";
    const upgrade = [
      required ? `a ${required} plan is required` : "",
      upgradeUrl ? `upgrade at ${upgradeUrl}` : "",
    ]
      .filter(Boolean)
      .join("; ");
    const message = sentence(`${plan} cannot use this endpoint (HTTP ${status})`, said);
    return new AccessDeniedError(upgrade ? `${message.slice(0, -1)}; ${upgrade}.` : message, {
      ...init,
      currentTier: current,
      requiredTier: required,
      upgradeUrl,
    });
  }
  switch (status) {
    case 400:
      return new BadRequestError(sentence("The API refused the request as invalid (HTTP 400)", said), {
        ...init,
        maxBatchSize: num(fields.max_batch_size),
        profileIndex: num(fields.profile_index),
      });
    case 401: {
      const whose =
        context.apiKey === undefined ? "the API key" : `the key ending in ${redactKey(context.apiKey)}`;
      return new AuthenticationError(
        `The API rejected ${whose} (HTTP 401); check FLUENCE_API_KEY or --api-key-file.`,
        init,
      );
    }
    case 402:
      return new InsufficientCreditsError(sentence("Not enough credits for this request (HTTP 402)", said), {
        ...init,
        creditsAvailable: num(fields.credits_available),
        profilesRequested: num(fields.profiles_requested),
        creditsPerProfile: num(fields.credits_per_profile),
      });
    case 404:
      return new NotFoundError(sentence("The API found no matching profile (HTTP 404)", said), {
        ...init,
        code: str(fields.error_code),
      });
    case 409:
      return new MultipleMatchesError(
        sentence(
          "Several people match this profile (HTTP 409); add contexto_adicional to tell them apart",
          said,
        ),
        init,
      );
    case 422:
      return new InsufficientDataError(
        sentence("The API found too little data to analyse this profile (HTTP 422)", said),
        init,
      );
    case 429:
      return new RateLimitError(sentence("The API rate limit was exceeded (HTTP 429)", said), {
        ...init,
        retryAfterMs: parseRetryAfter(headers),
      });
  }
  if (status === 504) {
    return new GatewayTimeoutError(
      sentence(
        "The API gateway timed out waiting for the service (HTTP 504); it may still have done the work",
        said,
      ),
      init,
    );
  }
  if (status >= 500)
    return new ServerError(sentence(`The API had a server error (HTTP ${status})`, said), init);
  return new UnexpectedStatusError(
    sentence(`The API answered with unexpected HTTP status ${status}`, said),
    init,
  );
}

/** API Gateway's own answers carry only `message`; the service's carry `error` and often `error_code`. */
function gatewayMessage(body: unknown): string | undefined {
  if (!isRecord(body) || body.error !== undefined || body.error_code !== undefined) return undefined;
  return str(body.message)?.trim();
}

/** The service answers in its own shape (`error`, often `error_code`); a gateway or a router does not. */
function isServiceBody(fields: Record<string, unknown>): boolean {
  return str(fields.error_code) !== undefined || str(fields.error) !== undefined;
}

/**
 * A 429 is a spent quota, not throttling, when it speaks of a quota, or says "Limit Exceeded" (API Gateway's
 * words for a usage plan's quota) rather than naming a rate, and gives no Retry-After of less than an hour:
 * a throttle comes back in seconds, a monthly quota does not.
 */
function isQuotaSpent(said: string | undefined, headers: Headers): boolean {
  if (!said) return false;
  const hint = parseRetryAfter(headers);
  if (hint !== undefined && hint < 3_600_000) return false;
  return /\bquota\b/i.test(said) || (/\blimit exceeded\b/i.test(said) && !/\brate\b/i.test(said));
}

/** The id API Gateway stamps on every answer (`x-amzn-RequestId`), for support. */
export function requestIdOf(headers: Headers): string | undefined {
  for (const name of ["x-amzn-requestid", "x-amz-apigw-id", "x-request-id"]) {
    for (const [key, value] of Object.entries(headers)) {
      if (key.toLowerCase() !== name) continue;
      const id = Array.isArray(value) ? value[0] : value;
      if (id?.trim()) return id.trim();
    }
  }
  return undefined;
}

/** The server's own words, on one line: `error` and `message` when JSON, else a short non-HTML text body. */
function serverText(body: unknown, apiKey: string | undefined): string | undefined {
  let text: string | undefined;
  if (isRecord(body)) {
    const parts = [str(body.error), str(body.message)].filter((part): part is string => !!part?.trim());
    text = parts.length === 2 && parts[0] === parts[1] ? parts[0] : parts.join(": ");
  } else if (typeof body === "string" && !body.trimStart().startsWith("<")) {
    text = body;
  }
  text = text?.replace(/\s+/g, " ").trim();
  if (!text) return undefined;
  if (apiKey) text = text.split(apiKey).join(redactKey(apiKey));
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

function sentence(prefix: string, said: string | undefined): string {
  return said === undefined ? `${prefix}.` : `${prefix}: ${said.replace(/[.!]+$/, "")}.`;
}
