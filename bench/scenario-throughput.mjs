// Scenarios 1 (throughput at the API's limits), 3 (a server stricter than --rate) and 5 (CPU at the
// ceiling, read from scenario 1's processes).
import { rmSync } from "node:fs";
import { startSandbox } from "../dist/sandbox/index.js";
import { ceilingPerMinute, fmt, markdownTable, median, percent, perMinute, verdict } from "./bench-math.mjs";
import { dataPath, ensurePeopleCsv, freshStorePath, removeStore } from "./data-files.mjs";
import { runFluence } from "./fluence-run.mjs";

/** 100 requests/min and the docs' 0.5 s sleep, both scaled 6x down so a run takes seconds, not minutes. */
export const SCALED = { latencyMs: 1500, rateWindowMs: 10_000, rate: "600", delay: "83" };
const MAX_AUTO_CONCURRENCY = 10;
/** Plenty: the bench measures pace, not the credit guard. */
const CREDITS = 100_000_000;

/**
 * Runs fluence `runs` times against a fresh sandbox each time (fresh rate window, fresh counters).
 * @param {{ id: string, rows: number, runs: number, rateLimit: number, cpuProfDir?: string,
 *   log: (line: string) => void }} spec
 */
export async function measureThroughput(spec) {
  const { file: input } = await ensurePeopleCsv(spec.rows);
  const sandboxOptions = {
    latencyMs: SCALED.latencyMs,
    rateLimit: spec.rateLimit,
    rateWindowMs: SCALED.rateWindowMs,
    credits: CREDITS,
  };
  const ceiling = ceilingPerMinute({
    rateLimit: spec.rateLimit,
    rateWindowMs: SCALED.rateWindowMs,
    concurrency: MAX_AUTO_CONCURRENCY,
    latencyMs: SCALED.latencyMs,
  });
  const runs = [];
  for (let i = 1; i <= spec.runs; i++) {
    spec.log(`  run ${i}/${spec.runs}: ${fmt(spec.rows)} rows...`);
    const sandbox = await startSandbox(sandboxOptions);
    const store = freshStorePath(`${spec.id}-store`);
    try {
      const r = await runFluence({
        sandbox,
        input,
        store,
        outDir: dataPath(`${spec.id}-out`),
        extra: ["--rate", SCALED.rate, "--delay", SCALED.delay],
        cpuProfDir: spec.cpuProfDir,
      });
      const s = r.summary;
      const run = {
        rows: s.rows,
        enriched: s.enriched,
        errorRows: r.errorRows,
        durationMs: s.duration_ms,
        wallMs: r.wallMs,
        perMin: perMinute(s.rows, s.duration_ms),
        wallPerMin: perMinute(s.rows, r.wallMs),
        rateLimited: r.stats.rateLimited,
        status429: r.stats.statuses["429"] ?? 0,
        clientRetries: s.retries,
        peak: r.stats.peakConcurrency,
        cpuS: r.cpuS,
        maxRSSMB: r.maxRSSMB,
        command: r.command,
      };
      run.pctCeiling = percent(run.perMin, ceiling);
      runs.push(run);
      spec.log(
        `    ${fmt(run.perMin)} profiles/min (${fmt(run.pctCeiling, 1)}% of ${fmt(ceiling)}), ${run.status429} x 429, peak ${run.peak} in flight`,
      );
    } finally {
      await sandbox.close();
      removeStore(store);
      rmSync(dataPath(`${spec.id}-out`), { recursive: true, force: true });
    }
  }
  return { sandboxOptions, ceiling, runs, median: (key) => median(runs.map((r) => r[key])) };
}

const RUN_HEADER = [
  "run",
  "rows",
  "enriched",
  "errors rows",
  "duration_ms",
  "profiles/min",
  "% of ceiling",
  "wall s",
  "profiles/min (wall)",
  "429s (rateLimited)",
  "peak in flight",
];

function runCells(label, r) {
  return [
    label,
    fmt(r.rows),
    fmt(r.enriched),
    fmt(r.errorRows),
    fmt(r.durationMs),
    fmt(r.perMin),
    `${fmt(r.pctCeiling, 1)}%`,
    fmt(r.wallMs / 1000, 1),
    fmt(r.wallPerMin),
    `${fmt(r.status429)} (${fmt(r.rateLimited)})`,
    fmt(r.peak),
  ];
}

function runsTable(m) {
  const rows = m.runs.map((r, i) => runCells(String(i + 1), r));
  if (m.runs.length > 1) {
    const keys = [
      "rows",
      "enriched",
      "errorRows",
      "durationMs",
      "perMin",
      "pctCeiling",
      "wallMs",
      "wallPerMin",
      "status429",
      "rateLimited",
      "peak",
    ];
    rows.push(runCells("**median**", Object.fromEntries(keys.map((k) => [k, m.median(k)]))));
  }
  return markdownTable(RUN_HEADER, rows);
}

