// Scenario 7: CPU of the fluence processes of scenarios 1-4 that ran in this invocation (whole process: Node
// start-up, CSV passes, HTTP, store), measured by bench/report-usage.mjs. No target; informative.
import { fmt, markdownTable, percent } from "./bench-math.mjs";

/** @param {{ label: string, run: object }[]} processes */
export function cpuSection(processes) {
  const rows = processes.map(({ label, run }) => {
    const profiles = run.enriched;
    return {
      label,
      profiles,
      cpuS: run.cpuS,
      wallS: run.wallMs / 1000,
      per1000: profiles > 0 ? (run.cpuS / profiles) * 1000 : Number.NaN,
      core: percent(run.cpuS, run.wallMs / 1000),
      rss: run.maxRSSMB,
    };
  });
  const real = rows.find((r) => r.label.startsWith("1"));
  return {
    targets: [],
    markdown: [
      "The fluence processes of the send-stage scenarios of this invocation (whole process: Node start-up, CSV passes, HTTP, store), from their own `process.resourceUsage()` (`bench/report-usage.mjs`).",
      "",
      markdownTable(
        [
          "process",
          "profiles",
          "CPU s (user+sys)",
          "wall s",
          "CPU s per 1,000 profiles",
          "% of one core",
          "peak RSS MB",
        ],
        rows.map((r) => [
          r.label,
          fmt(r.profiles),
          fmt(r.cpuS, 2),
          fmt(r.wallS, 1),
          fmt(r.per1000, 3),
          `${fmt(r.core, 1)}%`,
          fmt(r.rss, 0),
        ]),
      ),
      "",
      real
        ? `- At the real latency (scenario 1) fluence used ${fmt(real.cpuS, 2)} CPU s for ${fmt(real.profiles)} profiles (${fmt(real.per1000, 3)} s per 1,000), ${fmt(real.core, 1)}% of one core while keeping the plan busy. No target; informative.`
        : "- No target; informative.",
    ].join("\n"),
  };
}
