// Scenario 12: slow spells of the service behind API Gateway's integration timeout (issue 23). The
// docs' latency grows with the batch (8-10 s for 5, 15-20 s for 10) and the gateway gives up at 29 s
// while the service finishes and charges, so a slow spell costs 504s (people paid twice) unless the batch
// shrinks first. Three runs scaled 10x (no spike, a 7 s step, a ramp) and the step at the real scale,
// each against the no-spike run of the same size.
import {
  allMet,
  firstWave,
  fmt,
  fmtPercent,
  markdownTable,
  paidTwice,
  targetRow,
  verdict,
} from "./bench-math.mjs";
import { commandBlock } from "./run-tables.mjs";
import { measureRun } from "./sandbox-run.mjs";

/**
 * Scaled 10x: a batch of 10 takes 1.8-2.4 s (500 ms + 130 ms a profile + up to 600 ms of jitter), 1,000
 * requests a minute, the gateway gives up at 2.9 s.
 */
export const SPIKE_SCALED = {
  latencyMs: 500,
  latencyPerProfileMs: 130,
  latencyJitterMs: 600,
  rateLimit: 100,
  rateWindowMs: 6_000,
  gateway: { integrationTimeoutMs: 2_900 },
};
/** 90 ms more a profile for 7 s: a batch of 10 takes 2.7-3.3 s, a batch of 5 still 1.6-2.2 s. */
export const STEP = { atMs: 6_000, holdMs: 7_000, extraPerProfileMs: 90 };
/** The same height reached over 10 s, held 5 s, gone over 5 s. */
export const RAMP = { atMs: 3_000, rampMs: 10_000, holdMs: 5_000, fallMs: 5_000, extraPerProfileMs: 90 };
const SCALED_FLAGS = ["--rate", "1000", "--gateway-timeout", "2.9"];

/** The real scale: 16-19 s for 10 (1.6 s a profile + up to 3 s), 100 requests a minute, 29 s. */
export const SPIKE_REAL = {
  latencyMs: 0,
  latencyPerProfileMs: 1_600,
  latencyJitterMs: 3_000,
  rateLimit: 100,
  rateWindowMs: 60_000,
  gateway: { integrationTimeoutMs: 29_000 },
};
/** 1.1 s more a profile for 70 s: a batch of 10 takes 27-30 s, a batch of 5 13.5-16.5 s. */
export const REAL_STEP = { atMs: 30_000, holdMs: 70_000, extraPerProfileMs: 1_100 };

const TARGETS = { step: { time: 1.4, requests: 1.4 }, ramp: { time: 1.3, requests: 1.3, paidTwice: 0.01 } };

/** @param {{ rows: number, realRows: number, quick: boolean, log: (l: string) => void }} spec */
export async function measureSpikes(spec) {
  const one = async (id, sandboxOptions, flags, rows, settleMs, spell) => {
    const r = await measureRun({ id, rows, sandboxOptions, flags, settleMs });
    const twice = paidTwice(r);
    const wave = spell ? firstWave(r.requests, { stepAt: r.sandboxStartedAt + spell.atMs }) : undefined;
    spec.log(
      `    ${id}: ${fmt(r.durationMs / 1000, 1)} s, ${fmt(r.batchRequests)} requests, ${r.gatewayTimeouts} x 504, ${twice} paid twice, sizes ${JSON.stringify(r.batchSizes)}`,
    );
    const { requests: _log, ...kept } = r;
    return { ...kept, paidTwice: twice, wave, sandboxOptions, flags };
  };
  spec.log(`  ${fmt(spec.rows)} people scaled 10x: no spike, a 7 s step, a 20 s ramp...`);
  const base = await one("s12-none", SPIKE_SCALED, SCALED_FLAGS, spec.rows, 500);
  const step = await one(
    "s12-step",
    { ...SPIKE_SCALED, latencySpells: [STEP] },
    SCALED_FLAGS,
    spec.rows,
    500,
    STEP,
  );
  const ramp = await one(
    "s12-ramp",
    { ...SPIKE_SCALED, latencySpells: [RAMP] },
    SCALED_FLAGS,
    spec.rows,
    500,
  );
  spec.log(`  ${fmt(spec.realRows)} people at the real scale: no spike and the step, side by side...`);
  // Both are waits on 16-30 s answers: together they take the time of one.
  const [realBase, realStep] = await Promise.all([
    one("s12-real-none", SPIKE_REAL, [], spec.realRows, 5_000),
    one("s12-real-step", { ...SPIKE_REAL, latencySpells: [REAL_STEP] }, [], spec.realRows, 5_000, REAL_STEP),
  ]);
  return { base, step, ramp, realBase, realStep, quick: spec.quick };
}

function ratios(run, base) {
  return { time: run.durationMs / base.durationMs, requests: run.batchRequests / base.batchRequests };
}

