import { Command } from "commander";
import { describe, expect, it } from "vitest";
import {
  registerSandboxCommand,
  runSandboxCommand,
  sandboxOptionsFromFlags,
} from "../../src/cli/sandbox-command.js";
import { SANDBOX_KEYS } from "../../src/sandbox/index.js";
import { UserError } from "../../src/user-error.js";

describe("sandboxOptionsFromFlags", () => {
  it("turns --gateway alone into gateway: true", () => {
    expect(sandboxOptionsFromFlags({ gateway: true }).gateway).toBe(true);
    expect(sandboxOptionsFromFlags({}).gateway).toBeUndefined();
  });

  it("reads --latency-spell AT,RAMP,HOLD,FALL,EXTRA, repeatable, and refuses anything else in one sentence", () => {
    expect(
      sandboxOptionsFromFlags({ latencySpell: ["30000,0,7000,0,130", "60000,10000,5000,5000,90"] })
        .latencySpells,
    ).toEqual([
      { atMs: 30_000, rampMs: 0, holdMs: 7_000, fallMs: 0, extraPerProfileMs: 130 },
      { atMs: 60_000, rampMs: 10_000, holdMs: 5_000, fallMs: 5_000, extraPerProfileMs: 90 },
    ]);
    for (const bad of ["30000,0,7000,130", "a,b,c,d,e", "1,2,3,4,-5", "1,2,3,4,5.5"]) {
      expect(() => sandboxOptionsFromFlags({ latencySpell: [bad] })).toThrow(
        new RegExp(`--latency-spell must be AT,RAMP,HOLD,FALL,EXTRA .*got "${bad.replace(".", "\\.")}"`),
      );
    }
  });

  it("applies the command defaults", () => {
    expect(sandboxOptionsFromFlags({})).toEqual({
      port: 8787,
      host: "127.0.0.1",
      unhealthy: false,
      log: false,
    });
  });

  it("maps every flag", () => {
    expect(
      sandboxOptionsFromFlags({
        port: "0",
        host: "0.0.0.0",
        latency: "150",
        latencyPerProfile: "20",
        latencyJitter: "30",
        credits: "25",
        rateLimit: "10",
        rateWindow: "1000",
        maxConcurrent: "3",
        gateway: true,
        stage: "prod",
        burst: "4",
        quota: "0",
        integrationTimeout: "500",
        fail500: "0.1",
        fail429: "0",
        failDrop: "1",
        failMalformed: "0.25",
        fail502: "0.05",
        fail503: "0.5",
        seed: "42",
        unhealthy: true,
        log: true,
      }),
    ).toEqual({
      port: 0,
      host: "0.0.0.0",
      latencyMs: 150,
      latencyPerProfileMs: 20,
      latencyJitterMs: 30,
      credits: 25,
      rateLimit: 10,
      rateWindowMs: 1000,
      maxConcurrentBatches: 3,
      gateway: { stage: "/prod", burst: 4, quota: 0, integrationTimeoutMs: 500 },
      faults: { error500: 0.1, error429: 0, drop: 1, malformed: 0.25, error502: 0.05, error503: 0.5 },
      seed: 42,
      unhealthy: true,
      log: true,
    });
  });

  it.each([
    [{ port: "70000" }, '--port must be an integer from 0 to 65535, got "70000".'],
    [{ port: "abc" }, '--port must be an integer from 0 to 65535, got "abc".'],
    [{ latency: "-1" }, '--latency must be an integer of at least 0, got "-1".'],
    [{ latencyJitter: "2.5" }, '--latency-jitter must be an integer of at least 0, got "2.5".'],
    [{ credits: "1.5" }, '--credits must be an integer of at least 0, got "1.5".'],
    [{ rateLimit: "0" }, '--rate-limit must be an integer of at least 1, got "0".'],
    [{ rateWindow: "" }, '--rate-window must be an integer of at least 1, got "".'],
    [{ fail500: "1.5" }, '--fail-500 must be a probability between 0 and 1, got "1.5".'],
    [{ failDrop: "x" }, '--fail-drop must be a probability between 0 and 1, got "x".'],
    [{ seed: "-3" }, '--seed must be an integer from 0 to 4294967295, got "-3".'],
    [{ maxConcurrent: "0" }, '--max-concurrent must be an integer of at least 1, got "0".'],
    [{ fail502: "2" }, '--fail-502 must be a probability between 0 and 1, got "2".'],
    [{ fail503: "-0.1" }, '--fail-503 must be a probability between 0 and 1, got "-0.1".'],
    [{ gateway: true, burst: "0" }, '--burst must be an integer of at least 1, got "0".'],
    [{ gateway: true, quota: "x" }, '--quota must be an integer of at least 0, got "x".'],
    [
      { gateway: true, integrationTimeout: "0" },
      '--integration-timeout must be an integer of at least 1, got "0".',
    ],
    [{ gateway: true, stage: "/" }, '--stage must be a path such as /prod, got "/".'],
    [{ stage: "/prod" }, "--stage only applies to gateway mode: add --gateway."],
    [{ burst: "5" }, "--burst only applies to gateway mode: add --gateway."],
    [{ quota: "5" }, "--quota only applies to gateway mode: add --gateway."],
    [{ integrationTimeout: "5" }, "--integration-timeout only applies to gateway mode: add --gateway."],
    [{ host: " " }, "--host must not be empty."],
  ])("rejects %j with a UserError", (flags, message) => {
    expect(() => sandboxOptionsFromFlags(flags)).toThrow(UserError);
    expect(() => sandboxOptionsFromFlags(flags)).toThrow(message);
  });
});

