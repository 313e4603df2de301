// `npm run bench`: the send stage's five figures of issue 11 (real latency beside the docs' loop, the same
// scaled 10x, a server capped at 6 concurrent batches, an explicit pace at the ceiling with the rate
// margin's need, a server throttling everything), then local overhead and CPU, each against a local
// sandbox on a random loopback port, appended to BENCHMARKS.md. Progress goes to stderr.
// Options: --only 1,4 (a subset), --quick (fewer rows and runs, for development), --cpu-prof (V8 profiles
// of every child into bench/.data/profiles/), --out <file> (append there instead of BENCHMARKS.md, for trial
// runs). Exits non-zero only when a scenario crashes.
import os from "node:os";
import path from "node:path";
import { fmt, markdownTable, parseBenchArgs } from "./bench-math.mjs";
import { appendSection, sectionIntro } from "./benchmarks-file.mjs";
import { dataPath } from "./data-files.mjs";
import { headCommit, machineInfo } from "./machine-info.mjs";
import { ROOT } from "./run-child.mjs";
import { cappedSection, measureCapped } from "./scenario-capped.mjs";
import { cpuSection } from "./scenario-cpu.mjs";
import { fleetSection, measureFleetScenario } from "./scenario-fleet.mjs";
import { journalSection, measureJournal } from "./scenario-journal.mjs";
import { measureRealLatency, measureScaled, realLatencySection, scaledSection } from "./scenario-latency.mjs";
import { localOverheadSection, measureLocalOverhead } from "./scenario-local-overhead.mjs";
import { measureMicro, microSection } from "./scenario-micro.mjs";
import { measurePace, paceSection } from "./scenario-pace.mjs";
import { measurePostgresRerun, postgresSection } from "./scenario-postgres.mjs";
import { measureSpikes, spikesSection } from "./scenario-spikes.mjs";
import { measureStartup, startupSection } from "./scenario-startup.mjs";
import { measureThrottled, throttledSection } from "./scenario-throttled.mjs";
import { measureXlsx, xlsxSection } from "./scenario-xlsx.mjs";

/**
 * About 15 minutes with `npm run build` in front: scenarios 1-5 take ~10 minutes of waiting on simulated
 * latency; local overhead skips repetitions that would end past this.
 */
const BUDGET_MS = 14.5 * 60_000;

const SETTINGS = {
  full: {
    // The margins run beside scenario 1 and are reported in scenario 4.
    s1: { rows: 1000, docsRows: 100, margins: [0, 0.0025, 0.005] },
    s2: { rows: 1000, runs: 3 },
    s3: { rows: 2400 },
    s4: { rows: 1500, fillingRows: 3000 },
    s5: { rows: 100 },
    s6: { sizes: [100_000, 1_000_000], runs: 3 },
    s8: { rows: 100_000, runs: 3 },
    s9: { lookupRows: 1_000_000, csvRows: 200_000 },
    s10: { rows: 100_000, runs: 2 },
    s12: { rows: 2_000, realRows: 1_000 },
    s13: {
      machines: [1, 2, 4, 8],
      people: 2_400,
      sameFileRows: 1_200,
      realEach: 1_000,
      sqliteEach: 1_200,
      costStarts: 1_000,
    },
    s14: { people: 3_000, journalRecords: 2_000 },
  },
  quick: {
    s1: { rows: 300, docsRows: 20, margins: [] },
    s2: { rows: 300, runs: 1 },
    s3: { rows: 600 },
    s4: { rows: 600, fillingRows: 1500 },
    s5: { rows: 100 },
    s6: { sizes: [10_000, 100_000], runs: 1 },
    s8: { rows: 10_000, runs: 1 },
    s9: { lookupRows: 100_000, csvRows: 20_000 },
    s10: { rows: 10_000, runs: 1 },
    s12: { rows: 1_000, realRows: 300 },
    s13: {
      machines: [1, 2, 4],
      people: 800,
      sameFileRows: 400,
      realEach: 50,
      sqliteEach: 400,
      costStarts: 200,
    },
    s14: { people: 3_000, journalRecords: 300 },
  },
};

