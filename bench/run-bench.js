// `npm run bench`: the five scenarios of issue 7 against a local sandbox, appended to BENCHMARKS.md.
// Options: --only 1,4 (a subset), --quick (fewer rows and runs, for development), --cpu-prof (V8 profiles
// of every child into bench/.data/profiles/). Exits non-zero only when a scenario crashes.
import path from "node:path";
import { fmt, markdownTable, parseBenchArgs } from "./bench-math.mjs";
import { appendSection, sectionIntro } from "./benchmarks-file.mjs";
import { dataPath } from "./data-files.mjs";
import { headCommit, machineInfo } from "./machine-info.mjs";
import { ROOT } from "./run-child.mjs";
import { docsLoopSection, measureDocsLoop } from "./scenario-docs-loop.mjs";
import { localOverheadSection, measureLocalOverhead } from "./scenario-local-overhead.mjs";
import {
  cpuSection,
  measureThroughput,
  stricterServerSection,
  throughputSection,
} from "./scenario-throughput.mjs";

/** The whole bench must fit in 10 minutes with `npm run build` in front of it. */
const BUDGET_MS = 9 * 60_000;

const SETTINGS = {
  full: {
    s1: { rows: 3000, runs: 3 },
    s2: { rows: 300 },
    s3: { rows: 3000, runs: 1 },
    s4: { sizes: [100_000, 1_000_000], runs: 3 },
  },
  quick: {
    s1: { rows: 600, runs: 1 },
    s2: { rows: 100 },
    s3: { rows: 600, runs: 1 },
    s4: { sizes: [10_000, 100_000], runs: 1 },
  },
};

const TITLES = {
  1: "1. Throughput at the API's limits",
  2: "2. The documented approach, side by side",
  3: "3. A server stricter than --rate",
  4: "4. Local overhead: a re-run served from the store vs a bare CSV pass",
  5: "5. CPU at the ceiling",
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
  // Scenario 5 reads scenario 1's processes.
  const runS1 = want.has(1) || want.has(5);
  const deadline = Date.now() + BUDGET_MS;
  const machine = machineInfo();
  const sections = new Map();
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

  if (runS1) {
    await attempt(1, async () => {
      measures.s1 = await measureThroughput({
        id: "s1",
        rows: set.s1.rows,
        runs: set.s1.runs,
        rateLimit: 100,
        cpuProfDir,
        log,
      });
      if (want.has(1)) sections.set(1, throughputSection(measures.s1));
      if (want.has(5)) sections.set(5, cpuSection(measures.s1));
    });
  }
  if (want.has(2)) {
    await attempt(2, async () => {
      const m = await measureDocsLoop({ rows: set.s2.rows, rateLimit: 100, log });
      sections.set(2, docsLoopSection(m, measures.s1?.median("perMin")));
    });
  }
  if (want.has(3)) {
    await attempt(3, async () => {
      const m = await measureThroughput({
        id: "s3",
        rows: set.s3.rows,
        runs: set.s3.runs,
        rateLimit: 50,
        cpuProfDir,
        log,
      });
      sections.set(3, stricterServerSection(m));
    });
  }
  if (want.has(4)) {
    await attempt(4, async () => {
      const m = await measureLocalOverhead({
        sizes: set.s4.sizes,
        runs: set.s4.runs,
        deadline,
        cpuProfDir,
        log,
      });
      sections.set(4, localOverheadSection(m));
    });
  }

  const totalMs = performance.now() - t0;
  const targets = [...sections.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, s]) => s.targets);
  const parts = [
    sectionIntro({ startedAt, machine, commit: headCommit(ROOT), options, argv, totalMs }),
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
  const file = path.join(ROOT, "BENCHMARKS.md");
  appendSection(file, parts.join("\n"));
  log(`done in ${fmt(totalMs / 1000, 0)} s; appended to ${path.relative(ROOT, file)}`);
  for (const t of targets) log(`  [${t.scenario}] ${t.target}: ${t.figure} -> ${t.verdict}`);
  if (totalMs > BUDGET_MS) log(`warning: the bench took longer than its ${BUDGET_MS / 60_000}-minute budget`);
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
