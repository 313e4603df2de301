// Scenario 5: API Gateway throttling every request (a token bucket of 1 that the free /creditos preflight
// empties, refilled once per 10 minutes), 100 rows, default --retries: how long until fluence gives up.
// Before issue 11 such a run had not ended after 5 minutes; that is the bound the bench enforces (it kills
// the child there, and the verdict is MISSED).
import { allMet, fmt, targetRow } from "./bench-math.mjs";
import { commandBlock, phasesTable } from "./run-tables.mjs";
import { measureRun } from "./sandbox-run.mjs";

export const THROTTLED = { gateway: { burst: 1 }, rateLimit: 1, rateWindowMs: 600_000 };
export const BOUND_MS = 5 * 60_000;
const EXPECTED_EXIT = 5;

/** @param {{ rows: number, quick: boolean, cpuProfDir?: string, log: (l: string) => void }} spec */
export async function measureThrottled(spec) {
  spec.log(
    `  ${fmt(spec.rows)} rows against a gateway that throttles everything (bound ${BOUND_MS / 1000} s)...`,
  );
  const r = await measureRun({
    id: "s5",
    rows: spec.rows,
    sandboxOptions: THROTTLED,
    flags: [],
    timeoutMs: BOUND_MS,
    cpuProfDir: spec.cpuProfDir,
  });
  spec.log(
    `    ${r.timedOut ? "killed at the bound" : `ended after ${fmt(r.wallMs / 1000, 1)} s, exit ${r.exitCode}, stopped ${r.stopped}`}; ${r.batchRequests} batch requests, ${r.creditsRequests} /creditos`,
  );
  return { sandboxOptions: THROTTLED, run: r, quick: spec.quick };
}

export function throttledSection(m) {
  const r = m.run;
  const rateLimitedRows = r.errorsByCode.RATE_LIMITED ?? 0;
  const checks = {
    "ended by itself within the bound": !r.timedOut && r.wallMs < BOUND_MS,
    [`exit ${EXPECTED_EXIT}`]: r.exitCode === EXPECTED_EXIT,
    'stopped "rate_limited"': r.stopped === "rate_limited",
    "every row RATE_LIMITED and retryable":
      rateLimitedRows === r.rows && r.retryableFailures === r.rows && r.errorRows === r.rows,
    "nothing enriched or charged": r.enriched === 0 && (r.summary?.credits_used ?? 0) === 0,
  };
  const v = allMet(Object.values(checks));
  const requests = r.batchRequests + r.creditsRequests;
  return {
    targets: [
      targetRow(
        5,
        `ends in bounded time (< ${BOUND_MS / 60_000} min) with exit 5, stopped rate_limited, every row RATE_LIMITED retryable`,
        r.timedOut
          ? `not ended after ${fmt(BOUND_MS / 1000)} s`
          : `${fmt(r.durationMs / 1000, 1)} s (wall ${fmt(r.wallMs / 1000, 1)} s), ${fmt(requests)} requests`,
        v,
      ),
    ],
    markdown: [
      `A gateway (\`gateway: { burst: 1 }\`, API Gateway's answers: 429 \`Too Many Requests\`, no Retry-After) whose token bucket holds 1 token and refills 1 per 600 s: the preflight \`/creditos\` takes the token and every later request is throttled. ${fmt(r.rows)} rows, default flags (\`--retries 4\`). The bench kills the run at ${fmt(BOUND_MS / 1000)} s.`,
      "",
      commandBlock(m.sandboxOptions, [r.command]),
      "",
      "| figure | value |",
      "| --- | --- |",
      `| duration_ms | ${r.timedOut ? "n/a (killed)" : `${fmt(r.durationMs / 1000, 2)} s`} |`,
      `| wall, spawn to exit | ${fmt(r.wallMs / 1000, 2)} s${r.timedOut ? " (killed)" : ""} |`,
      `| requests sent | ${fmt(requests)}: ${fmt(r.batchRequests)} batch, ${fmt(r.creditsRequests)} \`/creditos\` (the preflight, then the closing balance read and its retries) |`,
      `| 429s answered | ${fmt(r.status429)} |`,
      `| exit code, stopped | ${r.timedOut ? "killed" : `${r.exitCode}, ${r.stopped}`} |`,
      `| errors_by_code, retryable_failures | \`${JSON.stringify(r.errorsByCode)}\`, ${fmt(r.retryableFailures)} |`,
      `| error rows, enriched | ${fmt(r.errorRows)}, ${fmt(r.enriched)} |`,
      `| rate_per_minute at the end | ${fmt(r.ratePerMinute, 1)} |`,
      "",
      phasesTable([r]),
      "",
      ...Object.entries(checks).map(([what, ok]) => `- ${what}: ${ok ? "yes" : "**no**"}`),
      `- Verdict: **${v}**.${r.timedOut ? ` stderr tail:\n\n\`\`\`\n${r.stderrTail}\n\`\`\`` : ""}`,
    ].join("\n"),
  };
}