function row(name, run, base) {
  const r = ratios(run, base);
  return [
    name,
    fmt(run.rows),
    `${fmt(run.durationMs / 1000, 1)} s`,
    run === base ? "1" : fmt(r.time, 2),
    fmt(run.batchRequests),
    run === base ? "1" : fmt(r.requests, 2),
    fmt(run.gatewayTimeouts),
    `${fmt(run.paidTwice)} (${fmtPercent(run.paidTwice / run.rows, 1)})`,
    `${fmt(run.enriched)}, exit ${run.exitCode}`,
    Object.entries(run.batchSizes)
      .sort((a, b) => Number(b[0]) - Number(a[0]))
      .map(([size, n]) => `${n}×${size}`)
      .join(", "),
  ];
}

function waveLine(name, run) {
  const w = run.wave;
  if (!w || w.timeouts === 0) return `- ${name}: no 504 at all.`;
  const first = w.firstWaveTimeouts;
  return `- ${name}: ${w.timeouts} x 504, ${first} of them on batches that reached the service before the first answer to a batch sent inside the step came back (${fmt(w.firstSignalAt - run.sandboxStartedAt - (run.sandboxOptions.latencySpells?.[0]?.atMs ?? 0))} ms into the step): those ${first * 10} people (batches of 10, sized on answers from before the step) are paid twice whatever a client does; they explain ${fmt(first * 10)} of the ${fmt(run.paidTwice)} double charges.`;
}

export function spikesSection(m) {
  const stepR = ratios(m.step, m.base);
  const rampR = ratios(m.ramp, m.base);
  const realR = ratios(m.realStep, m.realBase);
  const complete = (r) => r.exitCode === 0 && r.enriched === r.rows;
  const stepV = allMet([
    verdict(stepR.time, TARGETS.step.time, { atLeast: false }) === "MET",
    verdict(stepR.requests, TARGETS.step.requests, { atLeast: false }) === "MET",
    complete(m.step),
  ]);
  const rampV = allMet([
    verdict(rampR.time, TARGETS.ramp.time, { atLeast: false }) === "MET",
    verdict(rampR.requests, TARGETS.ramp.requests, { atLeast: false }) === "MET",
    m.ramp.paidTwice <= TARGETS.ramp.paidTwice * m.ramp.rows,
    complete(m.ramp),
  ]);
  const realV = allMet([
    verdict(realR.time, TARGETS.step.time, { atLeast: false }) === "MET",
    verdict(realR.requests, TARGETS.step.requests, { atLeast: false }) === "MET",
    complete(m.realStep),
  ]);
  const figure = (r, run) =>
    `${fmt(r.time, 2)}x time, ${fmt(r.requests, 2)}x requests, ${fmt(run.paidTwice)} paid twice (${fmtPercent(run.paidTwice / run.rows, 1)})`;
  return {
    targets: [
      targetRow(
        12,
        "7 s step, scaled 10x: time <= 1.4x and requests <= 1.4x the no-spike run",
        figure(stepR, m.step),
        stepV,
      ),
      targetRow(
        12,
        "ramp, scaled 10x: time <= 1.3x, requests <= 1.3x, paid twice <= 1% of the people",
        figure(rampR, m.ramp),
        rampV,
      ),
      targetRow(
        12,
        "the step at the real scale (16-19 s, 29 s): time and requests <= 1.4x",
        figure(realR, m.realStep),
        realV,
      ),
    ],
    markdown: [
      "API Gateway gives up at 29 s (2.9 s scaled) with a 504 while the service finishes and charges, so every 504 is a batch paid for twice. The batch size follows a latency model (src/send/latency-model.ts, src/send/batch-sizer.ts): the largest size whose predicted 9-in-10 time stays under 85% of `--gateway-timeout`. Time is `duration_ms`; requests are batch requests the sandbox saw; paid twice is the sandbox's credits debited minus the people enriched (basic analysis, 1 credit a person).",
      "",
      commandBlock({ ...SPIKE_SCALED, latencySpells: [STEP] }, [m.step.command]),
      "",
      "The ramp: the same with `--latency-spell " +
        [RAMP.atMs, RAMP.rampMs, RAMP.holdMs, RAMP.fallMs, RAMP.extraPerProfileMs].join(",") +
        "`; no spike: without `--latency-spell`. The real scale:",
      "",
      commandBlock({ ...SPIKE_REAL, latencySpells: [REAL_STEP] }, [m.realStep.command]),
      "",
      markdownTable(
        ["run", "people", "time", "x", "requests", "x", "504s", "paid twice", "enriched", "batch sizes"],
        [
          row("no spike (10x)", m.base, m.base),
          row("7 s step (10x)", m.step, m.base),
          row("ramp 10+5+5 s (10x)", m.ramp, m.base),
          row("no spike (real)", m.realBase, m.realBase),
          row("70 s step (real)", m.realStep, m.realBase),
        ],
      ),
      "",
      "The step's first wave:",
      "",
      waveLine("7 s step, scaled 10x", m.step),
      waveLine("70 s step, real scale", m.realStep),
      "",
      `- Verdicts: step **${stepV}**, ramp **${rampV}**, real-scale step **${realV}**.${m.quick ? " (--quick: fewer people; the figures are not the ones the targets are set for.)" : ""}`,
    ].join("\n"),
  };
}
