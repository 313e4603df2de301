import { afterEach, describe, expect, it } from "vitest";
import {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  DEFAULT_RETRY_POLICY,
  type FluenceClient,
  InsufficientCreditsError,
  RateLimitError,
  ServerError,
} from "../../src/api/index.js";
import type { BatchOutcome, ProfileInput } from "../../src/api/types.js";
import { CreditGuard } from "../../src/pipeline/credit-guard.js";
import { Pacer } from "../../src/pipeline/pacer.js";
import { RunLedger } from "../../src/pipeline/run-ledger.js";
import { sendBatches } from "../../src/pipeline/send-batches.js";
import { fingerprint, type OutcomeStore, SqliteStore } from "../../src/store/index.js";

type Answer = (profiles: ProfileInput[]) => BatchOutcome | Error;

/** A client whose batch endpoint answers by script: the unit under test is the sender's decisions. */
function scriptedClient(answer: Answer) {
  const calls: ProfileInput[][] = [];
  const client = {
    batch: async (profiles: ProfileInput[]) => {
      calls.push(profiles);
      await new Promise((r) => setImmediate(r));
      const result = answer(profiles);
      if (result instanceof Error) throw result;
      return result;
    },
  } as unknown as FluenceClient;
  return { client, calls };
}

function allOk(profiles: ProfileInput[], balance?: { left: number }): BatchOutcome {
  if (balance) balance.left -= profiles.length;
  return {
    results: profiles.map((p, index) => ({
      index,
      ok: true as const,
      analise: { cargo: `cargo de ${p.primeiro_nome}` },
    })),
    billing: { creditos_utilizados: profiles.length, creditos_restantes: balance?.left ?? 1000 },
    latencyMs: 5,
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

let store: OutcomeStore;
afterEach(async () => {
  await store?.close();
});

async function run(
  profiles: ProfileInput[],
  answer: Answer,
  opts: { balance?: number; maxCredits?: number; retries?: number; batchSize?: number } = {},
) {
  store = SqliteStore.open(":memory:");
  const { runId } = await store.beginRun();
  const ledger = new RunLedger();
  ledger.addQueued(profiles.map((profile, i) => ({ fp: fingerprint(profile), profile, seq: i + 1 })));
  const { client, calls } = scriptedClient(answer);
  const report = await sendBatches({
    client,
    store,
    ledger,
    runId,
    analysis: "basic",
    freshSince: 0,
    batchSize: opts.batchSize ?? 10,
    retryPolicy: { ...DEFAULT_RETRY_POLICY, retries: opts.retries ?? 4, baseDelayMs: 1, maxDelayMs: 2 },
    pacer: new Pacer({ delayMs: 0, ratePerMinute: 6_000_000, concurrency: 3 }),
    credits: new CreditGuard({ balance: opts.balance, maxCredits: opts.maxCredits }),
    random: () => 0.5,
    now: Date.now,
  });
  const fps = profiles.map(fingerprint);
  const entries = ledger.resolve(fps);
  // Flat, as the assertions below read it: the entry with its outcome's kind and code beside it.
  const statusOf = (i: number) => {
    const entry = entries.get(fps[i]!)!;
    return { ...entry, kind: entry.outcome?.kind, outcomeCode: entry.outcome?.code };
  };
  const pending = () => [...entries.values()].filter((e) => e.status === "queued" || e.status === "sending");
  ledger.close();
  return { report, calls, pending, statusOf };
}

describe("sendBatches", () => {
  it("sends everyone once in batches of the chosen size and commits the outcomes", async () => {
    const { report, calls, statusOf } = await run(people(23), (p) => allOk(p), { batchSize: 7 });
    expect(calls.map((c) => c.length)).toEqual([7, 7, 7, 2]);
    expect(report).toMatchObject({
      batches: 4,
      profilesSent: 23,
      enriched: 23,
      creditsUsed: 23,
      successes: 23,
    });
    expect(statusOf(22)).toMatchObject({ status: "done", kind: "ok" });
  });

  it("spends the balance exactly with smaller batches, then stops for credits", async () => {
    const balance = { left: 25 };
    const { report, calls, pending } = await run(
      people(40),
      (p) =>
        p.length > balance.left
          ? new InsufficientCreditsError("no credits", {
              status: 402,
              body: { credits_available: balance.left },
            })
          : allOk(p, balance),
      { balance: 25 },
    );
    expect(report.enriched).toBe(25);
    expect(report.stop).toBe("credits");
    expect(balance.left).toBe(0);
    expect(calls.every((c) => c.length <= 10)).toBe(true);
    expect(pending().length).toBe(15);
  });

  it("learns the balance from a 402 when it did not know it", async () => {
    const balance = { left: 12 };
    const { report } = await run(people(30), (p) =>
      p.length > balance.left
        ? Object.assign(new InsufficientCreditsError("no credits", { status: 402 }), {
            creditsAvailable: balance.left,
          })
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
    expect(calls.map((c) => c.length)).toEqual([5, 5, 5]);
    expect(statusOf(0)).toMatchObject({ status: "failed", code: "INSUFFICIENT_CREDITS", retryable: true });
    expect(report.enriched).toBe(0);
  });

  it("a 402 without a figure shrinks the batch until the balance is clearly spent, then stops", async () => {
    const { report, calls, pending } = await run(
      people(5),
      () => new InsufficientCreditsError("no credits", { status: 402 }),
    );
    // Each refusal lowers the assumed balance below the refused size: a few requests, never a loop.
    expect(calls.length).toBeLessThanOrEqual(5);
    expect(calls.every((c, i) => i === 0 || c.length < calls[i - 1]!.length || c.length === 1)).toBe(true);
    expect(report.stop).toBe("credits");
    expect(pending()).toHaveLength(5);
  });

  it("isolates the one row that makes the API reject a whole batch", async () => {
    const bad = (p: ProfileInput) => p.primeiro_nome === "P6";
    const { report, calls, statusOf } = await run(people(10), (p) =>
      p.some(bad) ? new BadRequestError("profiles[0].empresa is too long", { status: 400 }) : allOk(p),
    );
    expect(report.enriched).toBe(9);
    expect(statusOf(6)).toMatchObject({ status: "failed", code: "BAD_REQUEST", retryable: false });
    // 10 -> 5+5 -> the bad half splits down to the single row: never more than log2 extra requests per level.
    expect(calls.length).toBeLessThanOrEqual(1 + 2 + 2 + 2 + 2);
  });

  it("retries retryable failures and gives up after --retries with a retryable code", async () => {
    let n = 0;
    const flaky = await run(people(5), (p) =>
      ++n <= 2 ? new ServerError("boom", { status: 500 }) : allOk(p),
    );
    expect(flaky.report).toMatchObject({ enriched: 5, retries: 2 });

    const dead = await run(people(3), () => new ServerError("always down", { status: 500 }), { retries: 2 });
    expect(dead.calls.length).toBe(3);
    expect(dead.statusOf(0)).toMatchObject({ status: "failed", code: "SERVER_ERROR", retryable: true });
    expect(dead.report.peopleFailed).toBe(3);
  });

  it("counts profiles whose answer was lost after sending as in doubt", async () => {
    let n = 0;
    const { report, statusOf } = await run(people(4), (p) =>
      ++n === 1
        ? new ConnectionError("socket hang up", { cause: new Error("reset"), inDoubt: true })
        : allOk(p),
    );
    expect(report.inDoubt).toBe(4);
    expect(statusOf(0)).toMatchObject({ status: "done", inDoubt: true });
  });

  it("retries a 429 after the pause and reports it", async () => {
    let n = 0;
    const { report } = await run(people(4), (p) =>
      ++n === 1 ? new RateLimitError("slow down", { status: 429 }) : allOk(p),
    );
    expect(report).toMatchObject({ rateLimited: 1, enriched: 4 });
  });

  it("stops at once on a refused key and leaves everyone unsent", async () => {
    const { report, calls, pending } = await run(
      people(30),
      () => new AuthenticationError("bad key", { status: 401 }),
    );
    expect(report.stop).toBe("auth");
    expect(report.fatal).toBeInstanceOf(AuthenticationError);
    expect(calls.length).toBeLessThanOrEqual(3);
    expect(pending().length).toBe(30);
  });

  it("keeps a terminal per-profile failure and retries a protocol fault for that row only", async () => {
    let n = 0;
    const { report, statusOf } = await run(people(3), (p) => {
      n++;
      if (n === 1) {
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
          raw: {},
        };
      }
      return allOk(p);
    });
    expect(statusOf(1)).toMatchObject({ status: "done", kind: "error", outcomeCode: "PROFILE_NOT_FOUND" });
    expect(statusOf(2)).toMatchObject({ status: "done", kind: "ok" });
    expect(report.enriched).toBe(2);
  });
});
