import { afterEach, describe, expect, it } from "vitest";
import {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  DEFAULT_RETRY_POLICY,
  type FluenceClient,
  GatewayTimeoutError,
  InsufficientCreditsError,
  QuotaExceededError,
  RateLimitError,
  ServerError,
} from "../../src/api/index.js";
import type { BatchOutcome, ProfileInput } from "../../src/api/types.js";
import { RunLedger } from "../../src/pipeline/run-ledger.js";
import { CreditGuard } from "../../src/send/credit-guard.js";
import { FlowControl } from "../../src/send/flow-control.js";
import { BatchSender } from "../../src/send/send-batches.js";
import { type Analysis, fingerprint, SqliteStore } from "../../src/store/index.js";

type Answer = (
  profiles: ProfileInput[],
  call: number,
) => BatchOutcome | Error | Promise<BatchOutcome | Error>;

/** A client whose batch endpoint answers by script: the unit under test is the sender's decisions. */
function scriptedClient(answer: Answer) {
  const calls: Array<{ profiles: ProfileInput[]; complete: boolean }> = [];
  let active = 0;
  let peak = 0;
  const client = {
    batch: async (profiles: ProfileInput[], options: { complete?: boolean } = {}) => {
      const call = calls.push({ profiles, complete: options.complete === true });
      active++;
      peak = Math.max(peak, active);
      try {
        await new Promise((r) => setImmediate(r));
        const result = await answer(profiles, call);
        if (result instanceof Error) throw result;
        return result;
      } finally {
        active--;
      }
    },
  } as unknown as FluenceClient;
  return { client, calls, peak: () => peak };
}

function allOk(profiles: ProfileInput[], balance?: { left: number }, perProfile = 1): BatchOutcome {
  if (balance) balance.left -= profiles.length * perProfile;
  return {
    results: profiles.map((p, index) => ({
      index,
      ok: true as const,
      analise: { cargo: `cargo de ${p.primeiro_nome}` },
    })),
    billing: {
      creditos_por_perfil: perProfile,
      creditos_utilizados: profiles.length * perProfile,
      creditos_restantes: balance?.left ?? 1000,
    },
    latencyMs: 5,
    requestId: undefined,
    raw: {},
  };
}

function people(n: number): ProfileInput[] {
  return Array.from({ length: n }, (_, i) => ({
    primeiro_nome: `P${i}`,
    ultimo_nome: `S${i}`,
    empresa: "Acme",
  }));
}

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const thing of open.splice(0)) await thing.close();
});

interface RunOptions {
  balance?: number;
  maxCredits?: number;
  retries?: number;
  batchSize?: number;
  concurrency?: number | "auto";
  analysis?: Analysis;
  /** Called as each failed request is recorded, with the number of batch calls made so far. */
  onFailure?: (callsSoFar: number) => void;
}

async function run(profiles: ProfileInput[], answer: Answer, opts: RunOptions = {}) {
  const store = SqliteStore.open(":memory:");
  const ledger = new RunLedger();
  open.push(store, ledger);
  const { runId } = await store.beginRun();
  ledger.addQueued(profiles.map((profile, i) => ({ fp: fingerprint(profile), profile, seq: i + 1 })));
  const scripted = scriptedClient(answer);
  const analysis = opts.analysis ?? "basic";
  const flow = new FlowControl({
    concurrency: opts.concurrency ?? 3,
    batchSize: opts.batchSize ?? 10,
    pacer: { ratePerMinute: 6_000_000 },
  });
  const sender = new BatchSender({
    client: scripted.client,
    store,
    ledger,
    runId,
    analysis,
    freshSince: 0,
    retryPolicy: { ...DEFAULT_RETRY_POLICY, retries: opts.retries ?? 4, baseDelayMs: 1, maxDelayMs: 2 },
    flow,
    credits: new CreditGuard({
      balance: opts.balance,
      maxCredits: opts.maxCredits,
      creditsPerProfile: analysis === "complete" ? 2 : 1,
    }),
    random: () => 0.5,
    now: Date.now,
    onRequestFailed: () => opts.onFailure?.(scripted.calls.length),
  });
  sender.planningDone();
  const report = await sender.run();
  const fps = profiles.map(fingerprint);
  const entries = ledger.resolve(fps);
  return {
    report,
    calls: scripted.calls,
    peak: scripted.peak,
    flow,
    ledger,
    store,
    statusOf: (i: number) => entries.get(fps[i]!)!,
    unsent: () => [...entries.values()].filter((e) => e.status === "queued").length,
  };
}

