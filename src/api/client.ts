import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { errorFromResponse, requestIdOf } from "./error-from-response.js";
import { AuthenticationError, ProtocolError, WrongEndpointError } from "./errors.js";
import { createHttpTransport, type HttpAnswer } from "./http-transport.js";
import { isRecord } from "./json-values.js";
import { summarizeTiers } from "./tiers-shape.js";
import type {
  Analise,
  BatchOutcome,
  BillingInfo,
  CreditsInfo,
  ProfileInput,
  ServiceState,
  TiersInfo,
} from "./types.js";

export interface FluenceClientOptions {
  /** Base URL, already passed through checkBaseUrl. */
  baseUrl: string;
  /** API key, already passed through validateApiKey. */
  apiKey: string;
  /** Limit for one whole request (headers and body), from the moment it is on the wire. Default 60000 ms. */
  timeoutMs?: number;
  /**
   * Keep-alive pool size. Default null: no cap, because the send loop's concurrency limit is what bounds
   * requests in flight, and a smaller pool would silently queue them (the old default of 16 capped a run
   * that needed 33 in flight at 0.6 of the plan).
   */
  connections?: number | null;
  /** Default "fluence/<package version>". */
  userAgent?: string;
}

export interface FluenceClient {
  /**
   * GET /health. Throws only on network failures, a refused key (401, or 403 Forbidden from the gateway)
   * and a wrong base URL; any other status is reported as unhealthy.
   */
  health(): Promise<ServiceState>;
  /** GET /status, same rules as health(). */
  status(): Promise<ServiceState>;
  /** GET /creditos; typed errors for non-2xx. */
  credits(): Promise<CreditsInfo>;
  /** GET /tiers-disponiveis; a bare array is wrapped, unknown fields kept. */
  tiers(): Promise<TiersInfo>;
  /** POST /crm_basico, or /crm (2 credits) with `complete: true`. */
  lookup(
    profile: ProfileInput,
    options?: { complete?: boolean; signal?: AbortSignal },
  ): Promise<{ analise: Analise; billing: BillingInfo | undefined; raw: unknown }>;
  /**
   * POST /crm_basico_batch, or /crm_batch (the complete analysis, 2 credits a success) with `complete`;
   * one result per profile in request order, typed errors for non-2xx.
   */
  batch(
    profiles: ProfileInput[],
    options?: { complete?: boolean; signal?: AbortSignal },
  ): Promise<BatchOutcome>;
  /** Closes the keep-alive pool. */
  close(): Promise<void>;
  /**
   * Names the key and base URL without revealing the key (a hash of both): runs that share it share the
   * key's rate through the store. A client without one paces alone.
   */
  readonly keyId?: string;
}

// Words a status body uses when the service is not fully up; compared case-insensitively.
const UNHEALTHY_STATUS = new Set([
  "degraded",
  "down",
  "error",
  "fail",
  "failed",
  "failing",
  "unhealthy",
  "unavailable",
  "maintenance",
  "outage",
  "critical",
]);

