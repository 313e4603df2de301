import path from "node:path";
import type { DryRunReport, EnrichSummary } from "../pipeline/index.js";
import { rowErrorInfo } from "../pipeline/index.js";
import { formatCount, formatDuration } from "./format-units.js";
import type { TerminalOutput } from "./terminal-output.js";

/** The short human account at the end of a run: counts, credits, time, files, what to do about errors. */
export function enrichSummaryText(s: EnrichSummary, out: TerminalOutput): string {
  const c = out.color;
  const head =
    s.exit_code === 0 ? c.green("✔") : s.exit_code === 5 || s.exit_code === 4 ? c.yellow("!") : c.red("✖");
  const extras: string[] = [];
  if (s.from_store) extras.push(`${formatCount(s.from_store)} from the store`);
  if (s.duplicates) extras.push(`${formatCount(s.duplicates)} duplicates`);
  const lines = [
    `${head} Enriched ${formatCount(s.enriched)} of ${formatCount(s.rows)} rows${extras.length ? ` (${extras.join(", ")})` : ""} in ${formatDuration(s.duration_ms)}.`,
  ];
  const errorRows = s.failed + s.invalid;
  if (errorRows > 0) {
    lines.push(`  ${formatCount(errorRows)} rows in the errors file:`);
    const top = Object.entries(s.errors_by_code)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5);
    const width = Math.max(...top.map(([code]) => code.length));
    for (const [code, n] of top) {
      lines.push(`    ${code.padEnd(width)} ${String(n).padStart(5)}  ${c.dim(rowErrorInfo(code).advice)}`);
    }
  }
  const remaining = s.credits_remaining === null ? "unknown" : formatCount(s.credits_remaining);
  lines.push(
    `  Credits: ${formatCount(s.credits_used)} used, ${remaining} remaining${s.plan ? ` (${s.plan})` : ""}${s.credits_saved ? `, ${formatCount(s.credits_saved)} saved by the store` : ""}; ${s.analysis} analysis, ${s.credits_per_profile} credit${s.credits_per_profile === 1 ? "" : "s"} a person.`,
  );
  if (s.batches > 0) {
    const latency = s.latency_ms
      ? `, latency p50 ${formatDuration(s.latency_ms.p50)} / p95 ${formatDuration(s.latency_ms.p95)}`
      : "";
    lines.push(
      `  Requests: ${formatCount(s.batches)} batches, at most ${s.max_in_flight} in flight (limit at the end ${s.concurrency_limit})${latency}.`,
    );
  }
  if (s.fleet.runs > 1) {
    const got =
      s.fleet.rate_per_minute === null
        ? ""
        : `; this one got ${formatCount(Math.round(s.fleet.rate_per_minute))} starts a minute`;
    lines.push(
      `  Fleet: ${formatCount(s.fleet.runs)} runs shared the API key's rate through the store${got}.`,
    );
  }
  if (s.gateway_timeouts > 0) {
    const sizes = Object.entries(s.batch_sizes)
      .sort((a, b) => Number(b[0]) - Number(a[0]))
      .map(([size, n]) => `${formatCount(n)} of ${size}`)
      .join(", ");
    lines.push(
      c.yellow(
        `  The API gateway timed out ${formatCount(s.gateway_timeouts)} time(s) (HTTP 504); batches were made smaller (${sizes}).`,
      ),
    );
  }
  if (s.in_doubt > 0) {
    lines.push(
      c.yellow(
        `  ${formatCount(s.in_doubt)} profiles were in doubt (sent, answer lost) and were retried; they may have been charged twice.`,
      ),
    );
  }
  if (!s.billing_check.ok && s.billing_check.mismatch)
    lines.push(c.yellow(`  Billing check: ${s.billing_check.mismatch}`));
  lines.push(
    `  Files: ${relative(s.outputs.enriched)}, ${relative(s.outputs.errors)}, ${relative(s.outputs.summary)}`,
  );
  const stops: Record<string, string> = {
    credits: "Stopped: the credit balance ran out; the rest is in the errors file as INSUFFICIENT_CREDITS.",
    budget: "Stopped: --max-credits was reached; the rest is in the errors file as BUDGET_EXCEEDED.",
    quota:
      "Stopped: the key's request quota for this period is spent; the rest is in the errors file as QUOTA_EXCEEDED.",
    rate_limited:
      "Stopped: the API refused every request as rate-limited; the rest is in the errors file as RATE_LIMITED.",
    interrupted: "Interrupted: the rows not sent are in the errors file as INTERRUPTED; run again to finish.",
    store:
      "Stopped: the store failed; every answer that came back is in the outputs, the rows not sent are in the errors file as STORE_UNAVAILABLE.",
  };
  if (s.stopped && stops[s.stopped]) lines.push(c.yellow(`  ${stops[s.stopped]}`));
  if (s.exit_code === 5)
    lines.push(c.yellow("  Some rows failed for reasons worth retrying: run the same command again later."));
  return lines.join("\n");
}

export function dryRunText(r: DryRunReport): string {
  const balance = r.credits_remaining === null ? "unknown" : formatCount(r.credits_remaining);
  const quota =
    r.monthly_request_quota === null
      ? "the plan's monthly request quota is unknown"
      : `the plan allows ${formatCount(r.monthly_request_quota)} a month${r.requests_used === null ? "" : `, ${formatCount(r.requests_used)} used`}`;
  return [
    `Dry run of ${r.input}: nothing was sent, charged or written.`,
    `  Columns: ${Object.entries(r.columns)
      .map(([field, column]) => `${field} <- ${column}`)
      .join(", ")}`,
    ...r.first_rows.map((row, i) => `  Row ${i + 1} as sent: ${JSON.stringify(row)}`),
    `  Rows: ${formatCount(r.rows)} (${formatCount(r.invalid)} invalid, ${formatCount(r.duplicates)} duplicates, ${formatCount(r.from_store)} from the store)`,
    `  Analysis: ${r.analysis}, ${r.credits_per_profile} credit${r.credits_per_profile === 1 ? "" : "s"} per enriched person`,
    `  To send: ${formatCount(r.profiles_to_send)} people in ${formatCount(r.batches)} batches, costing at most ${formatCount(r.max_credits_cost)} credits`,
    `  Requests: ${formatCount(r.requests_needed)} (${quota})`,
    `  Balance: ${balance}${r.plan ? ` (${r.plan})` : ""}`,
    `  Estimated time: about ${formatDuration(r.estimated_ms)} at the chosen pace${r.fleet.runs > 1 ? ` (${formatCount(r.fleet.runs - 1)} other run(s) on the API key now: ${formatCount(Math.round(r.fleet.rate_per_minute))} of --rate a minute is this run's share)` : ""}`,
    ...(r.quota_warning ? [`  Warning: ${r.quota_warning}`] : []),
    ...(r.exit_code === 4
      ? ["  The balance is below the maximum cost: the run would stop when the credits run out."]
      : []),
  ].join("\n");
}

function relative(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith("..") ? file : rel;
}
