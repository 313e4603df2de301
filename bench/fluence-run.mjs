// One measured `fluence enrich` against a sandbox, with the summary JSON, the sandbox's counters and the
// child's resource usage gathered in one result.
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { assertExitedOk, cpuSeconds, ROOT, runMeasured } from "./run-child.mjs";

/** The shell line that reproduces a child run (the sandbox's URL and key are placeholders). */
export function commandLine(env, args) {
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return [...vars, "node --import ./bench/report-usage.mjs", ...args].join(" ");
}

/** `fluence enrich` arguments for a bench input, outputs into `outDir`. */
export function enrichArgs(input, baseUrl, outDir, extra = []) {
  return [
    "bin/fluence.js",
    "enrich",
    rel(input),
    "--base-url",
    baseUrl,
    "--out-dir",
    rel(outDir),
    "--json",
    ...extra,
  ];
}

/** A store as a command line shows it: a URL as it is (it carries no password), a file relative to the repo. */
function storeArg(store) {
  return /^postgres(ql)?:\/\//iu.test(store) ? store : rel(store);
}

export function rel(file) {
  return path.relative(ROOT, file) || ".";
}

/** Data rows of a CSV output (header excluded); 0 when the file is absent. */
export function csvDataRows(file) {
  let text;
  try {
    text = readFileSync(file);
  } catch {
    return 0;
  }
  return Math.max(0, parse(text, { relax_column_count: true }).length - 1);
}

/**
 * Runs fluence enrich once against `sandbox` with a fresh store and output dir.
 * @param {{ sandbox: import("../dist/sandbox/index.js").SandboxHandle, input: string, store: string,
 *   outDir: string, extra?: string[], cpuProfDir?: string, countErrorRows?: boolean,
 *   env?: Record<string, string> }} run
 *   store: a SQLite file or a postgres:// URL; env (default none) is added to the child's, e.g. the
 *   PGPASSWORD of a PostgreSQL store; countErrorRows (default true) parses the errors output to count its rows
 */
export async function runFluence(run) {
  rmSync(run.outDir, { recursive: true, force: true });
  mkdirSync(run.outDir, { recursive: true });
  const args = enrichArgs(run.input, run.sandbox.url, run.outDir, run.extra);
  const env = { ...run.env, FLUENCE_API_KEY: run.sandbox.keys.enterprise, FLUENCE_STORE: run.store };
  const result = await runMeasured(args, { env, cpuProfDir: run.cpuProfDir });
  // Exit 0 is "every row resolved"; anything else means rows were lost or the run broke.
  assertExitedOk(result, "fluence enrich");
  const summary = JSON.parse(result.stdout);
  const errorRows = run.countErrorRows === false ? undefined : csvDataRows(summary.outputs.errors);
  return {
    summary,
    errorRows,
    wallMs: result.wallMs,
    maxRSSMB: result.usage ? result.usage.maxRSSKB / 1024 : Number.NaN,
    cpuS: result.usage ? cpuSeconds(result.usage) : Number.NaN,
    stats: run.sandbox.stats(),
    command: commandLine(
      { FLUENCE_API_KEY: "<sandbox enterprise key>", FLUENCE_STORE: storeArg(run.store) },
      [...args.slice(0, 4), "<sandbox url>", ...args.slice(5)],
    ),
  };
}
