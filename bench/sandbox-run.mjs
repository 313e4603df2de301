// One measured `fluence enrich` of a send-stage scenario: a fresh sandbox on a random loopback port (in this
// process, its request log kept with arrival times), a fresh store, the child run, and one record of what
// the summary, the sandbox's counters and the log say. Scenarios 1-5 are built of these.
import { rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { DEFAULT_ENRICH_SETTINGS } from "../dist/pipeline/index.js";
import { startSandbox } from "../dist/sandbox/index.js";
import { RATE_MARGIN } from "../dist/send/rate-pacer.js";
import { batchesFor, parseSandboxLogLine, runPhases } from "./bench-math.mjs";
import { dataPath, ensurePeopleCsv, freshStorePath, removeStore } from "./data-files.mjs";
import { runFluence } from "./fluence-run.mjs";

/** Plenty: the bench measures pace, not the credit guard. */
export const CREDITS = 100_000_000;
export const BATCH_ROUTE = "POST /crm_basico_batch";
/** The pacer's margin as built (src/send/rate-pacer.ts). */
export const SHIPPED_MARGIN = RATE_MARGIN;

/** A sandbox whose request log lands in `requests` ({ route, status, arrivedAt, answeredAt, ms }). */
export async function startLoggedSandbox(options) {
  const requests = [];
  const sandbox = await startSandbox({
    ...options,
    log: (line) => {
      const r = parseSandboxLogLine(line, performance.now());
      if (r) requests.push(r);
    },
  });
  return { sandbox, requests };
}

/** Which batch requests, numbered in order of arrival from 1, were answered 429. */
function refusedBatchNumbers(requests) {
  return requests
    .filter((r) => r.route === BATCH_ROUTE)
    .sort((a, b) => a.arrivedAt - b.arrivedAt)
    .flatMap((r, i) => (r.status === 429 ? [i + 1] : []));
}

/** The --rate a run's flags give fluence. */
function clientRateOf(flags) {
  const at = flags.indexOf("--rate");
  return at >= 0 ? Number(flags[at + 1]) : DEFAULT_ENRICH_SETTINGS.ratePerMinute;
}

/**
 * @param {{ id: string, rows: number, sandboxOptions: object, flags?: string[], margin?: number,
 *   env?: Record<string, string>, timeoutMs?: number, cpuProfDir?: string, settleMs?: number }} spec
 *   flags are fluence's (beyond the input, --base-url, --out-dir and --json); margin (default: the shipped
 *   RATE_MARGIN) other than the shipped one loads dist/ through bench/rate-margin.mjs with that margin
 */
export async function measureRun(spec) {
  const flags = spec.flags ?? [];
  const margin = spec.margin ?? SHIPPED_MARGIN;
  const override = margin !== SHIPPED_MARGIN;
  const { file: input } = await ensurePeopleCsv(spec.rows);
  const sandboxStartedAt = performance.now();
  const { sandbox, requests } = await startLoggedSandbox({ credits: CREDITS, ...spec.sandboxOptions });
  const store = freshStorePath(`${spec.id}-store`);
  const outDir = dataPath(`${spec.id}-out`);
  try {
    const r = await runFluence({
      sandbox,
      input,
      store,
      outDir,
      extra: flags,
      nodeFlags: override ? ["--import", "./bench/rate-margin.mjs"] : [],
      env: { ...spec.env, ...(override ? { FLUENCE_BENCH_RATE_MARGIN: String(margin) } : {}) },
      timeoutMs: spec.timeoutMs,
      cpuProfDir: spec.cpuProfDir,
    });
    const s = r.summary ?? {};
    const stats = r.stats;
    const clientRate = clientRateOf(flags);
    const expectedRate = Math.round(clientRate * (1 - margin) * 10) / 10;
    // Unthrottled, the pacer ends at --rate x (1 - margin): proof that an override took effect.
    if (override && s.rate_limited === 0 && Math.abs(s.rate_per_minute - expectedRate) > 0.11) {
      throw new Error(
        `margin ${margin}: rate_per_minute ${s.rate_per_minute}, expected ${expectedRate}: the override did not take effect`,
      );
    }
    const batchRequests = stats.requests[BATCH_ROUTE] ?? 0;
    // Work behind a 504 finishes (and is charged) up to a batch's latency later.
    if (spec.settleMs) await sleep(spec.settleMs);
    return {
      rows: spec.rows,
      margin,
      override,
      clientRate,
      batchesNeeded: batchesFor(spec.rows),
      code: r.code,
      timedOut: r.timedOut,
      stderrTail: r.stderr.trim().split("\n").slice(-6).join("\n"),
      summary: r.summary,
      enriched: s.enriched ?? 0,
      errorRows: r.errorRows ?? Number.NaN,
      stopped: s.stopped ?? null,
      exitCode: s.exit_code ?? r.code,
      durationMs: s.duration_ms ?? Number.NaN,
      wallMs: r.wallMs,
      batches: s.batches ?? Number.NaN,
      retries: s.retries ?? Number.NaN,
      batchRequests,
      creditsRequests: Object.entries(stats.requests)
        .filter(([route]) => route.endsWith(" /creditos"))
        .reduce((a, [, n]) => a + n, 0),
      status429: stats.statuses["429"] ?? 0,
      status503: stats.statuses["503"] ?? 0,
      serverRateLimited: stats.rateLimited,
      refusedOverCapacity: stats.refusedOverCapacity,
      peakBatchConcurrency: stats.peakBatchConcurrency,
      maxInFlight: s.max_in_flight ?? Number.NaN,
      concurrencyLimit: s.concurrency_limit ?? Number.NaN,
      ratePerMinute: s.rate_per_minute ?? Number.NaN,
      latencyP50: s.latency_ms?.p50 ?? Number.NaN,
      latencyP95: s.latency_ms?.p95 ?? Number.NaN,
      batchSizes: s.batch_sizes ?? {},
      errorsByCode: s.errors_by_code ?? {},
      retryableFailures: s.retryable_failures ?? Number.NaN,
      phases: runPhases(requests, { spawnedAt: r.spawnedAt, exitedAt: r.exitedAt, batchRoute: BATCH_ROUTE }),
      refusedBatches: refusedBatchNumbers(requests),
      creditsDebited: sandbox.stats().creditsDebited,
      gatewayTimeouts: stats.gatewayTimeouts,
      requests,
      sandboxStartedAt,
      cpuS: r.cpuS,
      maxRSSMB: r.maxRSSMB,
      command: r.command,
    };
  } finally {
    await sandbox.close();
    removeStore(store);
    rmSync(outDir, { recursive: true, force: true });
  }
}
