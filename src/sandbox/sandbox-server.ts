import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { handleBatch } from "./sandbox-batch-endpoint.js";
import { createFaultPicker } from "./sandbox-faults.js";
import { BodyTooLarge, RequestAbandoned, readBody, truncateJson, writeJson } from "./sandbox-http.js";
import { createLatencyPicker } from "./sandbox-latency.js";
import { Ledger } from "./sandbox-ledger.js";
import { handleSingle, type PaidContext, type Reply } from "./sandbox-paid-endpoints.js";
import { accessDeniedBody, type CrmEndpoint, canCall, planForKey, SANDBOX_KEYS } from "./sandbox-plans.js";
import { SlidingWindowLimiter } from "./sandbox-rate-limit.js";
import { StatsRecorder } from "./sandbox-stats.js";
import type { SandboxHandle, SandboxOptions } from "./sandbox-types.js";
import { handleUtility, type UtilityPath } from "./sandbox-utility-endpoints.js";
import { isPlainObject, parseJson } from "./sandbox-validate.js";

const BODY_LIMIT_BYTES = 1024 * 1024;
type Endpoint =
  | { kind: "utility"; path: UtilityPath }
  | { kind: "paid"; path: CrmEndpoint; batch: boolean; complete: boolean };
const ROUTES: Record<string, Endpoint> = {
  "GET /health": { kind: "utility", path: "/health" },
  "GET /status": { kind: "utility", path: "/status" },
  "GET /creditos": { kind: "utility", path: "/creditos" },
  "GET /tiers-disponiveis": { kind: "utility", path: "/tiers-disponiveis" },
  "POST /crm_basico": { kind: "paid", path: "/crm_basico", batch: false, complete: false },
  "POST /crm": { kind: "paid", path: "/crm", batch: false, complete: true },
  "POST /crm_basico_batch": { kind: "paid", path: "/crm_basico_batch", batch: true, complete: false },
  "POST /crm_batch": { kind: "paid", path: "/crm_batch", batch: true, complete: true },
};

/** A reply plus what the fault injector wants done with it. */
type Outcome = Reply & { fault?: "drop" | "malformed" };

function json(status: number, body: unknown, headers?: Record<string, string>): Outcome {
  return headers ? { status, body, headers } : { status, body };
}