describe("runSandboxCommand", () => {
  it("prints the URL, one key per plan and examples, serves until stopped, then closes", async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    const running = runSandboxCommand(
      { port: 0, log: true },
      { out: (line) => lines.push(line), stop: stop.signal },
    );
    await expect.poll(() => lines.some((line) => line.startsWith("Press Ctrl-C"))).toBe(true);
    const url = /listening on (http:\/\/\S+)/.exec(lines[0] ?? "")?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const key of Object.values(SANDBOX_KEYS))
      expect(lines.some((line) => line.includes(key))).toBe(true);
    expect(lines).toContainEqual(
      `  FLUENCE_BASE_URL=${url} FLUENCE_API_KEY=${SANDBOX_KEYS.enterprise} fluence credits`,
    );
    const response = await fetch(`${url}/health`, { headers: { "x-api-key": SANDBOX_KEYS.essentials } });
    expect(response.status).toBe(200);
    expect(lines.some((line) => /^GET \/health 200 \d+ms$/.test(line))).toBe(true);
    stop.abort();
    await running;
    expect(lines.at(-1)).toBe("Sandbox stopped.");
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});

describe("runSandboxCommand banner", () => {
  async function banner(options: Parameters<typeof runSandboxCommand>[0]) {
    const lines: string[] = [];
    const stop = new AbortController();
    const running = runSandboxCommand(options, { out: (line) => lines.push(line), stop: stop.signal });
    await expect.poll(() => lines.some((line) => line.startsWith("Press Ctrl-C"))).toBe(true);
    const url = /listening on (http:\/\/\S+)/.exec(lines[0] ?? "")?.[1] ?? "";
    const finish = async () => {
      stop.abort();
      await running;
    };
    return { lines, url, stop: finish };
  }

  it("says which plan has which tier, and that gateway mode is off", async () => {
    const { lines, stop } = await banner({ port: 0 });
    expect(lines).toContain("Mode: the documented service answers (add --gateway for API Gateway's own).");
    const line = (plan: string) => lines.find((l) => l.includes(plan)) ?? "";
    expect(line("CRM-Enterprise-Plan")).toContain("Complete tier: every CRM endpoint, /crm_batch included");
    expect(line("CRM-Business-Plan")).toContain("Basic tier: CRM endpoints except /crm_batch");
    expect(line("Platform-Users-Essentials")).toContain("utility endpoints only");
    await stop();
  });

  it("says gateway mode is on, with its settings, and points the examples at the stage", async () => {
    const { lines, url, stop } = await banner({ port: 0, gateway: { stage: "/prod", quota: 50 } });
    expect(lines).toContain(
      "Mode: API Gateway in front of the service (stage /prod, burst 10, quota 50 requests per key, integration timeout 29000 ms).",
    );
    expect(lines.find((l) => l.includes("CRM-Business-Plan"))).toContain("quota 50 requests");
    expect(lines).toContainEqual(
      `  FLUENCE_BASE_URL=${url}/prod FLUENCE_API_KEY=${SANDBOX_KEYS.enterprise} fluence credits`,
    );
    const response = await fetch(`${url}/prod/health`, { headers: { "x-api-key": SANDBOX_KEYS.essentials } });
    expect(response.status).toBe(200);
    await stop();
  });
});

describe("registerSandboxCommand", () => {
  it("adds a `sandbox` command with every flag and examples in its help", () => {
    const program = new Command();
    registerSandboxCommand(program);
    const command = program.commands.find((c) => c.name() === "sandbox");
    expect(command).toBeDefined();
    const flags = command?.options.map((option) => option.long);
    expect(flags).toEqual([
      "--port",
      "--host",
      "--latency",
      "--latency-per-profile",
      "--latency-jitter",
      "--latency-spell",
      "--credits",
      "--rate-limit",
      "--rate-window",
      "--max-concurrent",
      "--gateway",
      "--stage",
      "--burst",
      "--quota",
      "--integration-timeout",
      "--fail-500",
      "--fail-429",
      "--fail-drop",
      "--fail-malformed",
      "--fail-502",
      "--fail-503",
      "--seed",
      "--unhealthy",
      "--log",
    ]);
    let help = "";
    command?.configureOutput({ writeOut: (text) => (help += text) });
    command?.outputHelp();
    expect(help).toContain("fluence sandbox --fail-500 0.05");
    for (const flag of [
      "--latency-jitter",
      "--latency-spell",
      "--max-concurrent",
      "--gateway",
      "--stage",
      "--burst",
      "--quota",
      "--integration-timeout",
      "--fail-502",
      "--fail-503",
    ]) {
      expect(help).toMatch(new RegExp(`\\$ fluence sandbox .*${flag}`));
    }
    expect(help).toContain("CRM-Business-Plan has the Basic tier");
  });
});
