// Runs one measured child process: `node [--cpu-prof...] [node flags] --import ./bench/report-usage.mjs
// <script> <args>`, asynchronously so a sandbox in this process keeps serving it. Wall time is measured here,
// from spawn to exit (performance.now(), the clock the sandbox's request log is read on); peak RSS and CPU
// come from the child's own process.resourceUsage() (see report-usage.mjs).
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { dataPath } from "./data-files.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

let childSeq = 0;

/**
 * @param {string[]} args script and its arguments, relative to the repository root
 * @param {{ env?: Record<string, string>, cpuProfDir?: string, nodeFlags?: string[], timeoutMs?: number }}
 *   [options] env is added to process.env; cpuProfDir (default none) writes a V8 CPU profile of the child
 *   there; nodeFlags (default none) go before the script, e.g. another --import; timeoutMs (default none)
 *   kills the child (SIGKILL, this child only) when it has not exited by then
 * @returns {Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string,
 *   wallMs: number, spawnedAt: number, exitedAt: number, timedOut: boolean,
 *   usage: { maxRSSKB: number, userCPUTimeUs: number, systemCPUTimeUs: number } | undefined }>}
 */
export function runMeasured(args, options = {}) {
  const usageFile = dataPath(`usage-${process.pid}-${++childSeq}.json`);
  rmSync(usageFile, { force: true });
  const nodeFlags = options.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", options.cpuProfDir] : [];
  const argv = [...nodeFlags, ...(options.nodeFlags ?? []), "--import", "./bench/report-usage.mjs", ...args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, argv, {
      cwd: ROOT,
      env: { ...process.env, ...options.env, FLUENCE_BENCH_USAGE: usageFile, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout = [];
    const stderr = [];
    child.stdout.on("data", (b) => stdout.push(b));
    child.stderr.on("data", (b) => stderr.push(b));
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const exitedAt = performance.now();
      const wallMs = exitedAt - started;
      let usage;
      try {
        usage = JSON.parse(readFileSync(usageFile, "utf8"));
      } catch {
        usage = undefined;
      }
      rmSync(usageFile, { force: true });
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        wallMs,
        spawnedAt: started,
        exitedAt,
        timedOut,
        usage,
      });
    });
  });
}

/** CPU seconds (user + system) of a usage report. */
export function cpuSeconds(usage) {
  return (usage.userCPUTimeUs + usage.systemCPUTimeUs) / 1e6;
}

/** Throws with the child's stderr tail when it did not exit 0: a crash is a bench failure. */
export function assertExitedOk(result, what) {
  if (result.code === 0) return;
  const tail = result.stderr.trim().split("\n").slice(-8).join("\n");
  throw new Error(`${what} exited with ${result.code ?? result.signal}:\n${tail}`);
}
