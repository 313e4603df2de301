// Scenario 2: the vendor docs' loop (bench/docs-loop.mjs) against the same sandbox as scenario 1.
import { startSandbox } from "../dist/sandbox/index.js";
import { fmt, markdownTable, perMinute } from "./bench-math.mjs";
import { ensurePeopleCsv } from "./data-files.mjs";
import { commandLine, rel } from "./fluence-run.mjs";
import { assertExitedOk, runMeasured } from "./run-child.mjs";
import { SCALED } from "./scenario-throughput.mjs";

/** @param {{ rows: number, rateLimit: number, log: (line: string) => void }} spec */
export async function measureDocsLoop(spec) {
  const { file: input } = await ensurePeopleCsv(spec.rows);
  const sandboxOptions = {
    latencyMs: SCALED.latencyMs,
    rateLimit: spec.rateLimit,
    rateWindowMs: SCALED.rateWindowMs,
    credits: 100_000_000,
  };
  spec.log(`  docs loop: ${fmt(spec.rows)} rows, sequential, ${SCALED.delay} ms sleep...`);
  const sandbox = await startSandbox(sandboxOptions);
  try {
    const args = ["bench/docs-loop.mjs", rel(input), sandbox.url, SCALED.delay];
    const result = await runMeasured(args, { env: { FLUENCE_API_KEY: sandbox.keys.enterprise } });
    assertExitedOk(result, "docs-loop.mjs");
    const out = JSON.parse(result.stdout);
    const stats = sandbox.stats();
    const run = {
      rows: out.profiles,
      ok: out.ok,
      failedBatches: out.failed_batches,
      durationMs: out.duration_ms,
      wallMs: result.wallMs,
      perMin: perMinute(out.profiles, out.duration_ms),
      wallPerMin: perMinute(out.profiles, result.wallMs),
      status429: stats.statuses["429"] ?? 0,
      peak: stats.peakConcurrency,
      command: commandLine({ FLUENCE_API_KEY: "<sandbox enterprise key>" }, [
        args[0],
        args[1],
        "<sandbox url>",
        args[3],
      ]),
    };
    spec.log(`    ${fmt(run.perMin)} profiles/min`);
    return { sandboxOptions, run };
  } finally {
    await sandbox.close();
  }
}

/** @param {number | undefined} fluencePerMin scenario 1's median, when scenario 1 ran */
export function docsLoopSection(m, fluencePerMin) {
  const r = m.run;
  const ratio = fluencePerMin === undefined ? undefined : fluencePerMin / r.perMin;
  return {
    targets: [],
    markdown: [
      `The docs' \`process_large_dataset\` loop (crm-basico-batch.txt): one batch of 10 at a time, \`time.sleep(0.5)\` after each, scaled like scenario 1 (sleep ${SCALED.delay} ms). Same sandbox config: \`${JSON.stringify(m.sandboxOptions)}\`. ${fmt(r.rows)} rows = ${fmt(Math.ceil(r.rows / 10))} sequential batches: the loop has no ramp-up, so its rate is steady after the first batch.`,
      "",
      "```sh",
      r.command,
      "```",
      "",
      markdownTable(
        [
          "rows",
          "ok",
          "failed batches",
          "duration_ms",
          "profiles/min",
          "wall s",
          "profiles/min (wall)",
          "429s",
          "peak in flight",
        ],
        [
          [
            fmt(r.rows),
            fmt(r.ok),
            fmt(r.failedBatches),
            fmt(r.durationMs),
            fmt(r.perMin),
            fmt(r.wallMs / 1000, 1),
            fmt(r.wallPerMin),
            fmt(r.status429),
            fmt(r.peak),
          ],
        ],
      ),
      "",
      ratio === undefined
        ? "- fluence / loop: n/a (scenario 1 was not run in this invocation)."
        : `- fluence (scenario 1 median, ${fmt(fluencePerMin)} profiles/min) / docs loop (${fmt(r.perMin)} profiles/min) = **${fmt(ratio, 1)}x**.`,
    ].join("\n"),
  };
}
