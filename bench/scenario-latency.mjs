// Scenario 1 (the API's real latency: 16-19 s a batch, 100 requests a minute, default flags, beside the
// docs' loop) and scenario 2 (the same scaled down 10x, --rate 1000).

import { setTimeout as sleep } from "node:timers/promises";
import {
  allMet,
  fmt,
  fmtPercent,
  idealMs,
  markdownTable,
  meanLatencyMs,
  median,
  ratePerMinuteOf,
  scoreRun,
  targetRow,
  verdict,
} from "./bench-math.mjs";
import { ensurePeopleCsv } from "./data-files.mjs";
import { commandBlock, medianRecord, phasesTable, runTable } from "./run-tables.mjs";
import { measureRun } from "./sandbox-run.mjs";
import { DOCS_SLEEP_MS, measureDocsLoop } from "./scenario-docs-loop.mjs";
import { withMarginFigures } from "./scenario-pace.mjs";

export const REAL = { latencyMs: 16_000, latencyJitterMs: 3_000, rateLimit: 100, rateWindowMs: 60_000 };
export const SCALED = { latencyMs: 1_600, latencyJitterMs: 300, rateLimit: 100, rateWindowMs: 6_000 };
const S1_TARGET = 0.9;
/** Between the starts of scenario 4's margin runs beside scenario 1. */
const MARGIN_STAGGER_MS = 5_000;
/** The vendor's batch-processing page: 100 profiles in 150-200 s, sequentially. */
const VENDOR_100_MS = [150_000, 200_000];

const COLUMNS = [
  "rows",
  "enriched",
  "exit",
  "durationS",
  "wallS",
  "idealS",
  "efficiency",
  "wallEfficiency",
  "perMin",
  "batchRequests",
  "status429",
  "maxInFlight",
  "limit",
  "latency",
  "rate",
];

function littleNeed(sandboxOptions) {
  return (ratePerMinuteOf(sandboxOptions) / 60_000) * meanLatencyMs(sandboxOptions);
}

/**
 * Scenario 1: one fluence run with default flags and, at the same time on a sandbox of its own, the docs'
 * loop over `docsRows` rows (both are waits on 16-19 s answers; running them together saves ~80 s and
 * neither loads the machine).
 * @param {{ rows: number, docsRows: number, quick: boolean, cpuProfDir?: string, log: (l: string) => void }} spec
 */
export async function measureRealLatency(spec) {
  const sandboxOptions = { ...REAL };
  const ideal = { ratePerMinute: ratePerMinuteOf(REAL), meanLatencyMs: meanLatencyMs(REAL) };
  const margins = spec.margins ?? [];
  spec.log(
    `  fluence: ${fmt(spec.rows)} rows at 16-19 s a batch (ideal ${fmt(idealMs({ batches: Math.ceil(spec.rows / 10), ...ideal }) / 1000, 1)} s); docs loop: ${fmt(spec.docsRows)} rows${margins.length ? `; fluence at RATE_MARGIN ${margins.map((x) => fmtPercent(x, 2)).join(", ")} (for scenario 4)` : ""}, alongside...`,
  );
  // Generated before anything starts, so the runs below never write the same file at once.
  await ensurePeopleCsv(spec.rows);
  await ensurePeopleCsv(spec.docsRows);
  // The margin runs start once the main run is past its start-up, so they do not share its CPU then.
  const marginRuns = Promise.all(
    margins.map(async (margin, i) => {
      await sleep(MARGIN_STAGGER_MS * (i + 1));
      let r;
      try {
        r = await measureRun({ id: `s1m${i}`, rows: spec.rows, sandboxOptions, flags: [], margin });
      } catch (error) {
        // Scenario 4's extra figure must not take scenario 1 down with it.
        spec.log(`    fluence at RATE_MARGIN ${fmtPercent(margin, 2)} CRASHED: ${error?.stack ?? error}`);
        return undefined;
      }
      const scored = withMarginFigures(r, sandboxOptions);
      spec.log(
        `    fluence at RATE_MARGIN ${fmtPercent(margin, 2)}: ${fmt(scored.durationMs / 1000, 1)} s, ${scored.status429} x 429, first batch ${fmt(scored.phases.preflightLeadMs)} ms after the preflight (${fmt(scored.leadNeededMs)} needed)`,
      );
      return scored;
    }),
  );
  const [run, docs, others] = await Promise.all([
    measureRun({ id: "s1", rows: spec.rows, sandboxOptions, flags: [], cpuProfDir: spec.cpuProfDir }).then(
      (r) => {
        const scored = { ...r, ...scoreRun(r, ideal) };
        spec.log(
          `    fluence: ${fmt(scored.durationMs / 1000, 1)} s, efficiency ${fmt(scored.efficiency, 3)}, ${scored.status429} x 429, max ${scored.maxInFlight} in flight`,
        );
        return scored;
      },
    ),
    measureDocsLoop({ rows: spec.docsRows, sandboxOptions }).then((d) => {
      spec.log(`    docs loop: ${fmt(d.durationMs / 1000, 1)} s, ${fmt(d.perMin, 1)} profiles/min`);
      return d;
    }),
    marginRuns,
  ]);
  const marginSweep = margins.length
    ? [withMarginFigures(run, sandboxOptions), ...others.filter((x) => x !== undefined)]
    : [];
  return { sandboxOptions, ideal, runs: [run], docs, marginSweep, quick: spec.quick };
}

