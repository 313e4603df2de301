import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { leadRows, writeCsv } from "../helpers/cli-harness.js";
import {
  enrich,
  errorsById,
  expectEveryRowOnce,
  idRows,
  readOutputs,
  useScenarios,
} from "./enrich-helpers.js";

const setup = useScenarios();

describe("fluence enrich: keys and plans refused", () => {
  it("stops with exit 3 on an unknown key before spending anything, in one sentence without the key", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const key = "Zq7Wm2Xp9Lk4Rt6Yv1Bn8Cd3Fg5Hj0Ks2Ld4Mf6N";
    expect(key).toHaveLength(40);
    const input = writeCsv(s.tmp.file("k.csv"), leadRows(5));
    const result = await enrich(input, [], { ...env, FLUENCE_API_KEY: key });
    expect(result.code).toBe(3);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/401|rejected|key/i);
    expect(`${result.stdout}${result.stderr}`).not.toContain(key.slice(0, 36));
    for (let i = 0; i + 5 <= 36; i++) expect(result.stderr).not.toContain(key.slice(i, i + 5));
    const stats = sandbox.stats();
    expect(stats.requests["POST /crm_basico_batch"]).toBeUndefined();
    expect(stats.creditsDebited).toBe(0);
  });

  it("stops at once with exit 3 when the key is revoked mid-run, keeping what was already enriched", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const target = new URL(sandbox.url);
    let batches = 0;
    // After the first batch the key stops working, as when an admin revokes it during a run.
    const server = createServer((req, res) => {
      const headers = { ...req.headers };
      if (req.url === "/crm_basico_batch" && ++batches > 1) headers["x-api-key"] = "R".repeat(40);
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    s.onRelease(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const rows = idRows(leadRows(40));
    const input = writeCsv(s.tmp.file("rev.csv"), rows);
    const result = await enrich(input, ["--concurrency", "1"], { ...env, FLUENCE_BASE_URL: url });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/401/);

    const out = readOutputs(s.tmp.dir, "rev");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched.map((r) => r[0])).toEqual(rows.slice(1, 11).map((r) => r[0]));
    const errors = errorsById(out);
    expect(errors.size).toBe(30);
    for (const failure of errors.values()) expect(failure.code).toBe("AUTH_FAILED");
    const stats = sandbox.stats();
    expect(batches).toBe(2);
    expect(stats.statuses["401"]).toBe(1);
    expect(stats.creditsDebited).toBe(10);
    expect(out.summary).toMatchObject({ exit_code: 3, stopped: "auth", enriched: 10, credits_used: 10 });
  });

  it("stops with exit 3 and the upgrade URL for a platform key, charging nothing", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const key = sandbox.keys.professional;
    const rows = idRows(leadRows(25));
    const input = writeCsv(s.tmp.file("p.csv"), rows);
    const result = await enrich(input, [], { ...env, FLUENCE_API_KEY: key });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("https://tryfluence.tech/upgrade");
    expect(result.stderr).toMatch(/platform_professional/);
    expect(result.stderr).not.toContain(key);

    const stats = sandbox.stats();
    // Auto concurrency may start a few paced batches before the first refusal lands (a refused plan costs
    // nothing); every one of them was refused, none after the refusal was seen, and nothing was charged.
    const sent = stats.requests["POST /crm_basico_batch"] ?? 0;
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(3);
    expect(stats.statuses["403"]).toBe(sent);
    expect(stats.profilesReceived).toBe(0);
    expect(stats.creditsDebited).toBe(0);
    expect(sandbox.balance(key)).toBe(500);

    const out = readOutputs(s.tmp.dir, "p");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched).toHaveLength(0);
    for (const failure of errorsById(out).values()) expect(failure.code).toBe("ACCESS_DENIED");
    expect(out.summary).toMatchObject({ exit_code: 3, stopped: "auth", credits_used: 0 });
  });
});
