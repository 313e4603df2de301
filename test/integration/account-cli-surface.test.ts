import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import http from "node:http";
import module from "node:module";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type CliResult, FIXTURES, runCli, tempDir } from "../helpers/cli-harness.js";
import { NOBODY, runningAsRoot } from "../helpers/machine-failures.js";

// --sandbox without a key, --help/--version, bad flags and values, and API bodies of unexpected shape.

let cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});

function temp() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t;
}

/** One clear message: no stack frames, no "internal error", at most the sentence plus commander's hint. */
function expectOneSentence(r: CliResult): void {
  const lines = r.stderr.trim().split("\n");
  expect(lines.length, r.stderr).toBeGreaterThanOrEqual(1);
  expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
  expect(lines[0]).toMatch(/^(fluence|error): \S/);
  if (lines[1] !== undefined) expect(lines[1]).toBe("(run with --help for usage)");
  expect(r.stderr).not.toMatch(/^\s*at /m);
  expect(r.stderr).not.toMatch(/internal error|Error:/);
}

describe("--sandbox needs no key", () => {
  const noKey = (store: string) => ({
    FLUENCE_API_KEY: undefined,
    FLUENCE_BASE_URL: undefined,
    FLUENCE_STORE: store,
  });

  it.each([
    [["credits", "--json"], (b: Record<string, unknown>) => expect(b.tipo_plano).toBe("enterprise_crm")],
    [["tiers", "--json"], (b: Record<string, unknown>) => expect(b.current_plan).toBe("enterprise_crm")],
    [["health", "--json"], (b: Record<string, unknown>) => expect(b.healthy).toBe(true)],
    [["status", "--json"], (b: Record<string, unknown>) => expect(b.healthy).toBe(true)],
    [
      ["lookup", "--first", "Ana", "--last", "Souza", "--company", "Natura", "--json"],
      (b: Record<string, unknown>) =>
        expect(b).toMatchObject({ found: true, billing_info: { creditos_utilizados: 1 } }),
    ],
  ] as const)("%j", async (args, check) => {
    const t = temp();
    const r = await runCli([...args, "--sandbox"], { env: noKey(t.file("s.sqlite")) });
    expect(r.code, r.stderr).toBe(0);
    check(JSON.parse(r.stdout) as Record<string, unknown>);
  });

  it("enrich --sandbox never touches FLUENCE_STORE (a real store): made-up analyses go to a sandbox store", async () => {
    const t = temp();
    const input = t.file("leads.csv");
    copyFileSync(`${FIXTURES}leads.csv`, input);
    const cache = t.file("cache");
    const r = await runCli(["enrich", input, "--sandbox", "--rate", "6000", "--json"], {
      env: { ...noKey(t.file("team.sqlite")), XDG_CACHE_HOME: cache },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(t.file("team.sqlite"))).toBe(false);
    expect(existsSync(path.join(cache, "fluence", "sandbox-store.sqlite"))).toBe(true);
    expect(JSON.parse(r.stdout)).toMatchObject({
      store: path.join(cache, "fluence", "sandbox-store.sqlite"),
    });
    // On Node lines with a compile cache (>= 22.1) it lives beside the store, never in $TMPDIR.
    const hasCompileCache =
      typeof (module as { enableCompileCache?: unknown }).enableCompileCache === "function";
    expect(existsSync(path.join(cache, "fluence", "compile-cache"))).toBe(hasCompileCache);
  });

  it("enrich --sandbox writes the outputs with no key in the environment", async () => {
    const t = temp();
    const input = t.file("leads.csv");
    copyFileSync(`${FIXTURES}leads.csv`, input);
    const r = await runCli(
      [
        "enrich",
        input,
        "--sandbox",
        "--store",
        t.file("s.sqlite"),
        "--delay",
        "0",
        "--rate",
        "6000",
        "--json",
      ],
      {
        env: noKey(t.file("unused.sqlite")),
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ rows: 40, enriched: 36, plan: "enterprise_crm", credits_used: 34 });
    expect(JSON.parse(readFileSync(t.file("leads.summary.json"), "utf8"))).toMatchObject({ enriched: 36 });
  });
});

describe("--help and --version", () => {
  it.each([
    ["credits"],
    ["tiers"],
    ["health"],
    ["status"],
    ["lookup"],
    ["enrich"],
    ["sandbox"],
    ["store", "stats"],
    ["store", "prune"],
  ])("%s --help shows usage and examples", async (...cmd) => {
    const r = await runCli([...cmd, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: fluence /);
    expect(r.stdout).toMatch(/\nExamples:\n\s+\$ fluence /);
    expect(r.stdout).toContain(`$ fluence ${cmd.join(" ")}`);
    expect(r.stderr).toBe("");
  });

  it("every API command documents --json, --sandbox, --base-url, --api-key-file, --timeout and --debug", async () => {
    for (const cmd of ["credits", "tiers", "health", "status", "lookup", "enrich"]) {
      const r = await runCli([cmd, "--help"]);
      for (const flag of ["--json", "--sandbox", "--base-url", "--api-key-file", "--timeout", "--debug"]) {
        expect(r.stdout, `${cmd} ${flag}`).toContain(flag);
      }
    }
  });

  it("--version prints package.json's version", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });
});

describe("bad flags and values: exit 2 with one sentence", () => {
  const leads = `${FIXTURES}leads.csv`;
  it.each([
    ["unknown flag", ["credits", "--bogus", "--sandbox"], /unknown option '--bogus'/],
    ["unknown command", ["bogus"], /unknown command 'bogus'/],
    [
      "batch size 11",
      ["enrich", leads, "--sandbox", "--no-store", "--batch-size", "11"],
      /--batch-size.*11.*1 to 10/,
    ],
    [
      "negative concurrency",
      ["enrich", leads, "--sandbox", "--no-store", "--concurrency", "-1"],
      /--concurrency.*-1/,
    ],
    ["negative timeout", ["credits", "--sandbox", "--timeout", "-5"], /--timeout.*-5/],
    ["missing required lookup option", ["lookup", "--sandbox", "--first", "Ana"], /required option '--last/],
  ])("%s", async (_name, args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expectOneSentence(r);
    expect(r.stderr).toMatch(message);
  });

  it("an input file that does not exist or is a directory", async () => {
    const t = temp();
    for (const input of [t.file("missing.csv"), t.dir]) {
      const r = await runCli(["enrich", input, "--sandbox", "--no-store"]);
      expect(r.code, input).toBe(2);
      expectOneSentence(r);
      expect(r.stderr).toMatch(/^fluence: Cannot read /);
    }
  });

  it("an input file without read permission", async () => {
    const t = temp();
    const input = t.file("locked.csv");
    writeFileSync(input, "primeiro_nome,ultimo_nome,empresa\nAna,Souza,Natura\n");
    chmodSync(input, 0o000);
    // root reads any file whatever its mode: as root (CI), the CLI runs as nobody, who can reach the
    // directory and write the outputs, but not read the file.
    const asRoot = runningAsRoot();
    const outDir = t.file("out");
    mkdirSync(outDir);
    if (asRoot) {
      chmodSync(t.dir, 0o755);
      chownSync(outDir, NOBODY.uid, NOBODY.gid);
    }
    const r = await runCli(["enrich", input, "--sandbox", "--no-store", "--out-dir", outDir], {
      user: asRoot ? NOBODY : undefined,
      env: { TMPDIR: outDir, XDG_CACHE_HOME: outDir },
    });
    expect(r.code, r.stderr).toBe(2);
    expectOneSentence(r);
    expect(r.stderr).toMatch(/^fluence: Cannot read .*locked\.csv/);
  });
});

/** A tiny stand-in API whose bodies differ from CONTRACT.md's assumed shapes. */
async function oddApi(routes: Record<string, { status?: number; body: string; type?: string }>) {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const route = routes[req.url ?? ""] ?? { status: 404, body: "{}" };
    res.writeHead(route.status ?? 200, { "content-type": route.type ?? "application/json" });
    res.end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const env = {
    FLUENCE_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    FLUENCE_API_KEY: "A".repeat(40),
    FLUENCE_STORE: temp().file("s.sqlite"),
  };
  return { env, seen };
}

describe("responses of unexpected shape are shown field by field, never a crash", () => {
  it("credits with unknown and mistyped fields", async () => {
    const { env, seen } = await oddApi({
      "/creditos": {
        body: JSON.stringify({ creditos_restantes: "muitos", saldo_extra: 7, detalhes: { bonus: [1, 2] } }),
      },
    });
    const r = await runCli(["credits"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Balance:\s+muitos/);
    expect(r.stdout).toMatch(/Plan:\s+unknown/);
    expect(r.stdout).toMatch(/saldo_extra: 7/);
    expect(r.stdout).toMatch(/bonus: 1 \| 2/);
    expect(seen).toEqual(["GET /creditos"]);
  });

  it("tiers given as a bare list of names; the plan cannot be determined", async () => {
    const { env } = await oddApi({
      "/tiers-disponiveis": { body: JSON.stringify(["Basico", "Premium"]) },
      "/creditos": { body: JSON.stringify({}) },
    });
    const r = await runCli(["tiers"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}Basico/m);
    expect(r.stdout).toMatch(/^ {2}Premium/m);
    expect(r.stdout).toContain("Your plan could not be determined.");
    const j = await runCli(["tiers", "--json"], { env });
    expect(JSON.parse(j.stdout)).toEqual({
      tiers: [
        { nome: "Basico", current: false },
        { nome: "Premium", current: false },
      ],
      current_plan: null,
    });
  });

  it("a plain-text /health body and an HTML 502 /status", async () => {
    const { env } = await oddApi({
      "/health": { body: "OK", type: "text/plain" },
      "/status": { status: 502, body: "<html><body>Bad gateway</body></html>", type: "text/html" },
    });
    const h = await runCli(["health", "--json"], { env });
    expect(h.code, h.stderr).toBe(0);
    expect(JSON.parse(h.stdout)).toMatchObject({ healthy: true, http_status: 200 });
    const s = await runCli(["status"], { env });
    expect(s.code).toBe(6);
    expect(s.stdout).toMatch(/^status: ✖ not healthy \(HTTP 502\)/);
    expect(s.stderr).not.toMatch(/internal error|^\s*at /m);
  });
});