/** Scenario 2: `runs` fluence runs at a tenth of the real latency and window, --rate 1000. */
export async function measureScaled(spec) {
  const sandboxOptions = { ...SCALED };
  const ideal = { ratePerMinute: ratePerMinuteOf(SCALED), meanLatencyMs: meanLatencyMs(SCALED) };
  const runs = [];
  for (let i = 1; i <= spec.runs; i++) {
    spec.log(`  run ${i}/${spec.runs}: ${fmt(spec.rows)} rows at 1.6-1.9 s a batch, --rate 1000...`);
    const r = await measureRun({
      id: "s2",
      rows: spec.rows,
      sandboxOptions: { ...sandboxOptions, seed: i },
      flags: ["--rate", "1000"],
      cpuProfDir: spec.cpuProfDir,
    });
    const scored = { ...r, seed: i, ...scoreRun(r, ideal) };
    spec.log(
      `    ${fmt(scored.durationMs / 1000, 2)} s, efficiency ${fmt(scored.efficiency, 3)}, ${scored.status429} x 429, max ${scored.maxInFlight} in flight`,
    );
    runs.push(scored);
  }
  return { sandboxOptions, ideal, runs, quick: spec.quick };
}

function idealLine(m) {
  const r = m.runs[0];
  return `Ideal for ${fmt(r.batchesNeeded)} batches at R = ${fmt(m.ideal.ratePerMinute)} requests/min and mean latency L = ${fmt(m.ideal.meanLatencyMs / 1000, 2)} s: (B - 1) x 60/R + L = ${fmt(r.batchesNeeded - 1)} x ${fmt(60 / m.ideal.ratePerMinute, 3)} s + ${fmt(m.ideal.meanLatencyMs / 1000, 2)} s = **${fmt(r.idealMs / 1000, 2)} s**. Little's law: R x L = ${fmt(littleNeed(m.sandboxOptions), 1)} batches must be in flight to keep the rate busy.`;
}

