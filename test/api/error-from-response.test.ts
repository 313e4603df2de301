import { describe, expect, it } from "vitest";
import {
  AccessDeniedError,
  AuthenticationError,
  BadRequestError,
  errorFromResponse,
  FluenceApiError,
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
} from "../../src/api/index.js";
import { TEST_KEY } from "./fake-api-server.js";

describe("errorFromResponse", () => {
  it.each([
    [400, BadRequestError, "BAD_REQUEST", false, false],
    [401, AuthenticationError, "AUTH_FAILED", false, false],
    [402, InsufficientCreditsError, "INSUFFICIENT_CREDITS", false, false],
    [403, AccessDeniedError, "ACCESS_DENIED", false, false],
    [404, WrongEndpointError, "WRONG_ENDPOINT", false, false],
    [409, MultipleMatchesError, "MULTIPLE_MATCHES", false, false],
    [422, InsufficientDataError, "INSUFFICIENT_DATA", false, false],
    [429, RateLimitError, "RATE_LIMITED", true, false],
    [500, ServerError, "SERVER_ERROR", true, false],
    [502, ServerError, "SERVER_ERROR", true, true],
    [503, ServerError, "SERVER_ERROR", true, false],
    [504, GatewayTimeoutError, "SERVER_ERROR", true, true],
    [418, UnexpectedStatusError, "UNEXPECTED_STATUS", false, false],
    [302, UnexpectedStatusError, "UNEXPECTED_STATUS", false, false],
  ])("HTTP %i -> %o", (status, type, code, retryable, inDoubt) => {
    const error = errorFromResponse(status, {}, {});
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(FluenceApiError);
    expect(error).toMatchObject({ status, code, retryable, inDoubt, name: type.name });
    expect(error.message).toMatch(/^[A-Z].*\.$/);
  });

  it("carries the 402 fields and the server's words", () => {
    const body = {
      error: "Insufficient credits",
      message: "Batch requires 10 credits but you have 5",
      profiles_requested: 10,
      credits_per_profile: 1,
      credits_available: 5,
    };
    const error = errorFromResponse(402, body, {}) as InsufficientCreditsError;
    expect(error).toMatchObject({ creditsAvailable: 5, profilesRequested: 10, creditsPerProfile: 1, body });
    expect(error.message).toBe(
      "Not enough credits for this request (HTTP 402): Insufficient credits: Batch requires 10 credits but you have 5.",
    );
  });

  it("carries the 403 tier fields", () => {
    const body = {
      error:
        "Access denied. Your professional tier API key cannot access /crm_basico. Upgrade to CRM tier for access.",
      error_code: "ACCESS_DENIED",
      current_tier: "platform_professional",
      required_tier: "crm_business",
      upgrade_url: "https://tryfluence.tech/upgrade",
    };
    const error = errorFromResponse(403, body, {}) as AccessDeniedError;
    expect(error).toMatchObject({
      code: "ACCESS_DENIED",
      currentTier: "platform_professional",
      requiredTier: "crm_business",
      upgradeUrl: "https://tryfluence.tech/upgrade",
    });
    expect(error.message).toBe(
      "Your plan (platform_professional) cannot use this endpoint (HTTP 403): Access denied. Your professional tier API key cannot access /crm_basico. Upgrade to CRM tier for access; a crm_business plan is required; upgrade at https://tryfluence.tech/upgrade.",
    );
  });

  it("treats error_code ACCESS_DENIED as access denied whatever the status", () => {
    const error = errorFromResponse(400, { error: "Access denied.", error_code: "ACCESS_DENIED" }, {});
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect(error.status).toBe(400);
    expect((error as AccessDeniedError).upgradeUrl).toBeUndefined();
  });

  it("carries the 400 batch limit", () => {
    const body = {
      error: "Batch size exceeds maximum",
      message: "Maximum 10 profiles per batch, received 15",
      max_batch_size: 10,
      profiles_received: 15,
    };
    const error = errorFromResponse(400, body, {}) as BadRequestError;
    expect(error.maxBatchSize).toBe(10);
    expect(error.profileIndex).toBeUndefined();
    expect(error.message).toContain("Maximum 10 profiles per batch, received 15");
  });

  it("reads a 404 from a single-profile endpoint in the service's shape as an answer about the person", () => {
    const person = { personEndpoint: true };
    expect(errorFromResponse(404, { error_code: "COMPANY_NOT_FOUND" }, {}, person).code).toBe(
      "COMPANY_NOT_FOUND",
    );
    expect(errorFromResponse(404, { error: "Profile not found" }, {}, person)).toBeInstanceOf(NotFoundError);
    // The same 404 from anywhere else, or not in the service's shape, is a wrong URL.
    expect(errorFromResponse(404, { error_code: "X" }, {})).toBeInstanceOf(WrongEndpointError);
    expect(errorFromResponse(404, "Not Found", {}, person)).toBeInstanceOf(WrongEndpointError);
    expect(errorFromResponse(404, { message: "Not Found" }, {}, person)).toBeInstanceOf(WrongEndpointError);
  });

  it("reads Retry-After on a 429", () => {
    expect((errorFromResponse(429, {}, { "retry-after": "12" }) as RateLimitError).retryAfterMs).toBe(12_000);
    expect((errorFromResponse(429, {}, {}) as RateLimitError).retryAfterMs).toBeUndefined();
  });

  it("names the key by its last 4 characters on a 401 and never shows it", () => {
    const error = errorFromResponse(401, { error: `Invalid key ${TEST_KEY}` }, {}, { apiKey: TEST_KEY });
    expect(error.message).toBe(
      "The API rejected the key ending in …c5f3 (HTTP 401); check FLUENCE_API_KEY or --api-key-file.",
    );
  });

  it("scrubs the key from any quoted server text", () => {
    const error = errorFromResponse(
      500,
      { error: `crash while handling ${TEST_KEY}` },
      {},
      { apiKey: TEST_KEY },
    );
    expect(error.message).not.toContain(TEST_KEY);
    expect(error.message).toContain("…c5f3");
  });

  it("quotes a short plain-text body but not an HTML page", () => {
    expect(errorFromResponse(503, "upstream busy\n", {}).message).toBe(
      "The API had a server error (HTTP 503): upstream busy.",
    );
    expect(errorFromResponse(502, "<html><body>Bad gateway</body></html>", {}).message).toBe(
      "The API had a server error (HTTP 502).",
    );
  });
});

