// Scenario 4: an explicit --rate 600 against a server that allows exactly 600 requests a minute (a sliding
// window), 300 ms a batch; and what the pacer's 1% rate margin (RATE_MARGIN, src/send/rate-pacer.ts) is
// needed for, by the 429s at margins 0, 0.25%, 0.5% and 1%. src/ has no flag for the margin: the other
// margins load the same dist/ with the constant replaced (bench/rate-margin.mjs, a module hook), the 1%
// point is the shipped build as is.
import {
  allMet,
  fmt,
  fmtPercent,
  marginSlackMs,
  meanLatencyMs,
  preflightLeadNeededMs,
  ratePerMinuteOf,
  scoreRun,
  targetRow,
  verdict,
} from "./bench-math.mjs";
import { commandBlock, phasesTable, runTable } from "./run-tables.mjs";
import { measureRun, SHIPPED_MARGIN } from "./sandbox-run.mjs";

export const PACE = { latencyMs: 300, rateLimit: 600, rateWindowMs: 60_000 };
/** The same 600/min, counted over 10 s: 100 requests a window, as the real plans count per minute. */
export const FILLING = { latencyMs: 300, rateLimit: 100, rateWindowMs: 10_000 };
export const MARGINS = [0, 0.0025, 0.005, SHIPPED_MARGIN];
const EFFICIENCY_TARGET = 0.95;
const RATE = 600;

/** One run at a margin: the shipped build for the shipped margin, the module hook for the others. */
async function marginRun({ id, rows, sandboxOptions, margin, cpuProfDir }) {
  const r = await measureRun({
    id,
    rows,
    sandboxOptions,
    flags: ["--rate", String(RATE)],
    margin,
    cpuProfDir,
  });
  return withMarginFigures(r, sandboxOptions);
}

/** Efficiency against the sandbox's ideal, the slack the margin leaves, and the preflight lead it needs. */
export function withMarginFigures(r, sandboxOptions) {
  const ideal = {
    ratePerMinute: ratePerMinuteOf(sandboxOptions),
    meanLatencyMs: meanLatencyMs(sandboxOptions),
  };
  return {
    ...r,
    ...scoreRun(r, ideal),
    slackMs: marginSlackMs({ rateWindowMs: sandboxOptions.rateWindowMs, margin: r.margin }),
    leadNeededMs:
      r.batchesNeeded >= sandboxOptions.rateLimit
        ? preflightLeadNeededMs({ ...sandboxOptions, clientRatePerMinute: r.clientRate, margin: r.margin })
        : Number.NaN,
    windowsSpanned: (r.batchRequests + r.creditsRequests) / sandboxOptions.rateLimit,
  };
}

/**
 * @param {{ rows: number, fillingRows: number, quick: boolean, cpuProfDir?: string,
 *   log: (l: string) => void }} spec
 */
export async function measurePace(spec) {
  const sweep = async (id, rows, sandboxOptions, label) => {
    const runs = [];
    for (const margin of [SHIPPED_MARGIN, ...MARGINS.filter((x) => x !== SHIPPED_MARGIN)]) {
      spec.log(`  ${label}: margin ${fmtPercent(margin, 2)}, ${fmt(rows)} rows...`);
      const r = await marginRun({ id, rows, sandboxOptions, margin, cpuProfDir: spec.cpuProfDir });
      spec.log(
        `    ${fmt(r.durationMs / 1000, 2)} s, efficiency ${fmt(r.efficiency, 3)}, ${r.status429} x 429, rate_per_minute ${r.ratePerMinute}`,
      );
      runs.push(r);
    }
    return runs.sort((a, b) => a.margin - b.margin);
  };
  const ceiling = await sweep("s4", spec.rows, PACE, "600 per 60 s");
  const filling = await sweep("s4f", spec.fillingRows, FILLING, "100 per 10 s");
  return { ceiling, filling, quick: spec.quick };
}

const CEILING_COLUMNS = [
  "rows",
  "exit",
  "durationS",
  "wallS",
  "idealS",
  "efficiency",
  "batchRequests",
  "status429",
  "retries",
  "rate",
  "maxInFlight",
];
const NEED_COLUMNS = [
  "rows",
  "exit",
  "durationS",
  "idealS",
  "efficiency",
  "batchRequests",
  "status429",
  "refusedBatches",
  "retries",
  "lead",
  "leadNeeded",
  "slack",
];
const byMargin = {
  label: (r) => `${fmtPercent(r.margin, 2)}${r.override ? "" : " (shipped)"}`,
  labelHeader: "RATE_MARGIN",
  medianRow: false,
};

