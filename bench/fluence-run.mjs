// One measured `fluence enrich` against a sandbox, with the summary JSON, the sandbox's counters and the
// child's resource usage gathered in one result.
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { cpuSeconds, ROOT, runMeasured } from "./run-child.mjs";

/** The shell line that reproduces a child run (the sandbox's URL and key are placeholders). */
export function commandLine(env, args, nodeFlags = []) {
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return [...vars, "node", ...nodeFlags, "--import ./bench/report-usage.mjs", ...args].join(" ");
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
 * Runs fluence enrich once against `sandbox` with the given store and a fresh output dir. A run that exits
 * non-zero but prints its summary is returned (exit 5 is the expected end of some scenarios; the caller
 * judges); one that prints no summary throws with its stderr tail, unless it was killed at `timeoutMs`
 * (then `summary` is undefined and `timedOut` true).
 * @param {{ sandbox: import("../dist/sandbox/index.js").SandboxHandle, input: string, store: string,
 *   outDir: string, extra?: string[], cpuProfDir?: string, countErrorRows?: boolean, nodeFlags?: string[],
 *   env?: Record<string, string>, timeoutMs?: number }} run
 *   store: a SQLite file or a postgres:// URL; countErrorRows (default true) parses the errors output to
 *   count its rows; nodeFlags go before bin/fluence.js (e.g. --import ./bench/rate-margin.mjs); env is added
 *   to the child's environment (e.g. the PGPASSWORD of a PostgreSQL store)
 */
export async function runFluence(run) {
  rmSync(run.outDir, { recursive: true, force: true });
  mkdirSync(run.outDir, { recursive: true });
  const args = enrichArgs(run.input, run.sandbox.apiUrl, run.outDir, run.extra);
  const env = { FLUENCE_API_KEY: run.sandbox.keys.enterprise, FLUENCE_STORE: run.store, ...run.env };
  const result = await runMeasured(args, {
    env,
    cpuProfDir: run.cpuProfDir,
    nodeFlags: run.nodeFlags,
    timeoutMs: run.timeoutMs,
  });
  let summary;
  try {
    summary = JSON.parse(result.stdout);
  } catch {
    summary = undefined;
  }
  if (summary === undefined && !result.timedOut) {
    const tail = result.stderr.trim().split("\n").slice(-8).join("\n");
    throw new Error(`fluence enrich exited with ${result.code ?? result.signal} and no summary:\n${tail}`);
  }
  const errorRows =
    run.countErrorRows === false || summary === undefined ? undefined : csvDataRows(summary.outputs.errors);
  const shownEnv = { FLUENCE_API_KEY: "<sandbox enterprise key>", FLUENCE_STORE: storeArg(run.store) };
  // A password (even a throwaway server's) never goes into BENCHMARKS.md.
  for (const [k, v] of Object.entries(run.env ?? {})) shownEnv[k] = /PASSWORD/i.test(k) ? "<password>" : v;
  return {
    summary,
    errorRows,
    code: result.code,
    timedOut: result.timedOut,
    stderr: result.stderr,
    wallMs: result.wallMs,
    spawnedAt: result.spawnedAt,
    exitedAt: result.exitedAt,
    maxRSSMB: result.usage ? result.usage.maxRSSKB / 1024 : Number.NaN,
    cpuS: result.usage ? cpuSeconds(result.usage) : Number.NaN,
    stats: run.sandbox.stats(),
    command: commandLine(
      shownEnv,
      [...args.slice(0, 4), "<sandbox url>", ...args.slice(5)],
      run.nodeFlags ?? [],
    ),
  };
}
