import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { leadRows, writeCsv } from "../helpers/cli-harness.js";
import {
  enrich,
  errorsById,
  expectEveryRowOnce,
  idRows,
  readOutputs,
  type Scenario,
  useScenarios,
} from "./enrich-helpers.js";

const setup = useScenarios();

/**
 * A proxy that forwards everything but answers GET /creditos with a stale, generous balance: the client
 * starts believing it can pay for the whole file, so the real balance is only discovered through a 402.
 */
async function staleBalanceProxy(s: Scenario, targetUrl: string, claimed: number): Promise<string> {
  const target = new URL(targetUrl);
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/creditos") {
      const body = JSON.stringify({
        creditos_restantes: claimed,
        creditos_utilizados: 0,
        cota_mensal: 10_000,
        tipo_plano: "enterprise_crm",
      });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(body);
      return;
    }
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  s.onRelease(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * A proxy that holds the answers of the first two batches until both are in, then delivers them newest
 * balance first: what a client with two batches in flight sees when the network reorders the answers.
 */
async function reorderingProxy(s: Scenario, targetUrl: string): Promise<string> {
  const target = new URL(targetUrl);
  const held: Array<{ remaining: number; deliver: () => void }> = [];
  let batchAnswers = 0;
  const server = createServer((req, res) => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (c: Buffer) => chunks.push(c));
        answer.on("end", () => {
          const body = Buffer.concat(chunks);
          const deliver = () => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(body);
          };
          if (req.url !== "/crm_basico_batch" || ++batchAnswers > 2) return deliver();
          const parsed = JSON.parse(body.toString("utf8")) as {
            billing_info?: { creditos_restantes?: number };
          };
          held.push({ remaining: parsed.billing_info?.creditos_restantes ?? 0, deliver });
          if (held.length < 2) return;
          held.sort((a, b) => a.remaining - b.remaining);
          held[0]!.deliver();
          setTimeout(() => held[1]!.deliver(), 50);
        });
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  s.onRelease(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function expectCreditsStop(
  rows: string[][],
  dir: string,
  name: string,
  enrichedCount: number,
  code: string,
): void {
  const out = readOutputs(dir, name);
  expectEveryRowOnce(rows, out, expect);
  expect(out.enriched).toHaveLength(enrichedCount);
  const errors = errorsById(out);
  expect(errors.size).toBe(rows.length - 1 - enrichedCount);
  for (const failure of errors.values()) expect(failure).toMatchObject({ code, retryable: "true" });
  expect(out.summary).toMatchObject({
    enriched: enrichedCount,
    exit_code: 4,
    credits_used: enrichedCount,
    retryable_failures: rows.length - 1 - enrichedCount,
    errors_by_code: { [code]: rows.length - 1 - enrichedCount },
  });
}

describe("fluence enrich: credits", () => {
  it("spends exactly the 25 credits left on a 40-person file, then stops with exit 4", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ credits: 25 });
    const rows = idRows(leadRows(40));
    const input = writeCsv(s.tmp.file("c.csv"), rows);
    const result = await enrich(input, [], env);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/credit/i);

    expectCreditsStop(rows, s.tmp.dir, "c", 25, "INSUFFICIENT_CREDITS");
    const out = readOutputs(s.tmp.dir, "c");
    // The first 25 rows are the ones enriched: the run keeps input order when it runs out.
    expect(out.enriched.map((r) => r[0])).toEqual(rows.slice(1, 26).map((r) => r[0]));
    expect(out.summary).toMatchObject({ stopped: "credits", credits_remaining: 0 });
    const stats = sandbox.stats();
    expect(sandbox.balance(sandbox.keys.enterprise)).toBe(0);
    expect(stats.creditsDebited).toBe(25);
    expect(stats.profilesReceived).toBe(25);
    expect(out.summary.billing_check).toMatchObject({ ok: true, balance_drop: 25 });

    // After buying credits, the errors file is the input of the next run: only the 15 left are sent.
    sandbox.setBalance(sandbox.keys.enterprise, 100);
    sandbox.resetStats();
    const retry = await enrich(s.tmp.file("c.errors.csv"), [], env);
    expect(retry.code).toBe(0);
    const again = readOutputs(s.tmp.dir, "c.errors");
    expect(again.enriched.map((r) => r[0])).toEqual(rows.slice(26).map((r) => r[0]));
    expect(again.errors).toHaveLength(0);
    expect(again.enrichedHeader.filter((c) => c.startsWith("fluence_"))).toHaveLength(6);
    expect(sandbox.stats().profilesReceived).toBe(15);
    expect(sandbox.stats().creditsDebited).toBe(15);
  });

  it("uses billing_info's balance to shrink the last batch when /creditos was stale (no 402 needed)", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ credits: 25 });
    const url = await staleBalanceProxy(s, sandbox.url, 10_000);
    const rows = idRows(leadRows(40));
    const input = writeCsv(s.tmp.file("m.csv"), rows);
    const result = await enrich(input, ["--concurrency", "1"], { ...env, FLUENCE_BASE_URL: url });
    expect(result.code).toBe(4);

    expectCreditsStop(rows, s.tmp.dir, "m", 25, "INSUFFICIENT_CREDITS");
    const stats = sandbox.stats();
    expect(sandbox.balance(sandbox.keys.enterprise)).toBe(0);
    expect(stats.creditsDebited).toBe(25);
    expect(stats.batchSizes).toEqual([10, 10, 5]);
  });

  it("meets a 402 mid-run when someone else drains the key, sends what the 402 says fits, never overspends", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ credits: 1000 });
    const key = sandbox.keys.enterprise;
    // Another client spends all but 7 credits right after our second batch is answered.
    const proxy = await s.proxy(sandbox.url, (exchange, all) => {
      const batches = all.filter((e) => e.route === "POST /crm_basico_batch" && e.status === 200);
      if (exchange.route === "POST /crm_basico_batch" && batches.length === 2) sandbox.setBalance(key, 7);
    });
    const rows = idRows(leadRows(40));
    const input = writeCsv(s.tmp.file("m.csv"), rows);
    const result = await enrich(input, ["--concurrency", "1"], { ...env, FLUENCE_BASE_URL: proxy.url });
    expect(result.code).toBe(4);

    expectCreditsStop(rows, s.tmp.dir, "m", 27, "INSUFFICIENT_CREDITS");
    const out = readOutputs(s.tmp.dir, "m");
    expect(out.enriched.map((r) => r[0])).toEqual(rows.slice(1, 28).map((r) => r[0]));
    const stats = sandbox.stats();
    expect(stats.statuses["402"]).toBe(1);
    expect(stats.batchSizes).toEqual([10, 10, 10, 7]);
    expect(stats.creditsDebited).toBe(27);
    expect(sandbox.balance(key)).toBe(0);
    expect(out.summary).toMatchObject({ stopped: "credits", credits_remaining: 0 });
    // The balance fell by far more than this run spent: the billing check must say so.
    expect(out.summary.billing_check.ok).toBe(false);
    expect(out.summary.billing_check.balance_drop).toBe(1000);
  });

  it("does not trust an older balance that arrives after a newer one (answers out of order)", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ credits: 20 });
    const url = await reorderingProxy(s, sandbox.url);
    const rows = idRows(leadRows(30));
    const input = writeCsv(s.tmp.file("o.csv"), rows);
    const result = await enrich(input, ["--concurrency", "2"], { ...env, FLUENCE_BASE_URL: url });
    expect(result.code).toBe(4);

    expectCreditsStop(rows, s.tmp.dir, "o", 20, "INSUFFICIENT_CREDITS");
    const stats = sandbox.stats();
    expect(stats.creditsDebited).toBe(20);
    expect(sandbox.balance(sandbox.keys.enterprise)).toBe(0);
    // Both batches were answered: the balance is known to be 0. A third batch can only earn a 402.
    expect(stats.batchSizes).toEqual([10, 10]);
    expect(stats.statuses["402"]).toBeUndefined();
  });

  it("stops at --max-credits with BUDGET_EXCEEDED rows and exit 4", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ credits: 1000 });
    const rows = idRows(leadRows(30));
    const input = writeCsv(s.tmp.file("b.csv"), rows);
    const result = await enrich(input, ["--max-credits", "12"], env);
    expect(result.code).toBe(4);
    expectCreditsStop(rows, s.tmp.dir, "b", 12, "BUDGET_EXCEEDED");
    expect(sandbox.stats().profilesReceived).toBe(12);
    expect(sandbox.stats().creditsDebited).toBe(12);
    expect(sandbox.balance(sandbox.keys.enterprise)).toBe(988);
  });

  it("with no credits at all sends nothing and puts every row in errors", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ credits: 0 });
    const rows = idRows(leadRows(5));
    const input = writeCsv(s.tmp.file("z.csv"), rows);
    const result = await enrich(input, [], env);
    expect(result.code).toBe(4);
    expectCreditsStop(rows, s.tmp.dir, "z", 0, "INSUFFICIENT_CREDITS");
    expect(sandbox.stats().profilesReceived).toBe(0);
    expect(sandbox.stats().creditsDebited).toBe(0);
  });
});