/** The shipped run's command, then the first override's, as comments and commands. */
function commandsOf(runs) {
  const shipped = runs.find((r) => !r.override);
  const other = runs.find((r) => r.override);
  return [
    `# the shipped margin (${fmtPercent(SHIPPED_MARGIN, 0)}):`,
    shipped?.command ?? "",
    ...(other
      ? [
          `# another margin (${fmtPercent(other.margin, 2)} here): the same dist/ with RATE_MARGIN replaced`,
          other.command,
        ]
      : []),
  ];
}

/** Why a run below 1% was refused: the preflight's slot (batch N, too little lead) or arrivals spreading. */
function refusalCause(r) {
  const preflight = r.refusedBatches.length > 0 && r.phases.preflightLeadMs < r.leadNeededMs;
  const what = `${r.where} at ${fmtPercent(r.margin, 2)}: ${r.status429} x 429 on batch ${r.refusedBatches.join(", ")}`;
  return preflight
    ? `${what}, the preflight's slot (first batch ${fmt(r.phases.preflightLeadMs)} ms after the preflight, ${fmt(r.leadNeededMs)} ms needed)`
    : `${what}, with enough lead over the preflight (${fmt(r.phases.preflightLeadMs)} ms, ${fmt(r.leadNeededMs)} needed): arrivals spread more than the margin's ${fmt(r.slackMs)} ms of slack`;
}

const refusedList = (runs) => runs.map((r) => `${fmtPercent(r.margin, 2)}: **${r.status429}**`).join(", ");

/**
 * @param {object} m measurePace's result
 * @param {object[] | undefined} realPlan scenario 1's runs at the real plan (the shipped margin and the
 *   overrides that ran beside it), when scenario 1 ran in full in this invocation
 */
