import { performance } from "node:perf_hooks";
import type { Answers } from "./sandbox-answers.js";
import { handleBatch } from "./sandbox-batch-endpoint.js";
import type { FaultKind } from "./sandbox-faults.js";
import { GATEWAY_REPLIES } from "./sandbox-gateway.js";
import { RequestAbandoned } from "./sandbox-http.js";
import type { Ledger } from "./sandbox-ledger.js";
import { handleSingle, type PaidContext, type Reply } from "./sandbox-paid-endpoints.js";
import { accessDeniedBody, canCall, type SandboxPlan } from "./sandbox-plans.js";
import type { PaidRoute } from "./sandbox-routes.js";
import type { StatsRecorder } from "./sandbox-stats.js";
import type { TimerSet } from "./sandbox-timers.js";
import { isPlainObject, type JsonParse, parseJson } from "./sandbox-validate.js";

/** A reply plus what the fault injector wants done with it. */
export type Outcome = Reply & { fault?: "drop" | "malformed" };

export interface PaidDeps {
  ledger: Ledger;
  stats: StatsRecorder;
  answers: Answers;
  timers: TimerSet;
  pickFault: () => FaultKind | undefined;
  pickLatency: (profiles: number) => number;
  maxConcurrentBatches: number;
  /** Gateway mode's integration timeout; undefined in docs mode (no timeout). */
  integrationTimeoutMs: number | undefined;
}

export interface PaidRequest {
  key: string;
  plan: SandboxPlan;
  route: PaidRoute;
  raw: string;
  /** performance.now() when the request arrived. */
  arrived: number;
  /** Undoes the admission (rate slot, quota) for an injected 429. */
  giveBack: () => void;
  /** Told when work that went on after a 504 ends: its status, "abandoned" (close) or "failed". */
  onLateOutcome: (status: string) => void;
}

/** Tier, capacity, fault draw, latency (and the gateway's timeout), then the endpoint itself. */
export function createPaidHandler(deps: PaidDeps): (request: PaidRequest) => Promise<Outcome> {
  const { stats, answers } = deps;

  function finish(request: PaidRequest, parsed: JsonParse, fault: FaultKind | undefined): Outcome {
    if (fault === "error500") {
      stats.data.faultsInjected.error500 += 1;
      return {
        status: 500,
        body: { error: "Internal server error", message: "Injected fault: nothing was charged" },
      };
    }
    if (fault === "error429") {
      stats.data.faultsInjected.error429 += 1;
      request.giveBack();
      return answers.injected429();
    }
    if (fault === "error503") {
      stats.data.faultsInjected.error503 += 1;
      return answers.unavailable("Injected fault: nothing was charged");
    }
    const ctx: PaidContext = {
      key: request.key,
      plan: request.plan,
      ledger: deps.ledger,
      stats,
      elapsedMs: () => performance.now() - request.arrived,
    };
    const { batch, complete } = request.route;
    const reply: Outcome = batch ? handleBatch(ctx, parsed, complete) : handleSingle(ctx, parsed, complete);
    if (!fault) return reply;
    stats.data.faultsInjected[fault] += 1;
    // Processed and charged, but the answer is lost on the way: the client is left in doubt.
    if (fault === "error502") return GATEWAY_REPLIES.badGateway();
    reply.fault = fault;
    return reply;
  }

  function profileCount(route: PaidRoute, parsed: JsonParse): number {
    if (!route.batch) return 1;
    const profiles = parsed.ok && isPlainObject(parsed.value) ? parsed.value.profiles : undefined;
    return Array.isArray(profiles) ? profiles.length : 1;
  }

  return async (request) => {
    const { route } = request;
    if (!canCall(request.plan, route.path)) {
      return { status: 403, body: accessDeniedBody(request.plan, route.path) };
    }
    if (route.batch && stats.batches >= deps.maxConcurrentBatches) {
      stats.data.refusedOverCapacity += 1;
      return answers.unavailable(
        `At most ${deps.maxConcurrentBatches} batches are processed at once; retry shortly. Nothing was charged.`,
      );
    }
    if (route.batch) stats.enterBatch();
    const fault = deps.pickFault();
    const parsed = parseJson(request.raw);
    const latency = deps.pickLatency(profileCount(route, parsed));
    const work = (async () => {
      try {
        await deps.timers.wait(latency);
        return finish(request, parsed, fault);
      } finally {
        if (route.batch) stats.leaveBatch();
      }
    })();
    const timeout = deps.integrationTimeoutMs;
    if (timeout === undefined || latency <= timeout) return work;

    // API Gateway gives up on the integration, but the service behind it finishes and charges.
    work.then(
      (outcome) => request.onLateOutcome(String(outcome.status)),
      (error) => request.onLateOutcome(error instanceof RequestAbandoned ? "abandoned" : "failed"),
    );
    await deps.timers.wait(timeout);
    stats.data.gatewayTimeouts += 1;
    return GATEWAY_REPLIES.timedOut();
  };
}
