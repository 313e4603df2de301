import { describe, expect, it } from "vitest";
import { leadRows, runCli, writeCsv } from "../helpers/cli-harness.js";
import {
  enrich,
  errorsById,
  expectEveryRowOnce,
  idRows,
  readOutputs,
  until,
  useScenarios,
} from "./enrich-helpers.js";

// The API as deployed sits behind AWS API Gateway (CONTRACT.md): the sandbox's gateway mode answers the
// way it does, and fluence must tell its answers apart from the service's.
const setup = useScenarios();
const BATCH = "POST /crm_basico_batch";

describe("fluence behind API Gateway: refused keys and wrong URLs", () => {
  it("403 Forbidden for an unknown key: exit 3, the key named as refused, no batch sent, every command", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ gateway: true });
    const badKey = "ZZZunknownKey0123456789abcdefghijklmnopq";
    const input = writeCsv(s.tmp.file("leads.csv"), leadRows(20));
    const keyEnv = { ...env, FLUENCE_API_KEY: badKey };
    const run = await enrich(input, [], keyEnv);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/refused the key ending in …mnopq?|refused the key ending in …nopq/);
    expect(run.stderr).not.toMatch(/your plan/i);
    expect(run.stderr).not.toContain(badKey);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(sandbox.stats().requests[BATCH]).toBeUndefined();

    for (const args of [
      ["credits"],
      ["tiers"],
      ["health"],
      ["status"],
      ["lookup", "--first", "A", "--last", "B", "--company", "C"],
    ]) {
      const r = await runCli(args, { env: keyEnv });
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toMatch(/refused the key .*HTTP 403 Forbidden/);
    }
    expect(sandbox.stats().creditsDebited).toBe(0);
  });

  it("403 Missing Authentication Token (the stage left out of the base URL): exit 2, naming the URL tried", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ gateway: { stage: "/prod" } });
    const input = writeCsv(s.tmp.file("leads.csv"), leadRows(5));
    // env points at the bare origin; the API lives under /prod.
    const wrong = await enrich(input, [], env);
    expect(wrong.code, wrong.stderr).toBe(2);
    expect(wrong.stderr).toContain(`GET ${sandbox.url}/creditos`);
    expect(wrong.stderr).toMatch(/wrong base URL .*stage such as \/prod/);
    expect(sandbox.stats().requests[`${BATCH.replace("/crm", "/prod/crm")}`]).toBeUndefined();
    const credits = await runCli(["credits"], { env });
    expect(credits.code).toBe(2);
    expect(credits.stderr).toContain("Missing Authentication Token");

    const right = await enrich(input, [], { ...env, FLUENCE_BASE_URL: sandbox.apiUrl });
    expect(right.code, right.stderr).toBe(0);
  });

  it("a 404 whose body is not the service's, from a utility endpoint: a wrong base URL, exit 2", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const r = await runCli(["credits"], { env: { ...env, FLUENCE_BASE_URL: `${sandbox.url}/v2` } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no endpoint at GET http:\/\/127\.0\.0\.1:\d+\/v2\/creditos \(HTTP 404\)/);
    expect(r.stderr).not.toMatch(/matching profile/);
  });
});