export function realLatencySection(m) {
  const r = m.runs[0];
  const d = m.docs;
  const zero429 = r.status429 === 0;
  const effVerdict = verdict(r.efficiency, S1_TARGET);
  const nothingLost = r.exitCode === 0 && r.enriched === r.rows;
  const ratio = r.perMin / d.perMin;
  const per100 = (d.durationMs / d.rows) * 100;
  return {
    targets: [
      targetRow(1, `efficiency >= ${S1_TARGET} (ideal / duration_ms)`, fmt(r.efficiency, 3), effVerdict),
      targetRow(1, "zero 429", fmt(r.status429), zero429 ? "MET" : "MISSED"),
    ],
    markdown: [
      m.quick
        ? `**Ran quick** (\`--quick\`): ${fmt(r.rows)} rows instead of 1,000, docs loop over ${fmt(d.rows)} rows instead of 100; the figures are not the full scenario's.`
        : "",
      `The API as deployed: 16-19 s a batch of 10 (uniform), 100 requests per 60 s (a sliding window, the plans' limit), fluence with **default flags** (\`--rate 100\`, \`--concurrency auto\`, \`--max-concurrency 64\`). ${fmt(r.rows)} distinct people, a fresh store.`,
      idealLine(m),
      "",
      commandBlock(m.sandboxOptions, [r.command, d.command]),
      "",
      runTable(m.runs, COLUMNS),
      "",
      "Where the time went (sandbox request log, same clock as spawn and exit):",
      "",
      phasesTable(m.runs),
      "",
      m.marginSweep.length > 1
        ? `Beside this run, each on a sandbox of its own with the same options, ran the docs' loop (below) and fluence at RATE_MARGIN ${m.marginSweep
            .filter((x) => x.override)
            .map((x) => fmtPercent(x.margin, 2))
            .join(
              ", ",
            )} (started ${MARGIN_STAGGER_MS / 1000} s apart; shown in scenario 4): all of them wait on 16-19 s answers and load the machine little.\n`
        : "",
      `The docs' \`process_large_dataset\` loop (\`bench/docs-loop.mjs\`: one batch of 10 at a time, \`time.sleep(0.5)\` = ${DOCS_SLEEP_MS} ms after each), at the same time against its own sandbox with the same options:`,
      "",
      markdownTable(
        [
          "rows",
          "ok",
          "failed batches",
          "duration s",
          "s per 100 profiles",
          "profiles/min",
          "429s",
          "peak in flight",
        ],
        [
          [
            fmt(d.rows),
            fmt(d.ok),
            fmt(d.failedBatches),
            fmt(d.durationMs / 1000, 1),
            fmt(per100 / 1000, 1),
            fmt(d.perMin, 1),
            fmt(d.status429),
            fmt(d.peak),
          ],
        ],
      ),
      "",
      `- Efficiency: ${fmt(r.idealMs / 1000, 2)} s ideal / ${fmt(r.durationMs / 1000, 2)} s duration_ms = **${fmt(r.efficiency, 3)}** (on wall time from spawn to exit: ${fmt(r.wallEfficiency, 3)}). Target >= ${S1_TARGET}: **${effVerdict}**.${r.efficiency > 1 ? " It can exceed 1 because L is the mean latency: the batches that end the run may draw shorter ones." : ""}`,
      `- 429s answered by the sandbox: ${fmt(r.status429)}. Target 0: **${zero429 ? "MET" : "MISSED"}**. Every row enriched, exit 0: ${nothingLost ? "yes" : `**no** (exit ${r.exitCode}, ${fmt(r.enriched)} of ${fmt(r.rows)} enriched)`}.`,
      `- In flight: at most **${fmt(r.maxInFlight)}** batches (Little's law needs ${fmt(littleNeed(m.sandboxOptions), 1)}; the limit at the end was ${fmt(r.concurrencyLimit)}); batch latency p50 ${fmt(r.latencyP50 / 1000, 2)} s, p95 ${fmt(r.latencyP95 / 1000, 2)} s, from the moment on the wire.`,
      `- Docs loop: ${fmt(d.rows)} profiles in ${fmt(d.durationMs / 1000, 1)} s (${fmt(per100 / 1000, 1)} s per 100; the vendor quotes ${VENDOR_100_MS[0] / 1000}-${VENDOR_100_MS[1] / 1000} s), ${fmt(d.perMin, 1)} profiles/min. fluence: ${fmt(r.perMin)} profiles/min. **fluence / docs loop = ${fmt(ratio, 1)}x** (no target; the plan's ceiling, 1,000 profiles/min, is ${fmt(1000 / d.perMin, 1)}x the loop).`,
    ]
      .filter((line, i) => i > 0 || line !== "")
      .join("\n"),
  };
}

export function scaledSection(m) {
  const mid = medianRecord(m.runs);
  const any429 = m.runs.some((r) => r.status429 > 0);
  const ok = allMet(m.runs.map((r) => r.exitCode === 0 && r.enriched === r.rows));
  return {
    targets: [
      targetRow(
        2,
        "none given: efficiency reported (ideal / duration_ms, median)",
        `${fmt(mid.efficiency, 3)}; ${m.runs.map((r) => r.status429).join(", ")} x 429`,
        "no target",
      ),
    ],
    markdown: [
      m.quick
        ? `**Ran quick** (\`--quick\`): ${fmt(m.runs[0].rows)} rows, ${m.runs.length} run(s); the figures are not the full scenario's.`
        : "",
      `Scenario 1 with every time scaled down 10x: 1.6-1.9 s a batch, 100 requests per 6 s (= 1,000/min), fluence \`--rate 1000\` (otherwise default flags). ${fmt(m.runs[0].rows)} rows, ${m.runs.length} run(s) with jitter seeds 1..${m.runs.length}, a fresh sandbox and store each.`,
      idealLine(m),
      "",
      commandBlock(m.sandboxOptions, [m.runs[0].command]),
      "",
      runTable(m.runs, COLUMNS),
      "",
      phasesTable(m.runs),
      "",
      `- Efficiency (median of ${m.runs.length}): **${fmt(mid.efficiency, 3)}** (on wall: ${fmt(mid.wallEfficiency, 3)}). No hard target is given for this scenario; it is the quick stand-in for scenario 1, whose fixed costs (start-up, the last answer, the write pass) weigh 10x more here.`,
      `- 429s: ${m.runs.map((r) => r.status429).join(", ")}${any429 ? "" : " (none)"}; max in flight ${m.runs.map((r) => r.maxInFlight).join(", ")} (Little's law needs ${fmt(littleNeed(m.sandboxOptions), 1)}); every row enriched, exit 0: ${ok === "MET" ? "yes" : "**no**"}.`,
      `- Median profiles/min: ${fmt(median(m.runs.map((r) => r.perMin)))} of the 10,000 the scaled plan allows.`,
    ]
      .filter((line, i) => i > 0 || line !== "")
      .join("\n"),
  };
}
