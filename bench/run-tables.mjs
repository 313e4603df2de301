// Markdown tables of measured runs (records of sandbox-run.mjs): each scenario picks its columns by name.
import { fmt, fmtPercent, markdownTable, median, sandboxCommandLine } from "./bench-math.mjs";
import { CREDITS } from "./sandbox-run.mjs";

/** Column name -> [header, cell of one run record]. */
export const COLUMNS = {
  rows: ["rows", (r) => fmt(r.rows)],
  enriched: ["enriched", (r) => fmt(r.enriched)],
  errorRows: ["error rows", (r) => fmt(r.errorRows)],
  exit: ["exit", (r) => (r.timedOut ? "killed" : String(r.exitCode))],
  durationS: ["duration_ms (s)", (r) => fmt(r.durationMs / 1000, 2)],
  wallS: ["wall s (spawn to exit)", (r) => fmt(r.wallMs / 1000, 2)],
  idealS: ["ideal s", (r) => fmt(r.idealMs / 1000, 2)],
  efficiency: ["efficiency (ideal / duration_ms)", (r) => `**${fmt(r.efficiency, 3)}**`],
  wallEfficiency: ["efficiency on wall", (r) => fmt(r.wallEfficiency, 3)],
  perMin: ["profiles/min", (r) => fmt(r.perMin)],
  batchRequests: ["batch requests", (r) => fmt(r.batchRequests)],
  status429: ["429s", (r) => fmt(r.status429)],
  refused: ["503 over capacity", (r) => fmt(r.refusedOverCapacity)],
  maxInFlight: ["max_in_flight", (r) => fmt(r.maxInFlight)],
  limit: ["concurrency_limit (end)", (r) => fmt(r.concurrencyLimit)],
  serverPeak: ["server peak batches", (r) => fmt(r.peakBatchConcurrency)],
  latency: ["latency p50 / p95 ms", (r) => `${fmt(r.latencyP50)} / ${fmt(r.latencyP95)}`],
  rate: ["rate_per_minute (end)", (r) => fmt(r.ratePerMinute, 1)],
  retries: ["retries", (r) => fmt(r.retries)],
  margin: ["RATE_MARGIN", (r) => fmtPercent(r.margin, 2)],
  lead: ["first batch after preflight ms", (r) => fmt(r.phases.preflightLeadMs)],
  leadNeeded: [
    "lead needed ms",
    (r) => (Number.isFinite(r.leadNeededMs) ? fmt(r.leadNeededMs) : "n/a (< 1 window)"),
  ],
  slack: ["margin's slack per window ms", (r) => fmt(r.slackMs)],
  refusedBatches: [
    "429 on batch # (arrival order)",
    (r) => (r.refusedBatches?.length ? r.refusedBatches.join(", ") : "-"),
  ],
};

/**
 * One run per row, plus a median row over runs when there are several (unless `medianRow` is false);
 * `label` names each row under `labelHeader`.
 */
export function runTable(
  runs,
  names,
  { label = (_r, i) => String(i + 1), labelHeader = "run", medianRow = true } = {},
) {
  const header = [labelHeader, ...names.map((n) => COLUMNS[n][0])];
  const rows = runs.map((r, i) => [label(r, i), ...names.map((n) => COLUMNS[n][1](r))]);
  if (runs.length > 1 && medianRow) {
    const mid = medianRecord(runs);
    rows.push(["**median**", ...names.map((n) => COLUMNS[n][1](mid))]);
  }
  return markdownTable(header, rows);
}

/** The median of every numeric field over runs (phases included), for a median row. */
export function medianRecord(runs) {
  const out = { ...runs[0] };
  for (const key of Object.keys(runs[0])) {
    if (typeof runs[0][key] === "number") out[key] = median(runs.map((r) => r[key]));
  }
  out.phases = {};
  for (const key of Object.keys(runs[0].phases ?? {}))
    out.phases[key] = median(runs.map((r) => r.phases[key]));
  return out;
}

/** Where each run's time went (see runPhases in bench-math.mjs). */
export function phasesTable(runs, { label = (_r, i) => String(i + 1), labelHeader = "run" } = {}) {
  return markdownTable(
    [
      labelHeader,
      "spawn to preflight arrival s",
      "preflight answered to first batch s",
      "first batch to last answer s",
      "last answer to exit s",
    ],
    runs.map((r, i) => [
      label(r, i),
      fmt(r.phases.startupMs / 1000, 2),
      fmt(r.phases.toFirstBatchMs / 1000, 2),
      fmt(r.phases.sendingMs / 1000, 2),
      fmt(r.phases.finishMs / 1000, 2),
    ]),
  );
}

/** The shell block that reproduces a scenario: the sandbox it ran against, then the fluence command. */
export function commandBlock(scenarioOptions, commands) {
  const sandboxOptions = { ...scenarioOptions, credits: CREDITS };
  return [
    "```sh",
    `# sandbox (started in the bench process as startSandbox(${JSON.stringify(sandboxOptions)}); by hand:)`,
    sandboxCommandLine(sandboxOptions),
    ...commands,
    "```",
  ].join("\n");
}
