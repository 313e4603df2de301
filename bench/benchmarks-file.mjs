// BENCHMARKS.md: a fixed header on first write, then one dated section appended per bench run.
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { fmt } from "./bench-math.mjs";

export const HEADER = `# Benchmarks

Produced by \`npm run bench\` (bench/run-bench.js), which appends one dated section per run below. The
figures are the script's; a "Notes" block under a run, when present, is analysis added by hand. Every figure
comes from fluence run as a child process (\`node bin/fluence.js enrich ...\`, a fresh store each run)
against a local sandbox (\`dist/sandbox\`) started in the bench process on a random loopback port, with
the options each section gives (latency, jitter, rate window, concurrency cap, gateway mode). Throughput is
reported as efficiency, the ideal time over the measured one: for B batches at R requests a minute and a
mean latency L, the ideal is (B - 1) x 60/R + L.

Re-run:

\`\`\`sh
npm run bench                                  # every scenario, about 15 minutes on 2 cores
node bench/run-bench.js --only 2,4 --quick     # a subset, fewer rows and runs (development only)
node bench/run-bench.js --only 6 --cpu-prof    # also write V8 CPU profiles to bench/.data/profiles/
node bench/run-bench.js --quick --out /tmp/b.md  # a trial run appended elsewhere
\`\`\`

Generated inputs and stores live in bench/.data/ (gitignored) and are reused by later runs for up to 7
days. Peak RSS and CPU time come from each child's own \`process.resourceUsage()\`
(\`node --import ./bench/report-usage.mjs ...\`); wall times are measured by the parent from spawn to exit.
A missed target says MISSED in its section; the bench exits non-zero only when a scenario crashes.
`;

/** The "## date" heading and machine lines that open a section. */
export function sectionIntro({ startedAt, machine, commit, options, argv, totalMs, loadAtEnd }) {
  const mode = options.quick ? "quick (development figures, not comparable)" : "full";
  return [
    `## ${startedAt.toISOString().replace("T", " ").slice(0, 16)} UTC: ${mode}, scenarios ${options.only.join(", ")}`,
    "",
    `- Machine: ${machine.os}; ${machine.cpu}, ${machine.cores} cores; ${fmt(machine.ramGiB, 1)} GiB RAM; Node ${machine.node}.`,
    `- Load average at start: ${machine.loadAverage.map((x) => fmt(x, 2)).join(", ")}${loadAtEnd ? `; at the end: ${loadAtEnd.map((x) => fmt(x, 2)).join(", ")}` : ""} (other work on the machine skews timings).`,
    `- Commit: ${commit ?? "unknown"} (working tree as built by \`npm run build\`).`,
    `- Command: \`node bench/run-bench.js${argv.length ? ` ${argv.join(" ")}` : ""}\`; total ${fmt(totalMs / 1000, 0)} s.`,
  ].join("\n");
}

/** Appends one section, writing the header first when the file is new. */
export function appendSection(file, markdown) {
  if (!existsSync(file)) writeFileSync(file, HEADER);
  appendFileSync(file, `\n${markdown.trimEnd()}\n`);
}