const TITLES = {
  1: "1. Real latency: 16-19 s a batch, 100 requests/min, default flags, beside the docs' loop",
  2: "2. The same scaled down 10x (1.6-1.9 s, 100 requests per 6 s, --rate 1000)",
  3: "3. A server capped at 6 concurrent batches (503 beyond)",
  4: "4. Explicit pace at the ceiling (--rate 600 against exactly 600/min), and the rate margin's need",
  5: "5. A server that throttles every request",
  6: "6. Local overhead: a re-run served from the store vs a bare CSV pass",
  7: "7. CPU of the send-stage runs",
  8: "8. A re-run served from a PostgreSQL store on loopback vs the same from SQLite (100,000 rows)",
  9: "9. Micro: the SQLite store's lookup of 1,000,000 fingerprints; a CSV read + write of 200,000 rows",
  10: "10. 100,000 rows as .xlsx in and out beside the same as CSV (re-run from a seeded store)",
  11: "11. Start-up: --version, --help and credits --sandbox against node -e 0",
  12: "12. Slow spells behind the gateway's timeout: a step and a ramp, scaled 10x, and the step at the real scale",
  13: "13. One key, many machines: 1-8 processes on one PostgreSQL store (own people, one file), the real plan, SQLite, the cost of a start",
  14: "14. Paid means kept: the PostgreSQL store stopped hard mid-run, and the re-run",
};

const startedAt = new Date();
const t0 = performance.now();
const log = (line) =>
  process.stderr.write(`[bench ${fmt((performance.now() - t0) / 1000, 0).padStart(4)} s] ${line}\n`);

