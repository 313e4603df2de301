// Scenario 11: start-up. `fluence --version`, `--help` and `credits --sandbox` against `node -e 0`, run
// interleaved in one loop (so a busy moment of the machine hits all four alike), medians of the runs.
// Targets: --version and --help within 80 ms of node -e 0; credits --sandbox within 250 ms.
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, markdownTable } from "./bench-math.mjs";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = path.join(ROOT, "bin/fluence.js");

const CASES = [
  { label: "node -e 0", args: ["-e", "0"] },
  { label: "fluence --version", args: [CLI, "--version"], withinMs: 80 },
  { label: "fluence --help", args: [CLI, "--help"], withinMs: 80 },
  { label: "fluence credits --sandbox", args: [CLI, "credits", "--sandbox"], withinMs: 250 },
];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function measureStartup({ runs = 15, log = () => {} } = {}) {
  const times = CASES.map(() => []);
  const loadBefore = os.loadavg()[0];
  // One warm-up round: the first start after a build reads every file from disk.
  for (const c of CASES) spawnSync(process.execPath, c.args, { cwd: os.tmpdir() });
  for (let i = 0; i < runs; i++) {
    CASES.forEach((c, k) => {
      const started = performance.now();
      const r = spawnSync(process.execPath, c.args, {
        cwd: os.tmpdir(),
        env: { ...process.env, NO_COLOR: "1" },
      });
      if (r.status !== 0) throw new Error(`${c.label} exited ${r.status}: ${r.stderr}`);
      times[k].push(performance.now() - started);
    });
  }
  const base = median(times[0]);
  const rows = CASES.map((c, k) => ({ ...c, medianMs: median(times[k]), overMs: median(times[k]) - base }));
  log(`start-up: ${rows.map((r) => `${r.label} ${fmt(r.medianMs, 0)} ms`).join(", ")}`);
  return { runs, node: process.version, loadBefore, loadAfter: os.loadavg()[0], rows };
}

export function startupSection(m) {
  const judged = m.rows.filter((r) => r.withinMs !== undefined);
  return {
    targets: judged.map((r) => ({
      scenario: "11",
      target: `${r.label} within ${r.withinMs} ms of node -e 0`,
      figure: `+${fmt(r.overMs, 0)} ms`,
      verdict: r.overMs <= r.withinMs ? "MET" : "MISSED",
    })),
    markdown: [
      `Medians of ${m.runs} interleaved runs on Node ${m.node}; load average ${fmt(m.loadBefore, 2)} before, ${fmt(m.loadAfter, 2)} after.`,
      "",
      markdownTable(
        ["command", "median", "over node -e 0", "target"],
        m.rows.map((r) => [
          r.label,
          `${fmt(r.medianMs, 0)} ms`,
          r.withinMs === undefined ? "" : `+${fmt(r.overMs, 0)} ms`,
          r.withinMs === undefined ? "" : `within ${r.withinMs} ms`,
        ]),
      ),
    ].join("\n"),
  };
}