/** Scenario 1's Markdown block and its verdicts. */
export function throughputSection(m) {
  const pct = m.median("pctCeiling");
  const zero429 = m.runs.every((r) => r.status429 === 0);
  const pctVerdict = verdict(pct, 95);
  return {
    targets: [
      { scenario: "1", target: ">= 95% of the ceiling", figure: `${fmt(pct, 1)}%`, verdict: pctVerdict },
      {
        scenario: "1",
        target: "0 client-caused 429s",
        figure: m.runs.map((r) => r.rateLimited).join(", "),
        verdict: zero429 ? "MET" : "MISSED",
      },
    ],
    markdown: [
      `Sandbox: \`${JSON.stringify(m.sandboxOptions)}\` (100 requests/min and 15 s per batch, scaled 6x down).`,
      `Ceiling: min(${m.sandboxOptions.rateLimit} req x 10 profiles per ${m.sandboxOptions.rateWindowMs / 1000} s, 10 in flight x 10 profiles / ${m.sandboxOptions.latencyMs / 1000} s) = **${fmt(m.ceiling)} profiles/min**.`,
      "",
      "```sh",
      m.runs[0]?.command ?? "",
      "```",
      "",
      runsTable(m),
      "",
      `- Throughput (median of ${m.runs.length}, rows / summary duration_ms): ${fmt(m.median("perMin"))} profiles/min = ${fmt(pct, 1)}% of the ceiling. Target >= 95%: **${pctVerdict}**.`,
      `- 429 responses caused by the client (sandbox \`rateLimited\`): ${m.runs.map((r) => r.rateLimited).join(", ")}. Target 0: **${zero429 ? "MET" : "MISSED"}**.`,
    ].join("\n"),
  };
}

/** Scenario 3's Markdown block: nothing may be lost, and the throughput against the lower ceiling. */
export function stricterServerSection(m) {
  const pct = m.median("pctCeiling");
  const nothingLost = m.runs.every((r) => r.enriched === r.rows && r.errorRows === 0);
  const pctVerdict = verdict(pct, 85);
  return {
    targets: [
      {
        scenario: "3",
        target: "nothing lost",
        figure: m.runs.map((r) => `${fmt(r.enriched)}/${fmt(r.rows)}, ${fmt(r.errorRows)} errors`).join("; "),
        verdict: nothingLost ? "MET" : "MISSED",
      },
      {
        scenario: "3",
        target: ">= 85% of the lower ceiling",
        figure: `${fmt(pct, 1)}%`,
        verdict: pctVerdict,
      },
    ],
    markdown: [
      `Sandbox: \`${JSON.stringify(m.sandboxOptions)}\`: half of what \`--rate 600\` tells fluence.`,
      `Lower ceiling: min(${m.sandboxOptions.rateLimit} x 10 per ${m.sandboxOptions.rateWindowMs / 1000} s, 10 x 10 / ${m.sandboxOptions.latencyMs / 1000} s) = **${fmt(m.ceiling)} profiles/min**.`,
      "",
      "```sh",
      m.runs[0]?.command ?? "",
      "```",
      "",
      runsTable(m),
      "",
      `- Nothing lost (enriched == rows, errors file empty, exit 0): **${nothingLost ? "MET" : "MISSED"}**.`,
      `- Throughput: ${fmt(m.median("perMin"))} profiles/min = ${fmt(pct, 1)}% of the lower ceiling. Target >= 85%: **${pctVerdict}**. 429s answered: ${m.runs.map((r) => r.status429).join(", ")} (retried by fluence: ${m.runs.map((r) => r.clientRetries).join(", ")} batch retries).`,
    ].join("\n"),
  };
}

/** Scenario 5's Markdown block, from scenario 1's processes. */
export function cpuSection(m) {
  const rows = m.runs.map((r, i) => {
    const per1000 = (r.cpuS / r.rows) * 1000;
    const core = percent(r.cpuS, r.wallMs / 1000);
    return { i: i + 1, rows: r.rows, cpuS: r.cpuS, wallS: r.wallMs / 1000, per1000, core, rss: r.maxRSSMB };
  });
  const cells = (label, r) => [
    label,
    fmt(r.rows),
    fmt(r.cpuS, 2),
    fmt(r.wallS, 1),
    fmt(r.per1000, 3),
    `${fmt(r.core, 1)}%`,
    fmt(r.rss, 0),
  ];
  const table = rows.map((r) => cells(String(r.i), r));
  const med = (k) => median(rows.map((r) => r[k]));
  const summary = {
    rows: med("rows"),
    cpuS: med("cpuS"),
    wallS: med("wallS"),
    per1000: med("per1000"),
    core: med("core"),
    rss: med("rss"),
  };
  if (rows.length > 1) table.push(cells("**median**", summary));
  return {
    targets: [],
    markdown: [
      "The fluence processes of scenario 1 (whole process: Node start-up, CSV passes, HTTP, store), measured by `bench/report-usage.mjs`.",
      "",
      markdownTable(
        [
          "run",
          "profiles",
          "CPU s (user+sys)",
          "wall s",
          "CPU s per 1,000 profiles",
          "% of one core",
          "peak RSS MB",
        ],
        table,
      ),
      "",
      `- ${fmt(summary.per1000, 3)} CPU seconds per 1,000 profiles; ${fmt(summary.core, 1)}% of one core while saturating the key at the ceiling (no target; informative).`,
    ].join("\n"),
  };
}