/** Starts a faithful local simulation of the Fluence API (see shared/api/CONTRACT.md). */
export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const rateLimit = options.rateLimit ?? 100;
  const rateWindowMs = options.rateWindowMs ?? 60_000;
  const stats = new StatsRecorder();
  const ledger = new Ledger(options.credits);
  const limiter = new SlidingWindowLimiter(rateLimit, rateWindowMs);
  const pickFault = createFaultPicker(options.faults, options.seed ?? 1);
  const pickLatency = createLatencyPicker(options, options.seed ?? 1);
  const startedAt = Date.now();
  let unhealthy = options.unhealthy ?? false;
  const sockets = new Set<Socket>();
  const waits = new Set<{ timer: NodeJS.Timeout; reject: (error: Error) => void }>();

  // Latency timers are tracked so close() can cancel them instead of leaving requests hanging.
  const wait = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      if (ms <= 0) return resolve();
      const entry = {
        timer: setTimeout(() => {
          waits.delete(entry);
          resolve();
        }, ms),
        reject,
      };
      waits.add(entry);
    });

  async function dispatch(
    req: IncomingMessage,
    path: string,
    raw: string,
    arrived: number,
  ): Promise<Outcome> {
    const method = req.method ?? "GET";
    if (method === "GET" && path === "/__sandbox/stats") return json(200, stats.snapshot());
    if (method === "POST" && path === "/__sandbox/reset") {
      stats.reset();
      return json(200, { ok: true });
    }
    const endpoint = ROUTES[`${method} ${path}`];
    if (!endpoint) return json(404, { error: "Not found", message: `No route for ${method} ${path}` });

    const header = req.headers["x-api-key"];
    const key = Array.isArray(header) ? header[0] : header;
    const plan = planForKey(key);
    if (!key || !plan) {
      return json(401, { error: "Unauthorized", message: "Invalid API key provided in X-API-Key header" });
    }
    const rate = limiter.take(key);
    if (!rate.ok) {
      stats.data.rateLimited += 1;
      const message = `Limit of ${rateLimit} requests per ${rateWindowMs / 1000} s reached; retry in ${rate.retryAfterSeconds} s.`;
      return json(
        429,
        { error: "Rate limit exceeded", message },
        { "retry-after": String(rate.retryAfterSeconds) },
      );
    }
    if (endpoint.kind === "utility") {
      const uptimeSeconds = Math.floor((Date.now() - startedAt) / 1000);
      return handleUtility(endpoint.path, { key, plan, ledger, unhealthy, uptimeSeconds });
    }
    if (!canCall(plan, endpoint.path)) return json(403, accessDeniedBody(plan, endpoint.path));

    const fault = pickFault();
    const parsed = parseJson(raw);
    const { batch, complete } = endpoint;
    const profiles = batch && parsed.ok && isPlainObject(parsed.value) ? parsed.value.profiles : undefined;
    const count = Array.isArray(profiles) ? profiles.length : 1;
    await wait(pickLatency(count));

    if (fault === "error500") {
      stats.data.faultsInjected.error500 += 1;
      return json(500, { error: "Internal server error", message: "Injected fault: nothing was charged" });
    }
    if (fault === "error429") {
      stats.data.faultsInjected.error429 += 1;
      limiter.giveBack(key, rate.acceptedAt);
      return json(
        429,
        { error: "Rate limit exceeded", message: "Too many requests; retry in 1 s." },
        { "retry-after": "1" },
      );
    }
    const ctx: PaidContext = { key, plan, ledger, stats, elapsedMs: () => performance.now() - arrived };
    const reply: Outcome = batch ? handleBatch(ctx, parsed, complete) : handleSingle(ctx, parsed, complete);
    if (fault) {
      stats.data.faultsInjected[fault] += 1;
      reply.fault = fault;
    }
    return reply;
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = performance.now();
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", "http://sandbox.invalid").pathname;
    if (!path.startsWith("/__sandbox/")) stats.request(`${method} ${path}`);
    stats.enter();
    res.once("close", () => stats.leave());
    const log = (status: string) =>
      options.log?.(`${method} ${path} ${status} ${Math.round(performance.now() - arrived)}ms`);
    let outcome: Outcome;
    try {
      outcome = await dispatch(req, path, await readBody(req, BODY_LIMIT_BYTES), arrived);
    } catch (error) {
      if (error instanceof RequestAbandoned) {
        res.destroy();
        log("abandoned");
        return;
      }
      outcome =
        error instanceof BodyTooLarge
          ? json(413, { error: "Payload too large", message: `Body exceeds ${BODY_LIMIT_BYTES} bytes` })
          : json(500, {
              error: "Internal server error",
              message: error instanceof Error ? error.message : String(error),
            });
    }
    if (outcome.fault === "drop") {
      // The answer is lost after the charge: the client sees a reset connection.
      res.destroy();
      log("dropped");
      return;
    }
    const text = JSON.stringify(outcome.body);
    stats.status(outcome.status);
    writeJson(
      res,
      outcome.status,
      outcome.fault === "malformed" ? truncateJson(text) : text,
      outcome.headers,
    );
    log(String(outcome.status));
  }

  const server = createServer((req, res) => {
    serve(req, res).catch(() => res.destroy());
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  const knownKey = (key: string) => {
    if (!planForKey(key)) throw new Error("Not a sandbox key");
    return key;
  };

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    keys: { ...SANDBOX_KEYS },
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    balance: (key) => ledger.balance(knownKey(key)),
    setBalance: (key, credits) => ledger.setBalance(knownKey(key), credits),
    setUnhealthy: (value) => {
      unhealthy = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const entry of waits) {
          clearTimeout(entry.timer);
          entry.reject(new RequestAbandoned());
        }
        waits.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
