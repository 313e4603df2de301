import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { SandboxHandle } from "../../src/sandbox/index.js";
import {
  leadRows,
  readCsv,
  readJson,
  runCli,
  sandboxEnv,
  tempDir,
  writeCsv,
} from "../helpers/cli-harness.js";

// enrich and the account commands without a terminal (the harness pipes stdout and stderr): no escape
// codes, throttled plain progress, pure JSON with --json, and silence with --quiet.

const ESC = /\x1b\[/;
const FAST = ["--delay", "0", "--rate", "6000"];
/** Colour allowed as far as the environment goes: only the missing TTY should keep output plain. */
const COLOURFUL = { NO_COLOR: undefined, TERM: "xterm-256color" };

let sandboxes: SandboxHandle[] = [];
let dirs: Array<{ cleanup(): void }> = [];
afterEach(async () => {
  await Promise.all(sandboxes.map((s) => s.close()));
  for (const d of dirs) d.cleanup();
  sandboxes = [];
  dirs = [];
});

async function setup(people: number, options: Parameters<typeof sandboxEnv>[0] = {}) {
  const tmp = tempDir();
  dirs.push(tmp);
  const { sandbox, env } = await sandboxEnv(options, tmp.file("store.sqlite"));
  sandboxes.push(sandbox);
  const input = writeCsv(tmp.file("leads.csv"), leadRows(people));
  return { sandbox, env, tmp, input };
}

describe("enrich without a TTY", () => {
  it("prints no escape codes and at most the plan line plus one progress line in a short run", async () => {
    const { sandbox, env, tmp, input } = await setup(60, { latencyMs: 15 });
    const r = await runCli(["enrich", input, ...FAST, "--batch-size", "1", "--concurrency", "1"], {
      env: { ...env, ...COLOURFUL },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(ESC);
    expect(r.stderr).not.toMatch(ESC);
    const progress = r.stderr.split("\n").filter((l) => l.startsWith("fluence:"));
    expect(progress[0]).toBe("fluence: planned: 60 rows, 60 people to send");
    expect(progress.length).toBeLessThanOrEqual(2);
    expect(r.stdout).toMatch(/^✔ Enriched 60 of 60 rows in /);
    expect(r.stdout).toMatch(
      /Credits: 60 used, 9,940 remaining \(enterprise_crm\); basic analysis, 1 credit a person\./,
    );
    // 60 single-profile batches really happened: progress was reported often, but printed rarely
    const stats = sandbox.stats();
    expect(stats.batchSizes).toEqual(Array(60).fill(1));
    expect(stats.creditsDebited).toBe(60);
    expect(readCsv(tmp.file("leads.enriched.csv"))).toHaveLength(61);
    expect(readJson(tmp.file("leads.summary.json"))).toMatchObject({ enriched: 60, credits_used: 60 });
  });

  it("reports a rate-limit backoff on a plain line, without escape codes", async () => {
    const { sandbox, env, tmp, input } = await setup(12, { rateLimit: 4, rateWindowMs: 400 });
    const r = await runCli(["enrich", input, ...FAST, "--batch-size", "1", "--concurrency", "4"], {
      env: { ...env, ...COLOURFUL },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(sandbox.stats().rateLimited).toBeGreaterThan(0);
    expect(r.stderr).not.toMatch(ESC);
    expect(r.stdout).not.toMatch(ESC);
    const backoff = r.stderr.split("\n").filter((l) => /rate limit/i.test(l));
    expect(backoff).toHaveLength(1);
    expect(backoff[0]).toMatch(/^fluence: rate limited by the API; waiting .+ and slowing down$/);
    expect(readJson(tmp.file("leads.summary.json"))).toMatchObject({ enriched: 12 });
    expect(sandbox.stats().creditsDebited).toBe(12);
  });

  it("FORCE_COLOR=1 with --json keeps stdout pure JSON; colour goes only to the human text on stderr", async () => {
    const { sandbox, env, tmp, input } = await setup(5);
    const r = await runCli(["enrich", input, ...FAST, "--json"], {
      env: { ...env, NO_COLOR: undefined, FORCE_COLOR: "1" },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(ESC);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(summary).toEqual(readJson(tmp.file("leads.summary.json")));
    expect(summary).toMatchObject({ rows: 5, enriched: 5, credits_used: 5, exit_code: 0 });
    expect(r.stderr).toContain("Enriched 5 of 5 rows");
    expect(r.stderr).toMatch(/\x1b\[32m✔/);
    expect(sandbox.stats().creditsDebited).toBe(5);
  });

  it.each(["credits", "tiers", "status"])("%s --json with FORCE_COLOR=1 is pure JSON", async (cmd) => {
    const { env } = await setup(0);
    const r = await runCli([cmd, "--json"], { env: { ...env, NO_COLOR: undefined, FORCE_COLOR: "1" } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(ESC);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  });

  it("health text output has no colour codes on a pipe, even with TERM set", async () => {
    const { env } = await setup(0);
    const r = await runCli(["health"], { env: { ...env, ...COLOURFUL } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("health: ✔ healthy (HTTP 200)\n  status: ok\n");
  });
});

describe("--quiet", () => {
  it("enrich --quiet prints nothing at all on success, and still writes everything", async () => {
    const { sandbox, env, tmp, input } = await setup(8);
    const r = await runCli(["enrich", input, ...FAST, "--quiet"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("");
    expect(readJson(tmp.file("leads.summary.json"))).toMatchObject({ enriched: 8, credits_used: 8 });
    expect(existsSync(tmp.file("leads.errors.csv"))).toBe(true);
    expect(sandbox.stats().creditsDebited).toBe(8);
  });

  it("enrich --quiet still prints a usage error", async () => {
    const { env, tmp } = await setup(0);
    const r = await runCli(["enrich", tmp.file("nope.csv"), "--quiet"], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^fluence: Cannot read .*nope\.csv/);
  });

  it("enrich --quiet with an unknown key prints the refusal and charges nothing", async () => {
    const { sandbox, env, input } = await setup(3);
    const r = await runCli(["enrich", input, ...FAST, "--quiet"], {
      env: { ...env, FLUENCE_API_KEY: "Unknown0Key0Of0The0Right0Format000000XYZ" },
    });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/401/);
    expect(r.stderr).not.toContain("Unknown0Key0Of0The0Right0Format000000XYZ");
    expect(sandbox.stats().creditsDebited).toBe(0);
  });

  it("credits and health --quiet print nothing when all is well; an unhealthy API still says so", async () => {
    const { sandbox, env } = await setup(0);
    for (const cmd of ["credits", "health", "status", "tiers"]) {
      const r = await runCli([cmd, "--quiet"], { env });
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toBe("");
      expect(r.stderr, cmd).toBe("");
    }
    sandbox.setUnhealthy(true);
    const bad = await runCli(["health", "--quiet"], { env });
    expect(bad.code).toBe(6);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toBe("fluence: the API is not healthy (HTTP 503).\n");
  });

  it("lookup --quiet still explains a 409", async () => {
    const { sandbox, env } = await setup(0);
    const r = await runCli(
      ["lookup", "--first", "Ana", "--last", "Lima", "--company", "Homônimos Ltda", "--quiet"],
      { env },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^fluence: .*\(409\).*--context/);
    expect(sandbox.stats().statuses).toEqual({ "409": 1 });
  });
});
