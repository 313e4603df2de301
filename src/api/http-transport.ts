import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import type { Dispatcher, Pool } from "undici";
import { ConnectionError, TimeoutError } from "./errors.js";

/** A complete HTTP answer: the body is always read to the end so the socket goes back to the pool. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
  isJson: boolean;
  /** From the moment the request was written to a socket to the end of the body. */
  latencyMs: number;
  /** The full URL requested, for messages. */
  url: string;
}

export interface HttpTransport {
  send(method: "GET" | "POST", path: string, payload?: unknown, signal?: AbortSignal): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export interface HttpTransportOptions {
  baseUrl: string;
  headers: Record<string, string>;
  /** Limit for one exchange, counted from the moment the request is on the wire. */
  timeoutMs: number;
  /**
   * Keep-alive sockets at most; null for no limit. The send loop's concurrency limit is what bounds the
   * requests in flight: a pool cap below it would queue requests inside undici, unseen by that limit.
   */
  connections: number | null;
}

/** What a request carries through undici's `opaque` so the interceptor can report when it hit the wire. */
interface WireMark {
  onWire(): void;
}

/**
 * An undici interceptor that tells each request when undici writes it to a socket (onRequestStart runs
 * right before the headers are written), so latency samples and the deadline never include time spent
 * waiting for a connection.
 */
const markOnWire: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
  const mark = ((opts as { opaque?: unknown }).opaque as Partial<WireMark> | null | undefined)?.onWire;
  if (typeof mark !== "function") return dispatch(opts, handler);
  return dispatch(opts, {
    onRequestStart: (controller, context) => {
      mark();
      handler.onRequestStart?.(controller, context);
    },
    onRequestUpgrade: (controller, statusCode, headers, socket) =>
      handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
    onResponseStart: (controller, statusCode, headers, statusMessage) =>
      handler.onResponseStart?.(controller, statusCode, headers, statusMessage),
    onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
    onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
    onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
  });
};

// Failures that happen before a byte of the request can reach the server: nothing can have been charged.
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);
// Misuse of the client (closed pool, bad argument): a bug, not a network condition.
const BUG_CODES = new Set(["UND_ERR_DESTROYED", "UND_ERR_CLOSED", "UND_ERR_INVALID_ARG"]);

/**
 * undici's Pool and its request API alone. The package's index loads every part of undici (fetch,
 * WebSocket, the cache, the mock agent...): 120 ms on Node 20 before the first request, where these take
 * 50 ms, and every command that talks to the API pays it. The index's own wiring is repeated: the request
 * API is put on the dispatchers' prototype. undici has no `exports` map, so its files are public paths;
 * should a later 7.x move them, the index is loaded instead.
 */
function loadPool(): typeof Pool {
  const require = createRequire(import.meta.url);
  try {
    const pool = require("undici/lib/dispatcher/pool.js") as typeof Pool;
    const dispatcher = require("undici/lib/dispatcher/dispatcher.js") as { prototype: object };
    if (!("request" in dispatcher.prototype)) {
      Object.assign(dispatcher.prototype, require("undici/lib/api/index.js") as object);
    }
    return pool;
  } catch {
    return (require("undici") as typeof import("undici")).Pool;
  }
}

export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const base = new URL(options.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  const PoolClass = loadPool();
  const pool = new PoolClass(base.origin, {
    connections: options.connections,
    connectTimeout: Math.min(options.timeoutMs, 10_000),
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const dispatcher = pool.compose(markOnWire);
  const timedOut = Symbol("timed out");

  async function send(
    method: "GET" | "POST",
    path: string,
    payload?: unknown,
    signal?: AbortSignal,
  ): Promise<HttpAnswer> {
    signal?.throwIfAborted();
    // One controller for both the caller's abort and our overall deadline (headers + body together).
    const controller = new AbortController();
    const onCallerAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onCallerAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    let onWireAt = performance.now();
    // The deadline starts when the request is written, not while it waits for a socket (connecting has
    // its own connectTimeout); a retried write on a fresh socket restarts both.
    const wire: WireMark = {
      onWire: () => {
        onWireAt = performance.now();
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(timedOut), options.timeoutMs);
      },
    };
    const url = `${base.origin}${prefix}${path}`;
    try {
      const response = await dispatcher.request({
        method,
        path: `${prefix}${path}`,
        headers: options.headers,
        body: payload === undefined ? null : JSON.stringify(payload),
        signal: controller.signal,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        opaque: wire,
      });
      const text = await response.body.text();
      const latencyMs = performance.now() - onWireAt;
      // undici frees the connection just after the body ends; without this turn of the event loop a
      // caller's next request finds it still busy and the pool opens a second socket.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const parsed = parseJson(text);
      return {
        status: response.statusCode,
        headers: response.headers,
        body: parsed.ok ? parsed.value : text,
        isJson: parsed.ok,
        latencyMs,
        url,
      };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (controller.signal.aborted && controller.signal.reason === timedOut) {
        throw new TimeoutError(`The Fluence API did not answer within ${options.timeoutMs} ms.`, {
          cause: error,
        });
      }
      throw networkError(error, options.timeoutMs);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onCallerAbort);
    }
  }

  return { send, close: () => pool.close() };
}

function networkError(error: unknown, timeoutMs: number): Error {
  const codes = errorCodes(error);
  if (codes.some((code) => BUG_CODES.has(code))) return error as Error;
  if (codes.some((code) => TIMEOUT_CODES.has(code))) {
    return new TimeoutError(`The Fluence API did not answer within ${timeoutMs} ms.`, { cause: error });
  }
  const notSent = codes.length > 0 && codes.every((code) => NOT_SENT_CODES.has(code));
  const what = codes[0] ?? "unknown failure";
  const detail = error instanceof Error && error.message ? `: ${error.message}` : "";
  return new ConnectionError(
    notSent
      ? `Could not connect to the Fluence API (${what}${detail}).`
      : `The connection to the Fluence API failed mid-request (${what}${detail}); the request may have been processed.`,
    { cause: error, inDoubt: !notSent },
  );
}

/** Error codes of the error and, for a failed multi-address connect, of each attempt it aggregates. */
function errorCodes(error: unknown): string[] {
  const found: string[] = [];
  const visit = (value: unknown, depth: number) => {
    if (typeof value !== "object" || value === null || depth > 3) return;
    const { code, errors, cause } = value as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === "string") found.push(code);
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
    if (typeof code !== "string") visit(cause, depth + 1);
  };
  visit(error, 0);
  return found;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}
