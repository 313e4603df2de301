// BENCHMARKS.md: a fixed header on first write, then one dated section appended per bench run.
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { fmt } from "./bench-math.mjs";

export const HEADER = `# Benchmarks

Produced by \`npm run bench\` (bench/run-bench.js), which appends one dated section per run below. The
figures are the script's; a "Notes" block under a run, when present, is analysis added by hand. Every figure comes from a local sandbox on loopback (\`dist/sandbox\`) with the
API's time scaled down (latency 1.5 s per batch instead of ~15 s, rate limit 100 per 10 s instead of per
minute), so throughput is reported against the ceiling the limits allow and as ratios, which carry over
to the real API; absolute times do not.

Re-run:

\`\`\`sh
npm run bench                                  # all five scenarios, under 10 minutes on 2 cores
node bench/run-bench.js --only 1,4 --quick     # a subset, fewer rows and runs (development only)
node bench/run-bench.js --only 4 --cpu-prof    # also write V8 CPU profiles to bench/.data/profiles/
\`\`\`

Generated inputs and stores live in bench/.data/ (gitignored) and are reused by later runs for up to 7
days. Peak RSS and CPU time come from each child's own \`process.resourceUsage()\`
(\`node --import ./bench/report-usage.mjs ...\`); wall times are measured by the parent from spawn to exit.
A missed target says MISSED in its section; the bench exits non-zero only when a scenario crashes.
`;

/** The "## date" heading and machine lines that open a section. */
export function sectionIntro({ startedAt, machine, commit, options, argv, totalMs }) {
  const mode = options.quick ? "quick (development figures, not comparable)" : "full";
  return [
    `## ${startedAt.toISOString().replace("T", " ").slice(0, 16)} UTC: ${mode}, scenarios ${options.only.join(", ")}`,
    "",
    `- Machine: ${machine.os}; ${machine.cpu}, ${machine.cores} cores; ${fmt(machine.ramGiB, 1)} GiB RAM; Node ${machine.node}.`,
    `- Load average at start: ${machine.loadAverage.map((x) => fmt(x, 2)).join(", ")} (other work on the machine skews timings).`,
    `- Commit: ${commit ?? "unknown"} (working tree as built by \`npm run build\`).`,
    `- Command: \`node bench/run-bench.js${argv.length ? ` ${argv.join(" ")}` : ""}\`; total ${fmt(totalMs / 1000, 0)} s.`,
  ].join("\n");
}

/** Appends one section, writing the header first when the file is new. */
export function appendSection(file, markdown) {
  if (!existsSync(file)) writeFileSync(file, HEADER);
  appendFileSync(file, `\n${markdown.trimEnd()}\n`);
}