export function createClient(options: FluenceClientOptions): FluenceClient {
  const { apiKey } = options;
  const transport = createHttpTransport({
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs ?? 60_000,
    connections: options.connections === undefined ? null : options.connections,
    headers: {
      "x-api-key": apiKey,
      "content-type": "application/json",
      accept: "application/json",
      "user-agent": options.userAgent ?? `fluence/${packageVersion()}`,
    },
  });

  /** Throws the typed error for a non-2xx answer and an AccessDeniedError hidden in a 2xx body. */
  function ensureOk(answer: HttpAnswer, method: string, personEndpoint = false): void {
    const deniedInBody = isRecord(answer.body) && answer.body.error_code === "ACCESS_DENIED";
    if (answer.status < 200 || answer.status >= 300 || deniedInBody) {
      throw errorFromResponse(answer.status, answer.body, answer.headers, {
        apiKey,
        method,
        url: answer.url,
        personEndpoint,
      });
    }
  }

  function jsonObject(answer: HttpAnswer, what: string): Record<string, unknown> {
    if (!answer.isJson) {
      throw new ProtocolError(`The API answered ${what} with a body that is not JSON.`, {
        status: answer.status,
        body: answer.body,
      });
    }
    if (!isRecord(answer.body)) {
      throw new ProtocolError(`The API answered ${what} with JSON that is not an object.`, {
        status: answer.status,
        body: answer.body,
      });
    }
    return answer.body;
  }

  async function serviceState(path: string): Promise<ServiceState> {
    const answer = await transport.send("GET", path);
    if (answer.status === 401 || answer.status === 403 || answer.status === 404) {
      const error = errorFromResponse(answer.status, answer.body, answer.headers, {
        apiKey,
        method: "GET",
        url: answer.url,
      });
      // An unhealthy service answers 5xx; a refused key or a wrong base URL is not a health state.
      if (error instanceof AuthenticationError || error instanceof WrongEndpointError) throw error;
    }
    const ok = answer.status >= 200 && answer.status < 300;
    return { httpStatus: answer.status, healthy: ok && bodySaysHealthy(answer.body), body: answer.body };
  }

  return {
    health: () => serviceState("/health"),
    status: () => serviceState("/status"),

    async credits() {
      const answer = await transport.send("GET", "/creditos");
      ensureOk(answer, "GET");
      return jsonObject(answer, "/creditos") as CreditsInfo;
    },

    async tiers() {
      const answer = await transport.send("GET", "/tiers-disponiveis");
      ensureOk(answer, "GET");
      const tiers = answer.isJson ? summarizeTiers(answer.body) : undefined;
      if (tiers === undefined) {
        throw new ProtocolError("The API answered /tiers-disponiveis with a body that lists no tiers.", {
          status: answer.status,
          body: answer.body,
        });
      }
      return tiers;
    },

    async lookup(profile, lookupOptions = {}) {
      const path = lookupOptions.complete ? "/crm" : "/crm_basico";
      const answer = await transport.send("POST", path, cleanProfile(profile), lookupOptions.signal);
      ensureOk(answer, "POST", true);
      const body = jsonObject(answer, path);
      if (!isRecord(body.analise)) {
        throw new ProtocolError(`The API answered ${path} without an analysis; it may have been charged.`, {
          status: answer.status,
          body,
        });
      }
      const billing = isRecord(body.billing_info) ? (body.billing_info as BillingInfo) : undefined;
      return { analise: body.analise as Analise, billing, raw: body };
    },

    async batch(profiles, batchOptions = {}) {
      const path = batchOptions.complete ? "/crm_batch" : "/crm_basico_batch";
      const payload = { profiles: profiles.map(cleanProfile) };
      const answer = await transport.send("POST", path, payload, batchOptions.signal);
      ensureOk(answer, "POST");
      const body = jsonObject(answer, path);
      // zod (the envelope's check) loads with the first batch, not for `fluence credits`.
      const { mapBatchResponse } = await import("./batch-results.js");
      const { results, billing } = mapBatchResponse(body, profiles.length);
      return {
        results,
        billing,
        latencyMs: answer.latencyMs,
        requestId: requestIdOf(answer.headers),
        raw: body,
      };
    },

    close: () => transport.close(),
    keyId: keyIdOf(apiKey, options.baseUrl),
  };
}

/** 128 bits of SHA-256 over the key and the base URL: unique per key and API, and says nothing of the key. */
export function keyIdOf(apiKey: string, baseUrl: string): string {
  return createHash("sha256").update(`fluence-key\0${apiKey}\0${baseUrl}`).digest("hex").slice(0, 32);
}

function bodySaysHealthy(body: unknown): boolean {
  if (!isRecord(body)) return true;
  if (body.healthy === false || body.ok === false) return false;
  return typeof body.status !== "string" || !UNHEALTHY_STATUS.has(body.status.trim().toLowerCase());
}

/** The documented input fields only; an empty `contexto_adicional` is left out. */
function cleanProfile(profile: ProfileInput): ProfileInput {
  const { primeiro_nome, ultimo_nome, empresa, contexto_adicional } = profile;
  const context = contexto_adicional?.trim();
  return context
    ? { primeiro_nome, ultimo_nome, empresa, contexto_adicional }
    : { primeiro_nome, ultimo_nome, empresa };
}

function packageVersion(): string {
  try {
    // ../../package.json from both src/api/ and dist/api/.
    const pkg = createRequire(import.meta.url)("../../package.json") as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}
