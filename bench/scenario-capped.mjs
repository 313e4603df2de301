// Scenario 3: a server that processes only 6 batches at once (503 beyond), 2 s a batch, a rate limit that is
// not the bound (1,000 requests/min, fluence --rate 1000). fluence must find about 6 in flight by itself.
import {
  capacityPerMinute,
  fmt,
  fmtPercent,
  fraction,
  idealMs,
  perMinute,
  targetRow,
  verdict,
} from "./bench-math.mjs";
import { commandBlock, phasesTable, runTable } from "./run-tables.mjs";
import { measureRun } from "./sandbox-run.mjs";

export const CAPPED = { maxConcurrentBatches: 6, latencyMs: 2_000, rateLimit: 1_000, rateWindowMs: 60_000 };
const CAPACITY_TARGET = 0.8;
const REFUSED_TARGET = 0.1;

/** @param {{ rows: number, quick: boolean, cpuProfDir?: string, log: (l: string) => void }} spec */
export async function measureCapped(spec) {
  const capacity = capacityPerMinute(CAPPED);
  spec.log(`  ${fmt(spec.rows)} rows against 6 at once x 2 s (capacity ${fmt(capacity)} profiles/min)...`);
  const r = await measureRun({
    id: "s3",
    rows: spec.rows,
    sandboxOptions: CAPPED,
    flags: ["--rate", "1000"],
    cpuProfDir: spec.cpuProfDir,
  });
  const run = {
    ...r,
    perMin: perMinute(r.enriched, r.durationMs),
    ofCapacity: fraction(perMinute(r.enriched, r.durationMs), capacity),
    refusedShare: fraction(r.refusedOverCapacity, r.batchRequests),
    idealMs: idealMs({
      batches: r.batchesNeeded,
      ratePerMinute: capacity / 10,
      meanLatencyMs: CAPPED.latencyMs,
    }),
  };
  run.efficiency = run.idealMs / run.durationMs;
  run.wallEfficiency = run.idealMs / run.wallMs;
  spec.log(
    `    ${fmt(run.perMin)} profiles/min = ${fmtPercent(run.ofCapacity)} of capacity; ${run.refusedOverCapacity} of ${run.batchRequests} batches refused; limit ${run.concurrencyLimit}, max ${run.maxInFlight} in flight`,
  );
  return { sandboxOptions: CAPPED, capacity, runs: [run], quick: spec.quick };
}

export function cappedSection(m) {
  const r = m.runs[0];
  const capVerdict = verdict(r.ofCapacity, CAPACITY_TARGET);
  const refusedVerdict = verdict(r.refusedShare, REFUSED_TARGET, { atLeast: false });
  const nothingLost = r.exitCode === 0 && r.enriched === r.rows && r.errorRows === 0;
  return {
    targets: [
      targetRow(3, `>= ${CAPACITY_TARGET} of the server's capacity`, fmt(r.ofCapacity, 3), capVerdict),
      targetRow(
        3,
        `<= ${fmtPercent(REFUSED_TARGET, 0)} of batches refused (503)`,
        `${fmtPercent(r.refusedShare)} (${fmt(r.refusedOverCapacity)} of ${fmt(r.batchRequests)})`,
        refusedVerdict,
      ),
      targetRow(
        3,
        "nothing lost (every row enriched, exit 0)",
        `${fmt(r.enriched)}/${fmt(r.rows)}, exit ${r.exitCode}`,
        nothingLost ? "MET" : "MISSED",
      ),
    ],
    markdown: [
      m.quick
        ? `**Ran quick** (\`--quick\`): ${fmt(r.rows)} rows instead of 2,400; the figures are not the full scenario's.`
        : "",
      `A server that processes at most 6 batches at once and answers 503 (uncharged) beyond, 2 s a batch, a rate limit of 1,000 requests/min that is never the bound; fluence \`--rate 1000\`, otherwise default flags (\`--concurrency auto\`, so the AIMD limit has to find the server's 6). ${fmt(r.rows)} rows.`,
      `Capacity: 6 batches per 2 s = 180 batches = **${fmt(m.capacity)} profiles/min**; at that pace the ideal for ${fmt(r.batchesNeeded)} batches is (B - 1) x 60/180 + 2 s = ${fmt(r.idealMs / 1000, 1)} s.`,
      "",
      commandBlock(m.sandboxOptions, [r.command]),
      "",
      runTable(m.runs, [
        "rows",
        "enriched",
        "errorRows",
        "exit",
        "durationS",
        "wallS",
        "perMin",
        "batchRequests",
        "refused",
        "retries",
        "maxInFlight",
        "limit",
        "serverPeak",
        "latency",
      ]),
      "",
      phasesTable(m.runs),
      "",
      `- Throughput: ${fmt(r.enriched)} profiles / ${fmt(r.durationMs / 1000, 2)} s duration_ms = ${fmt(r.perMin)} profiles/min = **${fmt(r.ofCapacity, 3)}** of capacity (ideal / duration_ms: ${fmt(r.efficiency, 3)}; on wall: ${fmt(r.wallEfficiency, 3)}). Target >= ${CAPACITY_TARGET}: **${capVerdict}**.`,
      `- Refused over capacity (sandbox \`refusedOverCapacity\` / batch requests): ${fmt(r.refusedOverCapacity)} / ${fmt(r.batchRequests)} = **${fmtPercent(r.refusedShare)}**. Target <= ${fmtPercent(REFUSED_TARGET, 0)}: **${refusedVerdict}**.`,
      `- Nothing lost: ${fmt(r.enriched)} of ${fmt(r.rows)} enriched, ${fmt(r.errorRows)} error rows, exit ${r.exitCode}: **${nothingLost ? "MET" : "MISSED"}**.`,
      `- Final \`concurrency_limit\` **${fmt(r.concurrencyLimit)}**, \`max_in_flight\` **${fmt(r.maxInFlight)}** (the server never processed more than ${fmt(r.peakBatchConcurrency)}).`,
    ]
      .filter((line, i) => i > 0 || line !== "")
      .join("\n"),
  };
}