describe("errorFromResponse: API Gateway's own answers", () => {
  const url = { apiKey: TEST_KEY, method: "GET", url: "https://api.example/creditos" };

  it("403 Forbidden without an error_code is the key refused, never 'your plan'", () => {
    const error = errorFromResponse(403, { message: "Forbidden" }, {}, url);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ status: 403, code: "AUTH_FAILED", retryable: false });
    expect(error.message).toBe(
      "The API refused the key ending in …c5f3 (HTTP 403 Forbidden): the gateway does not know it or it is disabled; check FLUENCE_API_KEY or --api-key-file and that the key is active.",
    );
    expect(error.message).not.toMatch(/plan/i);
    expect(error.message).not.toContain(TEST_KEY);
  });

  it("403 Missing Authentication Token names the URL tried and the likely wrong stage", () => {
    const error = errorFromResponse(403, { message: "Missing Authentication Token" }, {}, url);
    expect(error).toBeInstanceOf(WrongEndpointError);
    expect((error as WrongEndpointError).url).toBe("https://api.example/creditos");
    expect(error.message).toContain("GET https://api.example/creditos");
    expect(error.message).toMatch(/base URL .*\/prod.*--base-url/);
  });

  it("a 403 in the service's shape stays access denied", () => {
    const error = errorFromResponse(
      403,
      { error: "Access denied. Upgrade to CRM tier for access." },
      {},
      url,
    );
    expect(error).toBeInstanceOf(AccessDeniedError);
  });

  it("429 Limit Exceeded is a spent quota; Too Many Requests and a rate limit with Retry-After are throttling", () => {
    const quota = errorFromResponse(429, { message: "Limit Exceeded" }, {}, url);
    expect(quota).toBeInstanceOf(QuotaExceededError);
    expect(quota).toMatchObject({ code: "QUOTA_EXCEEDED", retryable: false });
    expect(quota.message).toMatch(/quota for this period is spent.*run again after it resets/);
    expect(errorFromResponse(429, { error: "Monthly quota reached" }, {})).toBeInstanceOf(QuotaExceededError);
    expect(errorFromResponse(429, { message: "Too Many Requests" }, {})).toBeInstanceOf(RateLimitError);
    const docs = { error: "Rate limit exceeded", message: "Limit of 100 requests per 60 s reached" };
    expect(errorFromResponse(429, docs, { "retry-after": "5" })).toBeInstanceOf(RateLimitError);
    // A quota word with a short Retry-After is a throttle after all: it comes back in seconds.
    expect(errorFromResponse(429, { message: "Limit Exceeded" }, { "retry-after": "2" })).toBeInstanceOf(
      RateLimitError,
    );
  });

  it("504 Endpoint request timed out is in doubt and marks a gateway timeout", () => {
    const error = errorFromResponse(504, { message: "Endpoint request timed out" }, {});
    expect(error).toBeInstanceOf(GatewayTimeoutError);
    expect(error).toMatchObject({ status: 504, inDoubt: true, retryable: true, overload: true });
  });

  it("keeps the x-amzn-RequestId of any failed answer", () => {
    const headers = { "x-amzn-requestid": "8f1c2d3e-0000-4000-8000-123456789abc" };
    expect(errorFromResponse(503, { message: "Service Unavailable" }, headers).requestId).toBe(
      "8f1c2d3e-0000-4000-8000-123456789abc",
    );
    expect(errorFromResponse(403, { message: "Forbidden" }, { "X-Amzn-RequestId": "abc" }).requestId).toBe(
      "abc",
    );
    expect(errorFromResponse(500, {}, {}).requestId).toBeUndefined();
  });
});
