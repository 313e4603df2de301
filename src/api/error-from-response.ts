import { redactKey } from "./api-key.js";
import {
  AccessDeniedError,
  AuthenticationError,
  BadRequestError,
  type FluenceApiError,
  InsufficientCreditsError,
  InsufficientDataError,
  MultipleMatchesError,
  NotFoundError,
  RateLimitError,
  ServerError,
  UnexpectedStatusError,
} from "./errors.js";
import { isRecord, num, str } from "./json-values.js";
import { parseRetryAfter } from "./retry-timing.js";

type Headers = Record<string, string | string[] | undefined>;

/**
 * Maps a non-2xx answer to its error class. `context.apiKey`, when given, lets the 401 message name the
 * key's last characters and is scrubbed from any server text quoted in a message.
 */
export function errorFromResponse(
  status: number,
  body: unknown,
  headers: Headers,
  context: { apiKey?: string } = {},
): FluenceApiError {
  const fields = isRecord(body) ? body : {};
  const said = serverText(body, context.apiKey);
  const init = { status, body };
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
  if (status >= 500)
    return new ServerError(sentence(`The API had a server error (HTTP ${status})`, said), init);
  return new UnexpectedStatusError(
    sentence(`The API answered with unexpected HTTP status ${status}`, said),
    init,
  );
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
