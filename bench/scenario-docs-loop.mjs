// The vendor docs' loop (bench/docs-loop.mjs: sequential batches of 10, `time.sleep(0.5)` after each) against
// a sandbox of its own, for the side-by-side of scenario 1.
import { perMinute } from "./bench-math.mjs";
import { ensurePeopleCsv } from "./data-files.mjs";
import { commandLine, rel } from "./fluence-run.mjs";
import { assertExitedOk, runMeasured } from "./run-child.mjs";
import { CREDITS, startLoggedSandbox } from "./sandbox-run.mjs";

/** The docs' `time.sleep(0.5)` between batches. */
export const DOCS_SLEEP_MS = 500;

/** @param {{ rows: number, sandboxOptions: object, sleepMs?: number }} spec */
export async function measureDocsLoop(spec) {
  const sleepMs = spec.sleepMs ?? DOCS_SLEEP_MS;
  const { file: input } = await ensurePeopleCsv(spec.rows);
  const { sandbox } = await startLoggedSandbox({ credits: CREDITS, ...spec.sandboxOptions });
  try {
    const args = ["bench/docs-loop.mjs", rel(input), sandbox.url, String(sleepMs)];
    const result = await runMeasured(args, { env: { FLUENCE_API_KEY: sandbox.keys.enterprise } });
    assertExitedOk(result, "docs-loop.mjs");
    const out = JSON.parse(result.stdout);
    const stats = sandbox.stats();
    return {
      rows: out.profiles,
      ok: out.ok,
      failedBatches: out.failed_batches,
      durationMs: out.duration_ms,
      wallMs: result.wallMs,
      perMin: perMinute(out.ok, out.duration_ms),
      status429: stats.statuses["429"] ?? 0,
      peak: stats.peakBatchConcurrency,
      sleepMs,
      command: commandLine({ FLUENCE_API_KEY: "<sandbox enterprise key>" }, [
        args[0],
        args[1],
        "<sandbox url>",
        args[3],
      ]),
    };
  } finally {
    await sandbox.close();
  }
}