export function paceSection(m, realPlan) {
  const shipped = m.ceiling.find((r) => !r.override);
  const effVerdict = verdict(shipped.efficiency, EFFICIENCY_TARGET);
  const zero429 = shipped.status429 === 0;
  const tag = (runs, where) => runs.map((r) => ({ ...r, where }));
  const real = realPlan?.length
    ? tag(
        [...realPlan].sort((a, b) => a.margin - b.margin),
        "real plan",
      )
    : undefined;
  const filling = [tag(m.filling, "100 per 10 s"), real].filter(Boolean);
  const shippedFilling = filling.map((runs) => runs.find((r) => !r.override)).filter(Boolean);
  const claimHolds =
    allMet(shippedFilling.map((r) => r.status429 === 0)) === "MET" ? "HOLDS" : "DOES NOT HOLD";
  const lowerRuns = filling.flatMap((runs) => runs.filter((r) => r.margin < SHIPPED_MARGIN));
  // The comment claims 0.25% and 0.5%; 0% is measured as the baseline, not claimed.
  const claimedLower = lowerRuns.filter((r) => r.margin > 0);
  const lowerHolds = claimedLower.every((r) => r.status429 === 0) ? "HOLDS" : "DOES NOT HOLD";
  const lowerRefused = lowerRuns.filter((r) => r.status429 > 0);
  const marginCap =
    shipped.idealMs /
    (shipped.idealMs +
      (shipped.batchesNeeded - 1) * (60_000 / (RATE * (1 - SHIPPED_MARGIN)) - 60_000 / RATE));
  const claimFigure = [
    real ? `real plan ${real.map((r) => r.status429).join(" / ")}` : undefined,
    `100 per 10 s ${m.filling.map((r) => r.status429).join(" / ")}`,
    `600 per 60 s ${m.ceiling.map((r) => r.status429).join(" / ")}`,
  ]
    .filter(Boolean)
    .join("; ");
  return {
    targets: [
      targetRow(
        4,
        `efficiency >= ${EFFICIENCY_TARGET} (ideal / duration_ms)`,
        fmt(shipped.efficiency, 3),
        effVerdict,
      ),
      targetRow(4, "zero 429", fmt(shipped.status429), zero429 ? "MET" : "MISSED"),
      targetRow(
        4,
        "claim (RATE_MARGIN's comment): 0 refused at the shipped 1% (429s at 0 / 0.25 / 0.5 / 1%)",
        claimFigure,
        claimHolds,
      ),
      targetRow(
        4,
        "claim (RATE_MARGIN's comment): 0 refused at 0.5% and 0.25% too",
        claimedLower.map((r) => `${r.where} ${fmtPercent(r.margin, 2)}: ${r.status429}`).join("; "),
        lowerHolds,
      ),
    ],
    markdown: [
      m.quick
        ? `**Ran quick** (\`--quick\`): ${fmt(shipped.rows)} rows (window-filling sweep: ${fmt(m.filling[0].rows)}); the figures are not the full scenario's.`
        : "",
      `\`--rate 600\` against a server allowing exactly 600 requests per 60 s (a sliding window; the preflight and closing \`/creditos\` count in it too), 300 ms a batch, ${fmt(shipped.rows)} rows = ${fmt(shipped.batchesNeeded)} batches, otherwise default flags. Ideal: ${fmt(shipped.batchesNeeded - 1)} x 0.1 s + 0.3 s = **${fmt(shipped.idealMs / 1000, 2)} s**. The pacer aims at --rate x (1 - RATE_MARGIN); src/ has no flag for the margin, so the margins other than the shipped 1% load the same \`dist/\` with the constant replaced (\`bench/rate-margin.mjs\`, a module hook; the run's \`rate_per_minute\` is checked to equal 600 x (1 - margin)).`,
      "",
      commandBlock(PACE, commandsOf(m.ceiling)),
      "",
      "#### At the ceiling",
      "",
      runTable(m.ceiling, CEILING_COLUMNS, byMargin),
      "",
      phasesTable(m.ceiling, byMargin),
      "",
      `- Efficiency with the shipped margin: ${fmt(shipped.idealMs / 1000, 2)} s / ${fmt(shipped.durationMs / 1000, 2)} s = **${fmt(shipped.efficiency, 3)}** (on wall: ${fmt(shipped.wallEfficiency, 3)}; the 1% margin alone would cap it at ${fmt(marginCap, 3)}). Target >= ${EFFICIENCY_TARGET}: **${effVerdict}**.`,
      `- 429s with the shipped margin: ${fmt(shipped.status429)}. Target 0: **${zero429 ? "MET" : "MISSED"}**.`,
      `- These runs cannot show what the margin is for: ${fmt(shipped.batchRequests + shipped.creditsRequests)} requests fill ${fmt(shipped.windowsSpanned, 2)} of one window of 600, and a sliding window refuses nothing before it is full, at any margin (429s: ${refusedList(m.ceiling)}). Only the margin's cost shows: ${m.ceiling.map((r) => `${fmtPercent(r.margin, 2)} ${fmt(r.efficiency, 3)}`).join(", ")}.`,
      "",
      "#### The margin's need, where the window fills",
      "",
      "A sliding window of N requests refuses the request that would be the N+1-th inside W. The preflight `/creditos` is one of them, so batch N (its (N - 1) gaps after batch 1) must arrive more than W after the preflight: the first batch needs a *lead* over the preflight of W - (N - 1) x gap, 0 once the margin is 1/N. With the plans' N = 100, that is 1%: the margin pays for the preflight's slot. After that, a margin leaves W x m / (1 - m) of slack per window for arrivals at the server that spread (timer lateness, the store's claim, the network).",
      "",
      real
        ? [
            `**At the real plan** (scenario 1's sandbox: 100 per 60 s, 16-19 s a batch, default flags, ${fmt(real[0].rows)} rows = ${fmt(real[0].batchesNeeded)} batches; the shipped run is scenario 1's, the others ran beside it, each on its own sandbox):`,
            "",
            runTable(real, NEED_COLUMNS, byMargin),
            "",
          ].join("\n")
        : "At the real plan: not measured in this invocation (it runs beside scenario 1, in full mode only).\n",
      `**The same 600/min counted as 100 per 10 s** (300 ms a batch, \`--rate 600\`, ${fmt(m.filling[0].rows)} rows = ${fmt(m.filling[0].batchesNeeded)} batches, ${fmt(m.filling[0].windowsSpanned, 1)} windows): N = 100 as in the plans, every time 6x shorter, so the slack of a margin is 6x smaller in ms than at 60 s.`,
      "",
      commandBlock(FILLING, commandsOf(m.filling)),
      "",
      runTable(m.filling, NEED_COLUMNS, byMargin),
      "",
      `- 429s by margin: ${real ? `real plan ${refusedList(real)}; ` : ""}100 per 10 s ${refusedList(m.filling)}.`,
      `- With the shipped 1%: ${shippedFilling.map((r) => `${r.where} ${r.status429}`).join(", ")} refused where the window fills, ${fmt(shipped.status429)} at 600 per 60 s: 0 refused at 1% **${claimHolds === "HOLDS" ? "holds" : "does not hold"}**. 0 refused at 0.25% and 0.5% **${lowerHolds === "HOLDS" ? "holds" : "does not hold"}**.`,
      `- Below 1% (one run each): ${lowerRefused.length === 0 ? "no refusals in these runs." : lowerRefused.map(refusalCause).join("; ")}.`,
      "- RATE_MARGIN's comment (src/send/rate-pacer.ts) says 0 were refused at 1%, 0.5% and 0.25% against a window of exactly --rate, and that 1% of a 60 s window is 600 ms of slack, far above what arrivals spread. At the plans' 100 requests a window those 600 ms are the preflight's slot: with less than 1%, batch 100 is refused unless the first batch happens to arrive later after the preflight than the lead needed above (the plan pass, which reads the first 1,000-row chunk before queueing anyone, is what delays it).",
    ]
      .filter((line, i) => i > 0 || line !== "")
      .join("\n"),
  };
}
