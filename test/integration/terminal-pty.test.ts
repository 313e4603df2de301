import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { SandboxHandle } from "../../src/sandbox/index.js";
import {
  baseEnv,
  CLI,
  FIXTURES,
  leadRows,
  readJson,
  sandboxEnv,
  tempDir,
  writeCsv,
} from "../helpers/cli-harness.js";

// `enrich` under a pseudo-terminal made by util-linux `script`: spinner, cursor codes and progress text,
// colour that follows NO_COLOR, and progress counts that add up.

const HAS_SCRIPT = spawnSync("sh", ["-c", "command -v script && command -v timeout"]).status === 0;
const FAST = ["--delay", "0", "--rate", "6000", "--concurrency", "1", "--batch-size", "5"];
const COLOUR_CODE = /\x1b\[(3[0-9]|2|22)m/;
/** Output beyond this is a runaway redraw loop, not progress; the run is killed. */
const OUTPUT_CAP = 2_000_000;

let sandboxes: SandboxHandle[] = [];
let dirs: Array<{ cleanup(): void }> = [];
afterEach(async () => {
  await Promise.all(sandboxes.map((s) => s.close()));
  for (const d of dirs) d.cleanup();
  sandboxes = [];
  dirs = [];
});

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface PtyResult {
  code: number | null;
  output: string;
  capped: boolean;
}

/**
 * Runs the CLI on the slave side of a pty. `size` sets the terminal's columns x rows first (a pty made by
 * `script` outside a terminal starts at 0x0). An inner `timeout` guarantees the CLI dies even if `script`
 * is killed first.
 */
function runUnderPty(
  args: string[],
  env: Record<string, string | undefined>,
  size: [number, number] | null,
  pidFile: string,
): Promise<PtyResult> {
  const cli = ["timeout", "--foreground", "-s", "KILL", "25", process.execPath, CLI, ...args]
    .map(shq)
    .join(" ");
  // `script` makes the shell a session leader, so its pid (kept by exec) is the CLI's process group
  const stty = size ? `stty cols ${size[0]} rows ${size[1]} && ` : "";
  const command = `echo $$ > ${shq(pidFile)} && ${stty}exec ${cli}`;
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    env: baseEnv({ TERM: "xterm-256color", ...env }),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  return new Promise((resolve, reject) => {
    let output = "";
    let capped = false;
    const kill = () => {
      for (const group of [child.pid as number, innerGroup(pidFile)]) {
        try {
          if (group) process.kill(-group, "SIGKILL");
        } catch {
          // already gone
        }
      }
    };
    const timer = setTimeout(kill, 28_000);
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      if (capped) return;
      output += d;
      if (output.length > OUTPUT_CAP) {
        capped = true;
        kill();
      }
    });
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (capped) kill();
      resolve({ code, output, capped });
    });
  });
}

