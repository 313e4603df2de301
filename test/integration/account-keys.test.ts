import { afterEach, describe, expect, it } from "vitest";
import type { SandboxHandle } from "../../src/sandbox/index.js";
import { type CliResult, runCli, sandboxEnv, tempDir } from "../helpers/cli-harness.js";

// Keys and plans: platform keys, unknown, malformed and missing keys, against a real sandbox.

let sandboxes: SandboxHandle[] = [];
let dirs: Array<{ cleanup(): void }> = [];

afterEach(async () => {
  await Promise.all(sandboxes.map((s) => s.close()));
  for (const d of dirs) d.cleanup();
  sandboxes = [];
  dirs = [];
});

async function setup(options: Parameters<typeof sandboxEnv>[0] = {}) {
  const tmp = tempDir();
  dirs.push(tmp);
  const { sandbox, env } = await sandboxEnv(options, tmp.file("store.sqlite"));
  sandboxes.push(sandbox);
  return { sandbox, env, tmp };
}

function parseJson(result: CliResult): Record<string, unknown> {
  expect(result.stdout.trim().startsWith("{"), `stdout is not JSON: ${result.stdout}`).toBe(true);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

function expectNoStack(result: CliResult): void {
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toMatch(/internal error/);
}

describe("keys and plans", () => {
  it("a platform key can read credits and tiers (its own plan marked)", async () => {
    const { sandbox, env } = await setup();
    const pro = { ...env, FLUENCE_API_KEY: sandbox.keys.professional };
    const c = await runCli(["credits", "--json"], { env: pro });
    expect(c.code).toBe(0);
    expect(parseJson(c)).toMatchObject({ tipo_plano: "platform_professional", cota_mensal: 500 });
    const t = await runCli(["tiers", "--json"], { env: pro });
    expect(t.code).toBe(0);
    const tiers = (parseJson(t) as { tiers: Array<{ nome: string; current: boolean }> }).tiers;
    expect(tiers.filter((x) => x.current).map((x) => x.nome)).toEqual(["Platform-Users-Professional"]);
    const text = await runCli(["tiers"], { env: pro });
    expect(text.stdout).toMatch(/^\* Platform-Users-Professional/m);
  });

  it("a platform key's lookup exits 3 with the upgrade URL and charges nothing", async () => {
    const { sandbox, env } = await setup();
    const pro = { ...env, FLUENCE_API_KEY: sandbox.keys.professional };
    const r = await runCli(["lookup", "--first", "Ana", "--last", "Souza", "--company", "Natura"], {
      env: pro,
    });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expectNoStack(r);
    expect(r.stderr).toMatch(/^fluence: /);
    expect(sandbox.stats().statuses).toEqual({ "403": 1 });
    expect(sandbox.stats().creditsDebited).toBe(0);
    expect(sandbox.balance(sandbox.keys.professional)).toBe(500);
    // CONTRACT.md, 403: "stop, show tiers and upgrade URL"
    expect(r.stderr).toContain("https://tryfluence.tech/upgrade");
  });

  it("an unknown key of the right format exits 3 with one sentence that does not print the key", async () => {
    const { sandbox, env } = await setup();
    const key = "Unknown0Key0Of0The0Right0Format000000XYZ";
    expect(key).toHaveLength(40);
    for (const cmd of [
      ["credits"],
      ["tiers", "--json"],
      ["lookup", "--first", "A", "--last", "B", "--company", "C"],
    ]) {
      const r = await runCli(cmd, { env: { ...env, FLUENCE_API_KEY: key } });
      expect(r.code, cmd.join(" ")).toBe(3);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^fluence: .*401.*\.\n$/);
      expect(r.stderr).not.toContain(key);
      expect(r.stderr).not.toContain(key.slice(0, 20));
    }
    expect(sandbox.stats().creditsDebited).toBe(0);
  });

  it("a malformed key exits 2 before any request", async () => {
    const { sandbox, env } = await setup();
    const r = await runCli(["credits"], { env: { ...env, FLUENCE_API_KEY: "not-a-key!" } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^fluence: .*FLUENCE_API_KEY.*\.\n$/);
    expect(r.stderr).not.toContain("not-a-key!");
    expect(sandbox.stats().requests).toEqual({});
  });

  it.each(["credits", "tiers", "health", "status"])(
    "%s without FLUENCE_API_KEY exits 2 and says how to set one or use --sandbox",
    async (cmd) => {
      const { sandbox, env } = await setup();
      const r = await runCli([cmd], { env: { ...env, FLUENCE_API_KEY: undefined } });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain("FLUENCE_API_KEY");
      expect(r.stderr).toContain("--sandbox");
      expectNoStack(r);
      expect(sandbox.stats().requests).toEqual({});
    },
  );
});
