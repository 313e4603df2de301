import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { SandboxHandle } from "../../src/sandbox/index.js";
import { type CliResult, runCli, sandboxEnv, tempDir } from "../helpers/cli-harness.js";

// credits, tiers, health, status and lookup against a real sandbox, in text and --json.

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

describe("credits", () => {
  it("prints balance, used, quota and plan as text, for free", async () => {
    const { sandbox, env } = await setup();
    sandbox.setBalance(sandbox.keys.enterprise, 1234);
    const r = await runCli(["credits"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Balance:\s+1,234 credits/);
    expect(r.stdout).toMatch(/Monthly quota:\s+10,000/);
    expect(r.stdout).toMatch(/Plan:\s+enterprise_crm/);
    expect(r.stdout).toMatch(/Used this month:\s+\d/);
    expect(r.stderr).toBe("");
    expect(sandbox.stats().requests).toEqual({ "GET /creditos": 1 });
    expect(sandbox.stats().creditsDebited).toBe(0);
  });

  it("--json prints the API's own field names on stdout only", async () => {
    const { sandbox, env } = await setup();
    const r = await runCli(["credits", "--json"], { env });
    expect(r.code).toBe(0);
    expect(parseJson(r)).toEqual({
      creditos_restantes: 10_000,
      creditos_utilizados: 0,
      cota_mensal: 10_000,
      tipo_plano: "enterprise_crm",
    });
    expect(r.stderr).toBe("");
    expect(sandbox.stats().creditsDebited).toBe(0);
  });

  it("honours --base-url and --api-key-file instead of the environment", async () => {
    const { sandbox, tmp } = await setup();
    const keyFile = tmp.file("key.txt");
    writeFileSync(keyFile, `${sandbox.keys.business}\n`);
    const r = await runCli(["credits", "--json", "--base-url", sandbox.url, "--api-key-file", keyFile], {
      env: { FLUENCE_STORE: tmp.file("s.sqlite") },
    });
    expect(r.code).toBe(0);
    expect(parseJson(r)).toMatchObject({ tipo_plano: "business_crm", cota_mensal: 5000 });
    expect(sandbox.stats().requests["GET /creditos"]).toBe(1);
  });
});

describe("tiers", () => {
  it("lists every plan as a table and marks the caller's own with *", async () => {
    const { sandbox, env } = await setup();
    const r = await runCli(["tiers"], { env });
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    const row = (name: string) => lines.find((l) => l.includes(name)) ?? "";
    expect(row("CRM-Enterprise-Plan")).toMatch(/^\* CRM-Enterprise-Plan\s+10,000\s+100\/min\s+\/crm_basico/);
    for (const other of ["CRM-Business-Plan", "Platform-Users-Professional", "Platform-Users-Essentials"]) {
      expect(row(other)).toMatch(new RegExp(`^  ${other}`));
    }
    expect(r.stdout).toMatch(/\* your plan \(enterprise_crm\)/);
    expect(lines.filter((l) => l.startsWith("* ")).length).toBe(2);
    expect(sandbox.stats().creditsDebited).toBe(0);
  });

  it("--json marks exactly one tier current:true and names the plan", async () => {
    const { sandbox, env } = await setup();
    const r = await runCli(["tiers", "--json"], { env });
    expect(r.code).toBe(0);
    const body = parseJson(r) as { tiers: Array<Record<string, unknown>>; current_plan: string };
    expect(body.current_plan).toBe("enterprise_crm");
    expect(body.tiers.map((t) => t.nome)).toEqual([
      "CRM-Enterprise-Plan",
      "CRM-Business-Plan",
      "Platform-Users-Professional",
      "Platform-Users-Essentials",
    ]);
    expect(body.tiers.filter((t) => t.current === true).map((t) => t.nome)).toEqual(["CRM-Enterprise-Plan"]);
    for (const t of body.tiers) {
      expect(Object.keys(t).sort()).toEqual([
        "cota_mensal",
        "current",
        "endpoints",
        "nome",
        "rate_limit_por_minuto",
      ]);
    }
    expect(sandbox.stats().creditsDebited).toBe(0);
  });
});

describe("health and status", () => {
  it.each(["health", "status"])("%s: healthy -> exit 0 (text and --json)", async (cmd) => {
    const { env } = await setup();
    const text = await runCli([cmd], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^${cmd}: ✔ healthy \\(HTTP 200\\)`));
    const json = await runCli([cmd, "--json"], { env });
    expect(json.code).toBe(0);
    expect(parseJson(json)).toMatchObject({ healthy: true, http_status: 200 });
  });

  it.each(["health", "status"])("%s: unhealthy sandbox -> exit 6 (text and --json)", async (cmd) => {
    const { sandbox, env } = await setup();
    sandbox.setUnhealthy(true);
    const text = await runCli([cmd], { env });
    expect(text.code).toBe(6);
    expect(text.stdout).toMatch(new RegExp(`^${cmd}: ✖ not healthy \\(HTTP 503\\)`));
    expect(text.stdout).toMatch(/status: degraded/);
    const json = await runCli([cmd, "--json"], { env });
    expect(json.code).toBe(6);
    const body = parseJson(json);
    expect(body).toMatchObject({ healthy: false, http_status: 503, body: { status: "degraded" } });
    expect(Object.keys(body).sort()).toEqual(["body", "healthy", "http_status"]);
    expect(sandbox.stats().requests[`GET /${cmd}`]).toBe(2);
    // back to healthy: the cron check passes again
    sandbox.setUnhealthy(false);
    expect((await runCli([cmd], { env })).code).toBe(0);
  });
});

describe("lookup", () => {
  const who = ["--first", "Ana", "--last", "Souza", "--company", "Natura"];

  it("basic lookup debits 1 credit through /crm_basico and prints the analysis", async () => {
    const { sandbox, env } = await setup();
    const r = await runCli(["lookup", ...who], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Ana Souza \(Natura\)/);
    expect(r.stdout).toMatch(/cargo: \S/);
    expect(r.stdout).toMatch(/Credits: 1 used, 9999 remaining\./);
    expect(r.stdout).not.toMatch(/personalidade/);
    expect(sandbox.stats().requests).toEqual({ "POST /crm_basico": 1 });
    expect(sandbox.stats().creditsDebited).toBe(1);
    expect(sandbox.balance(sandbox.keys.enterprise)).toBe(9999);
  });

  it("--complete --json debits 2 credits through /crm and includes the personality block", async () => {
    const { sandbox, env } = await setup();
    const r = await runCli(["lookup", ...who, "--complete", "--json"], { env });
    expect(r.code).toBe(0);
    const body = parseJson(r) as {
      found: boolean;
      input: unknown;
      analise: Record<string, unknown>;
      billing_info: unknown;
    };
    expect(Object.keys(body).sort()).toEqual(["analise", "billing_info", "found", "input"]);
    expect(body.found).toBe(true);
    expect(body.input).toEqual({ primeiro_nome: "Ana", ultimo_nome: "Souza", empresa: "Natura" });
    expect(body.analise).toHaveProperty("perfil_personalidade.mbti");
    expect(body.analise).toHaveProperty("playbooks.abordagem");
    expect(body.analise).toHaveProperty("manual_comprador.dores");
    expect(body.billing_info).toMatchObject({ creditos_utilizados: 2, creditos_restantes: 9998 });
    expect(sandbox.stats().requests).toEqual({ "POST /crm": 1 });
    expect(sandbox.stats().creditsDebited).toBe(2);
    expect(sandbox.balance(sandbox.keys.enterprise)).toBe(9998);
  });

  it("404: one sentence on stderr; --json reports found:false with the code", async () => {
    const { sandbox, env } = await setup();
    const args = ["lookup", "--first", "Ana", "--last", "Souza", "--company", "Fantasma SA"];
    const r = await runCli(args, { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^fluence: .*\(404\).*\.\n$/);
    const j = await runCli([...args, "--json"], { env });
    expect(parseJson(j)).toMatchObject({ found: false, error_code: "PROFILE_NOT_FOUND" });
    expect(sandbox.stats().statuses["404"]).toBe(2);
  });

  it("409 on Homônimos Ltda says to add --context; with --context the same person succeeds", async () => {
    const { sandbox, env } = await setup();
    const args = ["lookup", "--first", "João", "--last", "Silva", "--company", "Homônimos Ltda"];
    const r = await runCli(args, { env });
    expect(r.code).toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^fluence: .*\(409\).*--context.*\.\n$/);
    const j = await runCli([...args, "--json"], { env });
    expect(parseJson(j)).toMatchObject({ found: false, error_code: "MULTIPLE_MATCHES" });
    const ok = await runCli([...args, "--context", "CFO, São Paulo", "--json"], { env });
    expect(ok.code).toBe(0);
    const body = parseJson(ok) as { found: boolean; input: Record<string, unknown> };
    expect(body.found).toBe(true);
    expect(body.input.contexto_adicional).toBe("CFO, São Paulo");
    expect(sandbox.stats().statuses).toEqual({ "409": 2, "200": 1 });
    expect(sandbox.stats().profilesSucceeded).toBe(1);
  });

  it("422: one sentence, and nothing is charged", async () => {
    const { sandbox, env } = await setup();
    const r = await runCli(["lookup", "--first", "Ana", "--last", "Souza", "--company", "Sigilosa SA"], {
      env,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^fluence: .*\(422\).*\.\n$/);
    expect(sandbox.stats().statuses).toEqual({ "422": 1 });
    expect(sandbox.stats().creditsDebited).toBe(0);
    expect(sandbox.balance(sandbox.keys.enterprise)).toBe(10_000);
  });
});