async function main() {
  const argv = process.argv.slice(2);
  const options = parseBenchArgs(argv);
  const set = options.quick ? SETTINGS.quick : SETTINGS.full;
  const cpuProfDir = options.cpuProf ? dataPath("profiles") : undefined;
  const want = new Set(options.only);
  // Scenario 7 reads the processes of 1-4; alone, it measures scenario 2's (the quickest).
  const cpuOnly = want.has(7) && ![1, 2, 3, 4].some((n) => want.has(n));
  const deadline = Date.now() + BUDGET_MS;
  const machine = machineInfo();
  const sections = new Map();
  const processes = [];
  const measures = {};
  let crashed = false;

  const attempt = async (n, fn) => {
    log(`scenario ${TITLES[n]}`);
    try {
      await fn();
    } catch (error) {
      crashed = true;
      log(`scenario ${n} CRASHED: ${error?.stack ?? error}`);
      sections.set(n, {
        targets: [
          { scenario: String(n), target: "runs to completion", figure: "crashed", verdict: "CRASHED" },
        ],
        markdown: `**CRASHED**: ${String(error?.message ?? error)}`,
      });
    }
  };

  const common = { quick: options.quick, cpuProfDir, log };
  if (want.has(1)) {
    await attempt(1, async () => {
      const m = await measureRealLatency({ ...set.s1, ...common });
      measures.s1 = m;
      processes.push({ label: "1 (real latency)", run: m.runs[0] });
      sections.set(1, realLatencySection(m));
    });
  }
  if (want.has(2) || cpuOnly) {
    await attempt(2, async () => {
      const m = await measureScaled({ ...set.s2, ...common });
      for (const [i, run] of m.runs.entries()) processes.push({ label: `2 (scaled 10x), run ${i + 1}`, run });
      if (want.has(2)) sections.set(2, scaledSection(m));
    });
  }
  if (want.has(3)) {
    await attempt(3, async () => {
      const m = await measureCapped({ ...set.s3, ...common });
      processes.push({ label: "3 (capped at 6)", run: m.runs[0] });
      sections.set(3, cappedSection(m));
    });
  }
  if (want.has(4)) {
    await attempt(4, async () => {
      const m = await measurePace({ ...set.s4, ...common });
      const shipped = m.ceiling.find((r) => !r.override);
      if (shipped) processes.push({ label: "4 (--rate 600, shipped margin)", run: shipped });
      sections.set(4, paceSection(m, measures.s1?.marginSweep));
    });
  }
  if (want.has(5)) {
    await attempt(5, async () => {
      const m = await measureThrottled({ ...set.s5, ...common });
      sections.set(5, throttledSection(m));
    });
  }
  if (want.has(6)) {
    await attempt(6, async () => {
      const m = await measureLocalOverhead({
        sizes: set.s6.sizes,
        runs: set.s6.runs,
        deadline,
        cpuProfDir,
        log,
      });
      sections.set(6, localOverheadSection(m));
    });
  }
  if (want.has(7)) {
    await attempt(7, async () => {
      sections.set(7, cpuSection(processes));
    });
  }
  if (want.has(8)) {
    await attempt(8, async () => {
      const m = await measurePostgresRerun({ ...set.s8, cpuProfDir, log });
      sections.set(8, postgresSection(m));
    });
  }

  if (want.has(9)) {
    await attempt(9, async () => {
      sections.set(9, microSection(await measureMicro({ ...set.s9, log })));
    });
  }

  if (want.has(10)) {
    await attempt(10, async () => {
      sections.set(10, xlsxSection(await measureXlsx({ ...set.s10, log })));
    });
  }

  if (want.has(11)) {
    await attempt(11, async () => {
      sections.set(11, startupSection(measureStartup({ runs: options.quick ? 5 : 15, log })));
    });
  }

  if (want.has(12)) {
    await attempt(12, async () => {
      sections.set(12, spikesSection(await measureSpikes({ ...set.s12, quick: options.quick, log })));
    });
  }
  if (want.has(13)) {
    await attempt(13, async () => {
      sections.set(13, fleetSection(await measureFleetScenario({ ...set.s13, quick: options.quick, log })));
    });
  }
  if (want.has(14)) {
    await attempt(14, async () => {
      sections.set(14, journalSection(await measureJournal({ ...set.s14, log })));
    });
  }

  const totalMs = performance.now() - t0;
  const targets = [...sections.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, s]) => s.targets);
  const parts = [
    sectionIntro({
      startedAt,
      machine,
      commit: headCommit(ROOT),
      options,
      argv,
      totalMs,
      loadAtEnd: os.loadavg(),
    }),
    "",
    "### Targets",
    "",
    targets.length
      ? markdownTable(
          ["scenario", "target", "figure", "verdict"],
          targets.map((t) => [t.scenario, t.target, t.figure, `**${t.verdict}**`]),
        )
      : "No scenario with a target ran.",
  ];
  for (const n of [...sections.keys()].sort((a, b) => a - b)) {
    parts.push("", `### ${TITLES[n]}`, "", sections.get(n).markdown);
  }
  if (cpuProfDir)
    parts.push(
      "",
      `CPU profiles of every child: ${path.relative(ROOT, cpuProfDir)}/ (open in Chrome DevTools).`,
    );
  const file = options.out ? path.resolve(options.out) : path.join(ROOT, "BENCHMARKS.md");
  appendSection(file, parts.join("\n"));
  log(`done in ${fmt(totalMs / 1000, 0)} s; appended to ${path.relative(ROOT, file)}`);
  for (const t of targets) log(`  [${t.scenario}] ${t.target}: ${t.figure} -> ${t.verdict}`);
  if (totalMs > BUDGET_MS)
    log(`warning: the bench took longer than its ${fmt(BUDGET_MS / 60_000, 1)}-minute budget`);
  return crashed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    log(`bench failed: ${error?.stack ?? error}`);
    process.exitCode = 1;
  },
);
