import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { DOCS_ANSWERS, GATEWAY_ANSWERS } from "./sandbox-answers.js";
import { createFaultPicker } from "./sandbox-faults.js";
import { type Gate, slidingWindowGate, usagePlanGate } from "./sandbox-gates.js";
import { resolveGateway, underStage } from "./sandbox-gateway.js";
import { BodyTooLarge, RequestAbandoned, readBody, truncateJson, writeJson } from "./sandbox-http.js";
import { createLatencyPicker } from "./sandbox-latency.js";
import { Ledger } from "./sandbox-ledger.js";
import { createPaidHandler, type Outcome } from "./sandbox-paid-request.js";
import { planForKey, SANDBOX_KEYS } from "./sandbox-plans.js";
import { QuotaBook } from "./sandbox-quota.js";
import { SlidingWindowLimiter } from "./sandbox-rate-limit.js";
import { ROUTES } from "./sandbox-routes.js";
import { StatsRecorder } from "./sandbox-stats.js";
import { TimerSet } from "./sandbox-timers.js";
import { TokenBucketLimiter } from "./sandbox-token-bucket.js";
import type { SandboxHandle, SandboxOptions } from "./sandbox-types.js";
import { handleUtility } from "./sandbox-utility-endpoints.js";

const BODY_LIMIT_BYTES = 1024 * 1024;

/** Starts a faithful local simulation of the Fluence API (see shared/api/CONTRACT.md). */
export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const rateLimit = options.rateLimit ?? 100;
  const rateWindowMs = options.rateWindowMs ?? 60_000;
  const seed = options.seed ?? 1;
  const gateway = resolveGateway(options.gateway);
  const answers = gateway ? GATEWAY_ANSWERS : DOCS_ANSWERS;
  const stats = new StatsRecorder();
  const ledger = new Ledger(options.credits);
  const timers = new TimerSet();
  const now = options.now ?? (() => performance.now());
  const quota = new QuotaBook((key) => gateway?.quota ?? knownPlan(key).monthlyQuota);
  const gate: Gate = gateway
    ? usagePlanGate(new TokenBucketLimiter(rateLimit, rateWindowMs, gateway.burst, now), quota, stats)
    : slidingWindowGate(
        new SlidingWindowLimiter(rateLimit, rateWindowMs, now),
        stats,
        rateLimit,
        rateWindowMs,
      );
  const startedAt = now();
  let unhealthy = options.unhealthy ?? false;
  const sockets = new Set<Socket>();

  function knownPlan(key: string) {
    const plan = planForKey(key);
    if (!plan) throw new Error("Not a sandbox key");
    return plan;
  }

  const handlePaid = createPaidHandler({
    ledger,
    stats,
    answers,
    timers,
    pickFault: createFaultPicker(options.faults, seed),
    pickLatency: createLatencyPicker(options, seed, () => now() - startedAt),
    maxConcurrentBatches: options.maxConcurrentBatches ?? Number.POSITIVE_INFINITY,
    integrationTimeoutMs: gateway?.integrationTimeoutMs,
  });

  async function dispatch(
    req: IncomingMessage,
    path: string,
    raw: string,
    arrived: number,
    onLateOutcome: (status: string) => void,
  ): Promise<Outcome> {
    const method = req.method ?? "GET";
    if (method === "GET" && path === "/__sandbox/stats") return { status: 200, body: stats.snapshot() };
    if (method === "POST" && path === "/__sandbox/reset") {
      stats.reset();
      return { status: 200, body: { ok: true } };
    }
    const routePath = underStage(path, gateway?.stage);
    const route = routePath === undefined ? undefined : ROUTES[`${method} ${routePath}`];
    if (!route) return answers.noRoute(method, path);

    const header = req.headers["x-api-key"];
    const key = Array.isArray(header) ? header[0] : header;
    const plan = planForKey(key);
    if (!key || !plan) return answers.unauthorized();
    const admission = gate(key);
    if (!admission.ok) return admission.reply;
    if (route.kind === "utility") {
      const uptimeSeconds = Math.floor((now() - startedAt) / 1000);
      const usage = gateway ? { limit: quota.limit(key), used: quota.used(key) } : undefined;
      return handleUtility(route.path, { key, plan, ledger, unhealthy, uptimeSeconds, quota: usage });
    }
    return handlePaid({ key, plan, route, raw, arrived, giveBack: admission.giveBack, onLateOutcome });
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
      const raw = await readBody(req, BODY_LIMIT_BYTES);
      outcome = await dispatch(req, path, raw, arrived, (status) => log(`${status} after the 504`));
    } catch (error) {
      if (error instanceof RequestAbandoned) {
        res.destroy();
        log("abandoned");
        return;
      }
      outcome =
        error instanceof BodyTooLarge
          ? {
              status: 413,
              body: { error: "Payload too large", message: `Body exceeds ${BODY_LIMIT_BYTES} bytes` },
            }
          : {
              status: 500,
              body: {
                error: "Internal server error",
                message: error instanceof Error ? error.message : String(error),
              },
            };
    }
    if (outcome.fault === "drop") {
      // The answer is lost after the charge: the client sees a reset connection.
      res.destroy();
      log("dropped");
      return;
    }
    const headers = { ...outcome.headers };
    if (gateway) {
      const requestId = randomUUID();
      headers["x-amzn-RequestId"] = requestId;
      if (outcome.status < 200 || outcome.status >= 300) stats.failedRequestId(requestId);
    }
    const text = JSON.stringify(outcome.body);
    stats.status(outcome.status);
    writeJson(res, outcome.status, outcome.fault === "malformed" ? truncateJson(text) : text, headers);
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
  const url = `http://${host}:${address.port}`;
  const knownKey = (key: string) => {
    knownPlan(key);
    return key;
  };

  return {
    url,
    apiUrl: `${url}${gateway?.stage ?? ""}`,
    port: address.port,
    keys: { ...SANDBOX_KEYS },
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    balance: (key) => ledger.balance(knownKey(key)),
    setBalance: (key, credits) => ledger.setBalance(knownKey(key), credits),
    quotaUsed: (key) => {
      const used = quota.used(knownKey(key));
      return gateway ? used : 0;
    },
    setQuota: (key, requests) => quota.setLimit(knownKey(key), requests),
    setUnhealthy: (value) => {
      unhealthy = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        timers.cancelAll();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
