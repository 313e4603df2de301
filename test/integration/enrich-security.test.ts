import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import type { CliResult } from "../helpers/cli-harness.js";
import { leadRows, writeCsv } from "../helpers/cli-harness.js";
import {
  enrich,
  errorsById,
  expectEveryRowOnce,
  filesUnder,
  idRows,
  keyFragments,
  readOutputs,
  useScenarios,
} from "./enrich-helpers.js";

const setup = useScenarios();

const PLAN_NAMES = "enterprise_crm business_crm platform_professional platform_essentials";

/** Neither the key nor any 8-character piece of it in the process output or in any file under `dir`. */
function expectKeyNowhere(key: string, result: CliResult, dir: string, except: string[] = []): void {
  const fragments = keyFragments(key, PLAN_NAMES);
  expect(fragments.length).toBeGreaterThan(20);
  const places = [
    { file: "stdout", text: result.stdout },
    { file: "stderr", text: result.stderr },
    ...filesUnder(dir).filter((f) => !except.includes(f.file)),
  ];
  expect(places.length).toBeGreaterThan(2);
  for (const { file, text } of places) {
    for (const fragment of fragments) {
      expect(text.includes(fragment), `${fragment} of the key found in ${file}`).toBe(false);
    }
  }
}

describe("fluence enrich: the API key stays secret", () => {
  it("never writes the key to stdout, stderr, the outputs or the store in a run with failures", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ faults: { error500: 0.5 }, seed: 3 });
    const rows = idRows(leadRows(20));
    rows.push(["r21", "Ana", "Paz", "Empresa Fantasma", "a@b.br"], ["r22", "", "Sem", "Nome", "c@d.br"]);
    const input = writeCsv(s.tmp.file("sec.csv"), rows);
    const result = await enrich(input, ["--json", "--debug", "--retries", "1", "--batch-size", "3"], env);
    expect([0, 5]).toContain(result.code);
    expect(sandbox.stats().faultsInjected.error500).toBeGreaterThan(0);
    expectEveryRowOnce(rows, readOutputs(s.tmp.dir, "sec"), expect);
    expectKeyNowhere(sandbox.keys.enterprise, result, s.tmp.dir);
  });

  it("keeps a key read from --api-key-file out of every output", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const keyFile = s.tmp.file("secret/key.txt");
    mkdirSync(s.tmp.file("secret"));
    writeFileSync(keyFile, `${sandbox.keys.business}\n`);
    const input = writeCsv(s.tmp.file("kf.csv"), idRows(leadRows(8)));
    const { FLUENCE_API_KEY: _unused, ...noKeyEnv } = env;
    const result = await enrich(input, ["--api-key-file", keyFile, "--json"], noKeyEnv);
    expect(result.code).toBe(0);
    expect(sandbox.balance(sandbox.keys.business)).toBe(4992);
    expect(sandbox.stats().creditsDebited).toBe(8);
    expectKeyNowhere(sandbox.keys.business, result, s.tmp.dir, [keyFile]);
  });

  it("scrubs the key from server text quoted in row errors and messages", async () => {
    const s = setup();
    const key = "Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90";
    let batches = 0;
    // A hostile or buggy server that echoes the caller's key in every refusal.
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        if (req.url === "/creditos") {
          res.end(
            JSON.stringify({
              creditos_restantes: 100,
              creditos_utilizados: 0,
              cota_mensal: 100,
              tipo_plano: "x",
            }),
          );
          return;
        }
        batches++;
        res.statusCode = 400;
        res.end(JSON.stringify({ error: "Invalid request", message: `key ${key} sent a bad profile` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    s.onRelease(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const rows = idRows(leadRows(2));
    const input = writeCsv(s.tmp.file("echo.csv"), rows);
    const result = await enrich(input, ["--debug"], {
      FLUENCE_BASE_URL: url,
      FLUENCE_API_KEY: key,
      FLUENCE_STORE: s.tmp.file("store.sqlite"),
    });
    expect(result.code).toBe(0);
    expect(batches).toBeGreaterThanOrEqual(3);
    const out = readOutputs(s.tmp.dir, "echo");
    expectEveryRowOnce(rows, out, expect);
    for (const failure of errorsById(out).values()) {
      expect(failure.code).toBe("BAD_REQUEST");
      expect(failure.message).toMatch(/sent a bad profile/);
    }
    expectKeyNowhere(key, result, s.tmp.dir);
  });

  it("refuses a key that is not in the documented format before any request, without echoing it", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const key = "not-a-real-key-but-long-enough-to-search-for";
    const input = writeCsv(s.tmp.file("bad.csv"), leadRows(2));
    const result = await enrich(input, [], { ...env, FLUENCE_API_KEY: key });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/format/);
    expectKeyNowhere(key, result, s.tmp.dir);
    expect(sandbox.stats().requests).toEqual({});
  });

  it("shows at most the last 4 characters of a refused key, with --debug too", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const key = "Zq7Wm2Xp9Lk4Rt6Yv1Bn8Cd3Fg5Hj0Ks2Ld4Mf6N";
    const input = writeCsv(s.tmp.file("r.csv"), leadRows(2));
    const result = await enrich(input, ["--debug"], { ...env, FLUENCE_API_KEY: key });
    expect(result.code).toBe(3);
    expectKeyNowhere(key, result, s.tmp.dir);
    for (let i = 0; i + 5 <= key.length; i++) {
      expect(`${result.stdout}${result.stderr}`.includes(key.slice(i, i + 5)), key.slice(i, i + 5)).toBe(
        false,
      );
    }
    expect(sandbox.stats().creditsDebited).toBe(0);
    expect(sandbox.stats().requests["POST /crm_basico_batch"]).toBeUndefined();
  });
});