describe("fluence behind API Gateway: quota, throttling, timeouts", () => {
  it("stops within seconds when the quota runs out mid-run; unsent rows are QUOTA_EXCEEDED, exit 4", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ gateway: true, latencyMs: 300, rateLimit: 100_000 });
    // The preflight /creditos is one request; eight batches fit after it.
    sandbox.setQuota(sandbox.keys.enterprise, 9);
    let arrivedAtFirstRefusal: number | undefined;
    const watched = await s.proxy(sandbox.url, (exchange) => {
      if (exchange.status === 429 && arrivedAtFirstRefusal === undefined) {
        arrivedAtFirstRefusal = watched.batches.length;
      }
    });
    const rows = idRows(leadRows(300));
    const input = writeCsv(s.tmp.file("quota.csv"), rows);
    const started = Date.now();
    const r = await enrich(input, ["--rate", "600"], { ...env, FLUENCE_BASE_URL: watched.url });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/request quota for this period is spent/);

    const out = readOutputs(s.tmp.dir, "quota");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched).toHaveLength(80);
    const errors = [...errorsById(out).values()];
    expect(errors).toHaveLength(220);
    for (const e of errors) expect(e).toMatchObject({ code: "QUOTA_EXCEEDED", retryable: "true" });
    expect(out.summary).toMatchObject({
      stopped: "quota",
      exit_code: 4,
      errors_by_code: { QUOTA_EXCEEDED: 220 },
    });
    // Nothing new reached the server after the first Limit Exceeded (one batch may have been on the wire
    // while that answer travelled back); the batches in flight before it landed and were enriched.
    expect(arrivedAtFirstRefusal).toBeDefined();
    expect(watched.batches.length - arrivedAtFirstRefusal!).toBeLessThanOrEqual(1);
    expect(sandbox.stats().quotaRefused).toBeLessThanOrEqual(2);

    // The next period: only the rows not enriched are sent.
    sandbox.setQuota(sandbox.keys.enterprise, 1000);
    sandbox.resetStats();
    const again = await enrich(input, ["--rate", "600"], env);
    expect(again.code, again.stderr).toBe(0);
    expect(sandbox.stats().profilesReceived).toBe(220);
  });

  it("retries 429 Too Many Requests (no Retry-After) with a bounded backoff and loses nothing", async () => {
    const s = setup();
    // A token bucket of 5 requests a second with a burst of 2, far below --rate 6000.
    const { sandbox, env } = await s.sandbox({ gateway: { burst: 2 }, rateLimit: 5, rateWindowMs: 1000 });
    const rows = idRows(leadRows(60));
    const input = writeCsv(s.tmp.file("throttle.csv"), rows);
    const started = Date.now();
    const r = await enrich(input, [], env);
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    const out = readOutputs(s.tmp.dir, "throttle");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched).toHaveLength(60);
    expect(out.summary.rate_limited).toBeGreaterThan(0);
    // The sandbox also counts a throttled /creditos at the end; fluence counts its batches.
    expect(out.summary.rate_limited).toBeLessThanOrEqual(sandbox.stats().rateLimited);
    expect(sandbox.stats().creditsDebited).toBe(60);
    // The pace came down from the 6000/min asked for toward what the bucket allows.
    expect(out.summary.rate_per_minute as number).toBeLessThan(6000);
  });

  it("a 504 after charging is in doubt; the batch shrinks to what fits the gateway, once; nothing lost", async () => {
    const s = setup();
    // 10 profiles take 50 + 10 x 17 = 220 ms, past the 200 ms integration timeout; 7 take 169 ms, under
    // 85% of it (170 ms); 8 take 186 ms.
    const { sandbox, env } = await s.sandbox({
      gateway: { integrationTimeoutMs: 200 },
      latencyMs: 50,
      latencyPerProfileMs: 17,
      rateLimit: 100_000,
    });
    const rows = idRows(leadRows(150));
    const input = writeCsv(s.tmp.file("slow.csv"), rows);
    const r = await enrich(input, ["--concurrency", "1", "--gateway-timeout", "0.2", "--debug"], env);
    expect(r.code, r.stderr).toBe(0);
    const out = readOutputs(s.tmp.dir, "slow");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched).toHaveLength(150);
    const summary = out.summary as typeof out.summary & {
      gateway_timeouts: number;
      batch_sizes: Record<string, number>;
      failed_requests: Array<{ status: number; request_id: string | null }>;
    };
    // Only the first batch, sent before any answer said how long a batch takes, timed out: the size then
    // came from the time per profile, and never went back to a size that does not fit.
    expect(summary.gateway_timeouts).toBe(1);
    expect(summary.in_doubt).toBe(10);
    expect(summary.batch_sizes["10"]).toBe(1);
    const sizes = Object.keys(summary.batch_sizes).map(Number);
    expect(Math.max(...sizes.filter((n) => n !== 10))).toBeLessThanOrEqual(8);
    // Mostly 6 or 7 (5 on a loaded machine, whose clock sees slower answers): with one size answering,
    // the time is read as all per profile (the 50 ms fixed part too), which errs toward a batch that fits.
    const [mostUsed] = Object.entries(summary.batch_sizes).sort((a, b) => b[1] - a[1])[0]!;
    expect(Number(mostUsed)).toBeGreaterThanOrEqual(5);
    expect(Number(mostUsed)).toBeLessThanOrEqual(8);
    expect(r.stderr).toMatch(/fluence: the API slowed to .* for 10 profiles; sending \d at a time/);
    // The service finished the timed-out work and charged it: the books show it, in doubt.
    await until(() => sandbox.stats().creditsDebited === 160);
    expect(summary.billing_check.ok).toBe(false);
    expect(summary.billing_check.mismatch).toMatch(/in doubt/);
    // Each failed request carries the gateway's request id, in the summary and in --debug output.
    const ids = summary.failed_requests.map((f) => f.request_id);
    expect(ids).toHaveLength(1);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(sandbox.stats().failedRequestIds).toContain(id);
      expect(r.stderr).toContain(`x-amzn-RequestId ${id}`);
    }
  });

  it("a slow spell: the batch shrinks as answers slow toward the timeout, before any 504, and 10 comes back", async () => {
    const s = setup();
    // Scaled 58x from production: a batch of 10 takes 50 + 10 x 25 = 300 ms; the spell adds up to 25 ms a
    // profile over 4 s, so at its height a batch of 10 takes 550 ms, past the 500 ms gateway timeout,
    // and a batch of 7 takes 400 ms, under 85% of it (425 ms). Then it holds 1 s and falls over 1 s.
    const spell = { atMs: 500, rampMs: 4_000, holdMs: 1_000, fallMs: 1_000, extraPerProfileMs: 25 };
    const { sandbox, env } = await s.sandbox({
      gateway: { integrationTimeoutMs: 500 },
      latencyMs: 50,
      latencyPerProfileMs: 25,
      latencySpells: [spell],
      rateLimit: 100_000,
    });
    const rows = idRows(leadRows(700));
    const input = writeCsv(s.tmp.file("spell.csv"), rows);
    const r = await enrich(input, ["--concurrency", "3", "--gateway-timeout", "0.5"], env);
    expect(r.code, r.stderr).toBe(0);
    const out = readOutputs(s.tmp.dir, "spell");
    expectEveryRowOnce(rows, out, expect);
    const summary = out.summary as typeof out.summary & {
      gateway_timeouts: number;
      batch_sizes: Record<string, number>;
      duration_ms: number;
    };
    // The run outlasted the spell, or the way back to 10 proves nothing.
    expect(summary.duration_ms).toBeGreaterThan(spell.atMs + spell.rampMs + spell.holdMs + spell.fallMs);
    expect(summary.gateway_timeouts).toBe(0);
    expect(sandbox.stats().gatewayTimeouts).toBe(0);
    expect(summary.in_doubt).toBe(0);
    expect(sandbox.stats().creditsDebited).toBe(700);
    const smaller = Object.entries(summary.batch_sizes).filter(([size]) => Number(size) < 10);
    expect(smaller.length).toBeGreaterThan(0);
    // Never to 1 for nothing: 6 fits at the spell's height (350 ms of 425). A smaller batch than 5 can only
    // be the file's last one.
    const tiny = smaller.filter(([size]) => Number(size) < 5);
    expect(tiny.reduce((n, [, count]) => n + count, 0)).toBeLessThanOrEqual(1);
    expect(r.stderr).toMatch(/fluence: the API slowed to .* for 10 profiles; sending [5-9] at a time/);
    expect(r.stderr).toMatch(
      /fluence: the API is quicker again \(.* for 10 profiles\); sending 10 at a time/,
    );
  });
});