function innerGroup(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    return Number.isSafeInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function setup(latencyMs: number) {
  const tmp = tempDir();
  dirs.push(tmp);
  const { sandbox, env } = await sandboxEnv({ latencyMs }, tmp.file("store.sqlite"));
  sandboxes.push(sandbox);
  return { sandbox, env, tmp };
}

/** The text after the spinner stopped: the final human summary. */
function summaryPart(output: string): string {
  const at = output.indexOf("Enriched ");
  expect(at, output.slice(-2000)).toBeGreaterThan(-1);
  return output.slice(Math.max(0, at - 20));
}

/** Every "[███░░] R/T P% · ETA … · N in flight (limit L) · E enriched, F failed" frame the bar showed. */
function frames(
  output: string,
): Array<{ resolved: number; total: number; enriched: number; failed: number }> {
  return [
    ...output.matchAll(
      /(\d+)\/(\d+)\+? \d+% · [^·]+ · \d+ in flight \(limit \d+\) · (\d+) enriched, (\d+) failed/g,
    ),
  ].map((m) => ({
    resolved: Number(m[1]),
    total: Number(m[2]),
    enriched: Number(m[3]),
    failed: Number(m[4]),
  }));
}

describe.skipIf(!HAS_SCRIPT)(
  "enrich under a pseudo-terminal (needs util-linux script and coreutils timeout)",
  () => {
    it("shows a spinner with cursor codes and live progress, then a coloured summary", async () => {
      const { sandbox, env, tmp } = await setup(150);
      const input = writeCsv(tmp.file("leads.csv"), leadRows(30));
      const r = await runUnderPty(
        ["enrich", input, ...FAST],
        { ...env, NO_COLOR: undefined },
        [120, 40],
        tmp.file("pty.pid"),
      );
      expect(r.capped).toBe(false);
      expect(r.code, r.output.slice(-2000)).toBe(0);
      expect(r.output).toContain("\x1b[?25l"); // cursor hidden while spinning
      expect(r.output).toContain("\x1b[?25h"); // and shown again
      expect(r.output).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
      expect(r.output).toMatch(/planned: 30 rows, 30 people to send/);
      // A bar with done/total, percent, ETA, batches in flight and the current limit.
      expect(r.output).toMatch(
        /\[[█░]{20}\] \d+\/30 \d+% · ETA [^·]+ · \d+ in flight \(limit \d+\) · \d+ enriched, \d+ failed, \d+ credits/,
      );
      expect(r.output).toMatch(/ETA \d/);
      const summary = summaryPart(r.output);
      expect(summary).toMatch(/\x1b\[32m✔\x1b\[39m Enriched 30 of 30 rows/);
      expect(summary).toMatch(/Credits: 30 used, 9,970 remaining/);
      expect(readJson(tmp.file("leads.summary.json"))).toMatchObject({ enriched: 30, credits_used: 30 });
      expect(sandbox.stats().creditsDebited).toBe(30);
      expect(sandbox.stats().batchSizes).toEqual([5, 5, 5, 5, 5, 5]);
    });

    it("NO_COLOR=1 removes colour codes from the final summary; the spinner still runs", async () => {
      const { sandbox, env, tmp } = await setup(150);
      copyFileSync(`${FIXTURES}leads.csv`, tmp.file("leads.csv"));
      const r = await runUnderPty(
        ["enrich", tmp.file("leads.csv"), ...FAST],
        { ...env, NO_COLOR: "1" },
        [120, 40],
        tmp.file("pty.pid"),
      );
      expect(r.code, r.output.slice(-2000)).toBe(0);
      expect(r.output).toContain("\x1b[?25l");
      expect(r.output).toMatch(/in flight \(limit \d+\)/);
      const summary = summaryPart(r.output);
      expect(summary).toContain("✔ Enriched 36 of 40 rows (2 duplicates)");
      expect(summary).toMatch(/MULTIPLE_MATCHES\s+1\s+add a contexto_adicional column/);
      expect(summary).not.toMatch(COLOUR_CODE);
      expect(sandbox.stats().creditsDebited).toBe(34);
    });

    it("NO_COLOR=1 removes colour codes from the spinner too", async () => {
      const { env, tmp } = await setup(150);
      const input = writeCsv(tmp.file("leads.csv"), leadRows(20));
      const r = await runUnderPty(
        ["enrich", input, ...FAST],
        { ...env, NO_COLOR: "1" },
        [120, 40],
        tmp.file("pty.pid"),
      );
      expect(r.code).toBe(0);
      expect(r.output).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
      // https://no-color.org: no ANSI colour at all when NO_COLOR is set, whatever draws it
      expect(r.output).not.toMatch(COLOUR_CODE);
    });

    it("--quiet under a terminal shows no spinner and prints nothing on success", async () => {
      const { sandbox, env, tmp } = await setup(50);
      const input = writeCsv(tmp.file("leads.csv"), leadRows(10));
      const r = await runUnderPty(
        ["enrich", input, ...FAST, "--quiet"],
        { ...env, NO_COLOR: undefined },
        [120, 40],
        tmp.file("pty.pid"),
      );
      expect(r.code).toBe(0);
      expect(r.output).toBe("");
      expect(sandbox.stats().creditsDebited).toBe(10);
    });

    it("progress counts add up: every person resolved is either enriched or failed", async () => {
      const { sandbox, env, tmp } = await setup(150);
      copyFileSync(`${FIXTURES}leads.csv`, tmp.file("leads.csv"));
      const r = await runUnderPty(
        ["enrich", tmp.file("leads.csv"), ...FAST],
        { ...env, NO_COLOR: "1" },
        [120, 40],
        tmp.file("pty.pid"),
      );
      expect(r.code).toBe(0);
      const seen = frames(r.output);
      expect(seen.length).toBeGreaterThan(0);
      const summary = readJson<{ failed: number; enriched: number }>(tmp.file("leads.summary.json"));
      expect(summary.failed).toBe(3); // PROFILE_NOT_FOUND, MULTIPLE_MATCHES, INSUFFICIENT_DATA
      expect(sandbox.stats().profilesReceived).toBe(37);
      const last = seen[seen.length - 1]!;
      // e.g. "35/37 people, 32 enriched, 0 failed": 3 people are neither enriched nor failed
      expect(last.enriched + last.failed).toBe(last.resolved);
    });

    it("a terminal that reports 0 columns (script outside a terminal, some CI runners) still finishes", async () => {
      const { sandbox, env, tmp } = await setup(100);
      const input = writeCsv(tmp.file("leads.csv"), leadRows(10));
      const r = await runUnderPty(
        ["enrich", input, ...FAST],
        { ...env, NO_COLOR: "1" },
        null,
        tmp.file("pty.pid"),
      );
      expect(r.capped, `output passed ${OUTPUT_CAP} bytes: ${JSON.stringify(r.output.slice(-200))}`).toBe(
        false,
      );
      expect(r.code).toBe(0);
      expect(r.output).toContain("Enriched 10 of 10 rows");
      expect(sandbox.stats().creditsDebited).toBe(10);
    });
  },
);
