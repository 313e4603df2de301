/**
 * One error class per outcome of an API call, so callers branch on types rather than status numbers.
 * `retryable`: trying again may succeed. `inDoubt`: the server may have processed (and charged) the
 * request although we never saw the answer, so a retry could be charged twice.
 */
export interface FluenceApiErrorInit {
  status?: number;
  body?: unknown;
  cause?: unknown;
  /** The `x-amzn-RequestId` of the answer: the id the vendor's support asks for. */
  requestId?: string | undefined;
}

interface BaseInit extends FluenceApiErrorInit {
  code: string;
  retryable: boolean;
  inDoubt: boolean;
}

export class FluenceApiError extends Error {
  readonly status: number | undefined;
  readonly body: unknown;
  readonly code: string;
  readonly retryable: boolean;
  readonly inDoubt: boolean;
  readonly requestId: string | undefined;

  constructor(message: string, init: BaseInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status;
    this.body = init.body;
    this.code = init.code;
    this.retryable = init.retryable;
    this.inDoubt = init.inDoubt;
    this.requestId = init.requestId;
  }
}

/** HTTP 401 from the service, or 403 Forbidden from API Gateway in front of it: the key was refused. */
export class AuthenticationError extends FluenceApiError {
  constructor(message: string, init: FluenceApiErrorInit = {}) {
    super(message, { status: 401, ...init, code: "AUTH_FAILED", retryable: false, inDoubt: false });
  }
}

/**
 * No such resource: API Gateway's 403 "Missing Authentication Token" (its answer for a path or method it
 * does not know), or a 404 that is not the service's own per-profile answer. Almost always a wrong base URL.
 */
export class WrongEndpointError extends FluenceApiError {
  readonly url: string | undefined;
  constructor(message: string, init: FluenceApiErrorInit & { url?: string } = {}) {
    super(message, { ...init, code: "WRONG_ENDPOINT", retryable: false, inDoubt: false });
    this.url = init.url;
  }
}

/**
 * HTTP 429 "Limit Exceeded": the usage plan's request quota for the period is spent. Waiting seconds
 * cannot help (it resets with the next period), so it is not retried; the rows are worth sending again later.
 */
export class QuotaExceededError extends FluenceApiError {
  constructor(message: string, init: FluenceApiErrorInit = {}) {
    super(message, { status: 429, ...init, code: "QUOTA_EXCEEDED", retryable: false, inDoubt: false });
  }
}

/** HTTP 403, or any body with `error_code: "ACCESS_DENIED"`: the plan cannot use this endpoint. */
export class AccessDeniedError extends FluenceApiError {
  readonly currentTier: string | undefined;
  readonly requiredTier: string | undefined;
  readonly upgradeUrl: string | undefined;
  constructor(
    message: string,
    init: FluenceApiErrorInit & { currentTier?: string; requiredTier?: string; upgradeUrl?: string } = {},
  ) {
    super(message, { status: 403, ...init, code: "ACCESS_DENIED", retryable: false, inDoubt: false });
    this.currentTier = init.currentTier;
    this.requiredTier = init.requiredTier;
    this.upgradeUrl = init.upgradeUrl;
  }
}

/** HTTP 402: the balance cannot pay for the whole request (a smaller batch may still fit). */
export class InsufficientCreditsError extends FluenceApiError {
  readonly creditsAvailable: number | undefined;
  readonly profilesRequested: number | undefined;
  readonly creditsPerProfile: number | undefined;
  constructor(
    message: string,
    init: FluenceApiErrorInit & {
      creditsAvailable?: number;
      profilesRequested?: number;
      creditsPerProfile?: number;
    } = {},
  ) {
    super(message, { status: 402, ...init, code: "INSUFFICIENT_CREDITS", retryable: false, inDoubt: false });
    this.creditsAvailable = init.creditsAvailable;
    this.profilesRequested = init.profilesRequested;
    this.creditsPerProfile = init.creditsPerProfile;
  }
}