describe("quotas count requests, not profiles", () => {
  it("credits shows the monthly request quota and its use; the dry run warns when a run needs more", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ gateway: true });
    sandbox.setQuota(sandbox.keys.enterprise, 12);
    const credits = await runCli(["credits"], { env });
    expect(credits.code).toBe(0);
    expect(credits.stdout).toMatch(/Monthly quota:\s+12 requests \(1 used this period\)/);
    expect(credits.stdout).toMatch(/basic analysis .* 1 credit a person, complete .* 2/);

    const input = writeCsv(s.tmp.file("big.csv"), leadRows(200));
    const dry = await enrich(input, ["--dry-run", "--json"], env);
    expect(dry.code, dry.stderr).toBe(0);
    const report = JSON.parse(dry.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      requests_needed: 20,
      monthly_request_quota: 12,
      requests_used: 2,
      analysis: "basic",
      credits_per_profile: 1,
    });
    expect(report.quota_warning).toMatch(/needs 20 requests but the plan allows 12 a month/);
    const text = await enrich(input, ["--dry-run"], env);
    expect(text.stdout).toMatch(/Requests: 20 \(the plan allows 12 a month, 3 used\)/);
    expect(text.stdout).toMatch(/Warning: .*QUOTA_EXCEEDED/);
    expect(sandbox.stats().requests[BATCH]).toBeUndefined();
  });
});
