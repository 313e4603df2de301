import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { rowErrorInfo } from "../../src/send/row-codes.js";
import {
  STOP_REASONS,
  STOPS,
  type StopReason,
  type StopRecord,
  unsentRows,
} from "../../src/send/stop-reasons.js";
import { type CliResult, collect, leadRows, spawnCli, writeCsv } from "../helpers/cli-harness.js";
import { fillDisk, mountTinyDisk, SKIP_MOUNT_TESTS } from "../helpers/machine-failures.js";
import {
  enrich,
  errorsById,
  expectEveryRowOnce,
  FAST,
  idRows,
  readOutputs,
  type Scenario,
  until,
  useScenarios,
} from "./enrich-helpers.js";
import { storedOutcomes } from "./store-kit.js";

const setup = useScenarios();

const BATCH = "POST /crm_basico_batch";

/** Rewrites the path of every batch request after the first `passing` to `to` (a key revoked, a route gone). */
async function tamperingProxy(
  s: Scenario,
  target: URL,
  passing: number,
  tamper: (headers: Record<string, unknown>) => string | undefined,
) {
  let batches = 0;
  const server = createServer((req, res) => {
    const headers: Record<string, unknown> = { ...req.headers };
    const path =
      req.url === "/crm_basico_batch" && ++batches > passing ? (tamper(headers) ?? req.url) : req.url;
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path, headers: headers as never },
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
 * How to make a real run stop for each reason, against the sandbox. Typed by the stop table: a reason
 * added there without a way to provoke it here does not compile.
 */
const PROVOKE: Record<StopReason, (s: Scenario, input: string) => Promise<CliResult>> = {
  credits: async (s, input) => {
    const { env } = await s.sandbox({ credits: 15 });
    return enrich(input, ["--concurrency", "1"], env);
  },
  budget: async (s, input) => {
    const { env } = await s.sandbox();
    return enrich(input, ["--max-credits", "15", "--concurrency", "1"], env);
  },
  quota: async (s, input) => {
    const { sandbox, env } = await s.sandbox({ gateway: true, rateLimit: 100_000 });
    // The preflight /creditos is one request; two batches fit after it.
    sandbox.setQuota(sandbox.keys.enterprise, 3);
    return enrich(input, ["--concurrency", "1"], env);
  },
  rate_limited: async (s, input) => {
    const { env } = await s.sandbox({ faults: { error429: 1 }, latencyMs: 5 });
    return enrich(input, ["--retries", "1", "--concurrency", "1"], env);
  },
  interrupted: async (s, input) => {
    const { sandbox, env } = await s.sandbox({ latencyMs: 500 });
    const child = spawnCli(["enrich", input, ...FAST, "--concurrency", "1"], { env });
    const done = collect(child, { timeoutMs: 30_000 });
    await until(() => (sandbox.stats().requests[BATCH] ?? 0) >= 1);
    child.kill("SIGINT");
    return done;
  },
  store: async (s, input) => {
    // The store's disk fills up mid-run: built, not hoped for, by taking all the room df reports once the
    // first batches are in the store, so the next commit fails (SQLITE_FULL).
    const { env } = await s.sandbox({ latencyMs: 500 });
    const disk = mountTinyDisk(2048);
    s.onRelease(async () => disk.release());
    const store = path.join(disk.dir, "store.sqlite");
    const child = spawnCli(["enrich", input, ...FAST, "--concurrency", "1", "--store", store], {
      env: { ...env, XDG_CACHE_HOME: s.tmp.file("cache") },
    });
    const done = collect(child, { timeoutMs: 30_000 });
    await until(() => storedOutcomes(store) >= 10);
    expect(fillDisk(disk.dir)).toBe(0);
    return done;
  },
  auth: async (s, input) => {
    const { sandbox, env } = await s.sandbox();
    const url = await tamperingProxy(s, new URL(sandbox.url), 1, (headers) => {
      headers["x-api-key"] = "R".repeat(40);
      return undefined;
    });
    return enrich(input, ["--concurrency", "1"], { ...env, FLUENCE_BASE_URL: url });
  },
  endpoint: async (s, input) => {
    const { sandbox, env } = await s.sandbox();
    const url = await tamperingProxy(s, new URL(sandbox.url), 1, () => "/v0/crm_basico_batch");
    return enrich(input, ["--concurrency", "1"], { ...env, FLUENCE_BASE_URL: url });
  },
};

describe("every way a run stops, end to end, as the stop table says", () => {
  it("the table is complete: every reason has an exit, a row code the errors file knows, a sentence", () => {
    expect(STOP_REASONS.sort()).toEqual(Object.keys(PROVOKE).sort());
    for (const reason of STOP_REASONS) {
      const stop: StopRecord = STOPS[reason];
      expect(rowErrorInfo(stop.rowCode).retryable, reason).toBe(stop.retryable);
      expect(unsentRows(reason).message, reason).toMatch(
        /^Not sent: .+\. [A-Z].+; only these rows are sent\.$/,
      );
    }
  });

  it.each(STOP_REASONS)(
    "%s: exit code, summary, errors file and terminal agree with the table",
    async (reason) => {
      if (reason === "store" && SKIP_MOUNT_TESTS) return;
      const s = setup();
      const rows = idRows(leadRows(40));
      const input = writeCsv(s.tmp.file("stop.csv"), rows);
      const result = await PROVOKE[reason](s, input);
      const stop: StopRecord = STOPS[reason];

      expect(result.code, result.stderr).toBe(stop.exit);
      expect(result.stderr).toContain(`stopping: ${stop.why}`);
      const out = readOutputs(s.tmp.dir, "stop");
      expectEveryRowOnce(rows, out, expect);
      expect(out.summary).toMatchObject({ stopped: reason, exit_code: stop.exit });
      const unsent = [...errorsById(out).values()].filter(
        (e) => e.code !== "RATE_LIMITED" || reason === "rate_limited",
      );
      expect(unsent.length, reason).toBeGreaterThan(0);
      for (const failure of unsent) expect(failure.retryable).toBe(String(stop.retryable));
      if (stop.apiWords) {
        // The API's own refusal names the fix: its code and words are the rows' and the summary's.
        expect(out.summary.stop_message).toBe(unsent[0]!.message);
      } else {
        const { code, message } = unsentRows(reason);
        expect(out.summary.stop_message).toBe(message);
        expect(unsent.filter((e) => e.code === code && e.message === message).length).toBeGreaterThan(0);
        expect(result.stderr).toContain(message.replace(/^Not sent: /, "").slice(0, 20));
      }
    },
  );
});