/** HTTP 400: the request was malformed or the batch too large. */
export class BadRequestError extends FluenceApiError {
  readonly maxBatchSize: number | undefined;
  readonly profileIndex: number | undefined;
  constructor(
    message: string,
    init: FluenceApiErrorInit & { maxBatchSize?: number; profileIndex?: number } = {},
  ) {
    super(message, { status: 400, ...init, code: "BAD_REQUEST", retryable: false, inDoubt: false });
    this.maxBatchSize = init.maxBatchSize;
    this.profileIndex = init.profileIndex;
  }
}

/** HTTP 404: no matching profile (code "PROFILE_NOT_FOUND" unless the body names another). */
export class NotFoundError extends FluenceApiError {
  constructor(message: string, init: FluenceApiErrorInit & { code?: string } = {}) {
    super(message, {
      status: 404,
      ...init,
      code: init.code ?? "PROFILE_NOT_FOUND",
      retryable: false,
      inDoubt: false,
    });
  }
}

/** HTTP 409: several people match; `contexto_adicional` can tell them apart. */
export class MultipleMatchesError extends FluenceApiError {
  constructor(message: string, init: FluenceApiErrorInit = {}) {
    super(message, { status: 409, ...init, code: "MULTIPLE_MATCHES", retryable: false, inDoubt: false });
  }
}

/** HTTP 422: too little public data to analyse the profile (refunded). */
export class InsufficientDataError extends FluenceApiError {
  constructor(message: string, init: FluenceApiErrorInit = {}) {
    super(message, { status: 422, ...init, code: "INSUFFICIENT_DATA", retryable: false, inDoubt: false });
  }
}

/** HTTP 429: slow down; `retryAfterMs` is the server's own hint when it sent one. */
export class RateLimitError extends FluenceApiError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, init: FluenceApiErrorInit & { retryAfterMs?: number } = {}) {
    super(message, { status: 429, ...init, code: "RATE_LIMITED", retryable: true, inDoubt: false });
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** HTTP 5xx. A 500 is refunded; a gateway's 502/504 may hide a request the service did process. */
export class ServerError extends FluenceApiError {
  constructor(message: string, init: FluenceApiErrorInit = {}) {
    const inDoubt = init.status === 502 || init.status === 504;
    super(message, { status: 500, ...init, code: "SERVER_ERROR", retryable: true, inDoubt });
  }

  /** 502, 503, 504: the server (or the gateway in front of it) is overloaded or failing, not refunding a bug. */
  get overload(): boolean {
    return this.status === 502 || this.status === 503 || this.status === 504;
  }
}

/**
 * HTTP 504: the gateway stopped waiting (API Gateway: "Endpoint request timed out" after 29 s) while the
 * service may finish the work and charge for it. In doubt, and a sign that the batch is too slow.
 */
export class GatewayTimeoutError extends ServerError {
  constructor(message: string, init: FluenceApiErrorInit = {}) {
    super(message, { ...init, status: 504 });
  }
}

/** The exchange failed on the network. `inDoubt` is false only when the request never left this machine. */
export class ConnectionError extends FluenceApiError {
  constructor(message: string, init: FluenceApiErrorInit & { inDoubt: boolean }) {
    super(message, { ...init, code: "NETWORK_ERROR", retryable: true });
  }
}

/** No complete answer within the time limit; the server may still have done the work. */
export class TimeoutError extends FluenceApiError {
  constructor(message: string, init: FluenceApiErrorInit = {}) {
    super(message, { ...init, code: "TIMEOUT", retryable: true, inDoubt: true });
  }
}

/** A 2xx whose body is not JSON or not the expected shape: the work may have been done and charged. */
export class ProtocolError extends FluenceApiError {
  constructor(message: string, init: FluenceApiErrorInit = {}) {
    super(message, { ...init, code: "PROTOCOL_ERROR", retryable: true, inDoubt: true });
  }
}

/** Any status this client has no rule for. */
export class UnexpectedStatusError extends FluenceApiError {
  constructor(message: string, init: FluenceApiErrorInit = {}) {
    super(message, { ...init, code: "UNEXPECTED_STATUS", retryable: false, inDoubt: false });
  }
}