describe("BatchSender", () => {
  it("sends everyone once in batches of the chosen size and commits the outcomes", async () => {
    const { report, calls, statusOf, store } = await run(people(23), (p) => allOk(p), { batchSize: 7 });
    expect(calls.map((c) => c.profiles.length)).toEqual([7, 7, 7, 2]);
    expect(report).toMatchObject({
      batches: 4,
      profilesSent: 23,
      enriched: 23,
      creditsUsed: 23,
      successes: 23,
      batchSizes: { "7": 3, "2": 1 },
    });
    expect(statusOf(22)).toMatchObject({ status: "done", outcome: { kind: "ok" } });
    expect((await store.lookup(people(23).map(fingerprint), "basic", 0)).size).toBe(23);
  });

  it("p-limit holds the cap: never more in flight than the limit", async () => {
    const { peak, report } = await run(
      people(200),
      async (p) => {
        await new Promise((r) => setTimeout(r, 20));
        return allOk(p);
      },
      { concurrency: 4 },
    );
    expect(report.enriched).toBe(200);
    expect(peak()).toBe(4);
  });

  it("shrinks the limit on 503s and grows it back once answers are healthy", async () => {
    let overloaded = true;
    const result = await run(
      people(1000),
      async (p, call) => {
        await new Promise((r) => setTimeout(r, 20));
        if (call === 6) overloaded = false;
        return overloaded ? new ServerError("busy", { status: 503 }) : allOk(p);
      },
      { concurrency: 8, retries: 10 },
    );
    const { flow, report, peak } = result;
    expect(report.enriched).toBe(1000);
    expect(flow.limitDecreases).toBeGreaterThanOrEqual(1);
    expect(peak()).toBe(8);
    // ~100 batches of healthy answers after the 503s: back at the ceiling of 8.
    expect(flow.limit).toBe(8);
  });

  it("spends the balance exactly with smaller batches, then stops for credits", async () => {
    const balance = { left: 25 };
    const { report, calls, unsent } = await run(
      people(40),
      (p) =>
        p.length > balance.left
          ? new InsufficientCreditsError("no credits", { status: 402, creditsAvailable: balance.left })
          : allOk(p, balance),
      { balance: 25 },
    );
    expect(report.enriched).toBe(25);
    expect(report.stop).toBe("credits");
    expect(balance.left).toBe(0);
    expect(calls.every((c) => c.profiles.length <= 10)).toBe(true);
    expect(unsent()).toBe(15);
  });

  it("at 2 credits a person, 7 credits buy 3 complete profiles through /crm_batch", async () => {
    const balance = { left: 7 };
    const { report, calls, unsent } = await run(
      people(10),
      (p) =>
        p.length * 2 > balance.left
          ? new InsufficientCreditsError("no credits", { status: 402, creditsAvailable: balance.left })
          : allOk(p, balance, 2),
      { balance: 7, analysis: "complete" },
    );
    expect(calls.every((c) => c.complete)).toBe(true);
    expect(calls.map((c) => c.profiles.length)).toEqual([3]);
    expect(report).toMatchObject({ enriched: 3, creditsUsed: 6, expectedCharge: 6, stop: "credits" });
    expect(unsent()).toBe(7);
  });

  it("learns the balance from a 402 when it did not know it", async () => {
    const balance = { left: 12 };
    const { report } = await run(people(30), (p) =>
      p.length > balance.left
        ? new InsufficientCreditsError("no credits", { status: 402, creditsAvailable: balance.left })
        : allOk(p, balance),
    );
    expect(report.enriched).toBe(12);
    expect(report.stop).toBe("credits");
  });

  it("a 402 that claims enough credits spends retries instead of looping", async () => {
    const { report, calls, statusOf } = await run(
      people(5),
      () => new InsufficientCreditsError("no credits", { status: 402, creditsAvailable: 50 }),
      { retries: 2 },
    );
    expect(calls.map((c) => c.profiles.length)).toEqual([5, 5, 5]);
    expect(statusOf(0)).toMatchObject({ status: "failed", code: "INSUFFICIENT_CREDITS", retryable: true });
    expect(report.enriched).toBe(0);
  });

  it("isolates the one row that makes the API reject a whole batch", async () => {
    const bad = (p: ProfileInput) => p.primeiro_nome === "P6";
    const { report, calls, statusOf } = await run(people(10), (p) =>
      p.some(bad) ? new BadRequestError("profiles[0].empresa is too long", { status: 400 }) : allOk(p),
    );
    expect(report.enriched).toBe(9);
    expect(statusOf(6)).toMatchObject({ status: "failed", code: "BAD_REQUEST", retryable: false });
    expect(calls.length).toBeLessThanOrEqual(1 + 2 + 2 + 2 + 2);
  });

  it("retries retryable failures and gives up after --retries with a retryable code", async () => {
    const flaky = await run(people(5), (p, call) =>
      call <= 2 ? new ServerError("boom", { status: 500 }) : allOk(p),
    );
    expect(flaky.report).toMatchObject({ enriched: 5, retries: 2 });

    const dead = await run(people(3), () => new ServerError("always down", { status: 500 }), { retries: 2 });
    expect(dead.calls.length).toBe(3);
    expect(dead.statusOf(0)).toMatchObject({ status: "failed", code: "SERVER_ERROR", retryable: true });
    expect(dead.report.peopleFailed).toBe(3);
    expect(dead.report.failedRequestCount).toBe(3);
  });

  it("counts profiles whose answer was lost after sending as in doubt", async () => {
    const { report, statusOf } = await run(people(4), (p, call) =>
      call === 1
        ? new ConnectionError("socket hang up", { cause: new Error("reset"), inDoubt: true })
        : allOk(p),
    );
    expect(report.inDoubt).toBe(4);
    expect(statusOf(0)).toMatchObject({ status: "done", inDoubt: true });
  });

  it("retries a 429 and reports it, then the rate climbs back", async () => {
    const { report, flow } = await run(people(40), (p, call) =>
      call === 1 ? new RateLimitError("slow down", { status: 429 }) : allOk(p),
    );
    expect(report).toMatchObject({ rateLimited: 1, enriched: 40 });
    expect(flow.pacer.throttles).toBe(1);
  });

  it("gives up in bounded time when the API throttles everything: only the first batch's retries go out", async () => {
    const started = Date.now();
    const { report, calls, statusOf, unsent } = await run(
      people(100),
      () => new RateLimitError("Too Many Requests", { status: 429 }),
      { retries: 4 },
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(report.stop).toBe("rate_limited");
    // Five attempts of the batches that left before the first 429 came back (up to the limit of 3);
    // fresh batches are held back while every answer is a 429.
    const batchesSent = new Set(calls.map((c) => c.profiles[0]!.primeiro_nome));
    expect(batchesSent.size).toBeLessThanOrEqual(3);
    expect(calls.length).toBeLessThanOrEqual(batchesSent.size * 5);
    expect(statusOf(0)).toMatchObject({ status: "failed", code: "RATE_LIMITED", retryable: true });
    // Everyone else is either failed the same way (a batch that spent its retries too) or back in the queue,
    // unsent: the people of a batch still between retries when the run stopped, and all never sent.
    const statuses = Array.from({ length: 100 }, (_, i) => statusOf(i));
    const failed = statuses.filter((e) => e.status === "failed");
    for (const e of failed) expect(e).toMatchObject({ code: "RATE_LIMITED", retryable: true });
    expect(failed.length % 10).toBe(0);
    expect(failed.length + unsent()).toBe(100);
    expect(unsent()).toBeGreaterThanOrEqual(100 - batchesSent.size * 10);
  });

  it("stops at once on a spent quota: nothing more goes out, the rest stays queued", async () => {
    let callsWhenSeen: number | undefined;
    const { report, calls, unsent } = await run(
      people(100),
      async (p, call) => {
        await new Promise((r) => setTimeout(r, 5 + (call % 3)));
        return call === 2 ? new QuotaExceededError("Limit Exceeded", { status: 429 }) : allOk(p);
      },
      { concurrency: 3, onFailure: (n) => (callsWhenSeen ??= n) },
    );
    expect(report.stop).toBe("quota");
    // The batches already in flight when the 429 was seen land; none starts after it.
    expect(callsWhenSeen).toBeDefined();
    expect(calls.length).toBe(callsWhenSeen);
    expect(report.enriched).toBe((calls.length - 1) * 10);
    expect(unsent()).toBe(100 - report.enriched);
  });

  it("504s count as in doubt and, when they recur, make the next batches smaller", async () => {
    const { report, calls } = await run(
      people(100),
      (p, call) =>
        call <= 2
          ? new GatewayTimeoutError("Endpoint request timed out", { status: 504, requestId: `req-${call}` })
          : allOk(p),
      { concurrency: 1 },
    );
    // A 504 is a batch that took at least the gateway's 29 s: 8 profiles fit in 85% of that at the
    // pace the 10 showed. A second 504, at 8, says a smaller batch did not help: the service is down, not
    // slow, so the size holds there rather than halving toward 1.
    expect(report.gatewayTimeouts).toBe(2);
    expect(report.inDoubt).toBe(18);
    expect(calls.map((c) => c.profiles.length).slice(0, 2)).toEqual([10, 8]);
    expect(report.enriched).toBe(100);
    expect(report.failedRequests.map((f) => f.request_id)).toEqual(["req-1", "req-2"]);
    expect(report.failedRequests[0]).toMatchObject({ status: 504, code: "SERVER_ERROR", profiles: 10 });
    expect(report.failedRequests[1]).toMatchObject({ status: 504, profiles: 8 });
    // Healthy answers bring 10 back once they outnumber the 504s in the model's window; never down to 1
    // (a 2 is the rest of the re-sent batch of 10 cut at 8).
    const sizes = calls.map((c) => c.profiles.length);
    expect(sizes.slice(3).filter((n) => n === 10).length).toBeGreaterThanOrEqual(3);
    expect(sizes).not.toContain(1);
  });

  it("stops at once on a refused key and leaves everyone unsent", async () => {
    const { report, calls, unsent } = await run(
      people(30),
      () => new AuthenticationError("bad key", { status: 401 }),
    );
    expect(report.stop).toBe("auth");
    expect(report.fatal).toBeInstanceOf(AuthenticationError);
    expect(calls.length).toBeLessThanOrEqual(3);
    expect(unsent()).toBe(30);
  });

  it("keeps a terminal per-profile failure and retries a protocol fault for that row only", async () => {
    const { report, statusOf } = await run(people(3), (p, call) => {
      if (call === 1) {
        return {
          results: [
            { index: 0, ok: true as const, analise: { cargo: "x" } },
            {
              index: 1,
              ok: false as const,
              code: "PROFILE_NOT_FOUND",
              message: "Profile not found",
              retryable: false,
            },
            { index: 2, ok: false as const, code: "PROTOCOL_ERROR", message: "no result", retryable: true },
          ],
          billing: { creditos_utilizados: 1, creditos_restantes: 10 },
          latencyMs: 1,
          requestId: undefined,
          raw: {},
        };
      }
      return allOk(p);
    });
    expect(statusOf(1)).toMatchObject({
      status: "done",
      outcome: { kind: "error", code: "PROFILE_NOT_FOUND" },
    });
    expect(statusOf(2)).toMatchObject({ status: "done", outcome: { kind: "ok" } });
    expect(report.enriched).toBe(2);
  });
});
