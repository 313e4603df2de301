import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { ConnectionError, TimeoutError } from "./errors.js";

/** A complete HTTP answer: the body is always read to the end so the socket goes back to the pool. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
  isJson: boolean;
  latencyMs: number;
}

export interface HttpTransport {
  send(method: "GET" | "POST", path: string, payload?: unknown, signal?: AbortSignal): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export interface HttpTransportOptions {
  baseUrl: string;
  headers: Record<string, string>;
  timeoutMs: number;
  connections: number;
}

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

export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const base = new URL(options.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  const pool = new Pool(base.origin, {
    connections: options.connections,
    connectTimeout: Math.min(options.timeoutMs, 10_000),
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
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
    const timer = setTimeout(() => controller.abort(timedOut), options.timeoutMs);
    const started = performance.now();
    try {
      const response = await pool.request({
        method,
        path: `${prefix}${path}`,
        headers: options.headers,
        body: payload === undefined ? null : JSON.stringify(payload),
        signal: controller.signal,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      const text = await response.body.text();
      const latencyMs = performance.now() - started;
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
