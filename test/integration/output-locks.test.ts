import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { collect, leadRows, spawnCli, writeCsv } from "../helpers/cli-harness.js";
import { BATCH_ROUTE, strayFiles } from "./csv-kit.js";
import {
  enrich,
  expectEveryRowOnce,
  FAST,
  idRows,
  readOutputs,
  until,
  useScenarios,
} from "./enrich-helpers.js";

const setup = useScenarios();

const FINALS = ["leads.enriched.csv", "leads.errors.csv", "leads.summary.json"];
const LOCKS = FINALS.map((name) => `.${name}.lock`).sort();

describe("two runs on the same outputs", () => {
  it("the second exits 8 naming the first's pid and sends nothing; once the first is done a new run works", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ latencyMs: 400 });
    const rows = idRows(leadRows(20));
    const input = writeCsv(s.tmp.file("leads.csv"), rows);
    const outDir = s.tmp.file("out");
    const first = spawnCli(["enrich", input, ...FAST, "--out-dir", outDir, "--concurrency", "1"], { env });
    const firstDone = collect(first, { timeoutMs: 30_000 });
    await until(() => (sandbox.stats().requests[BATCH_ROUTE] ?? 0) >= 1);

    // The second run talks to the API through a recording proxy, to see that it asks nothing at all.
    const proxy = await s.proxy(sandbox.url);
    const second = await enrich(input, ["--out-dir", outDir], { ...env, FLUENCE_BASE_URL: proxy.url });
    expect(second.code, second.stderr).toBe(8);
    const enriched = path.join(outDir, "leads.enriched.csv");
    expect(second.stderr.trim()).toMatch(
      new RegExp(
        `^fluence: Another fluence run \\(pid ${first.pid} on ${hostname()}, since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\) is writing ${enriched} \\(lock ${path.join(outDir, ".leads.enriched.csv.lock")}\\); wait for it to finish, or give this run another --out-dir, and run again\\.$`,
      ),
    );
    // Not even the free /creditos call: the lock comes before anything is read or sent.
    expect(proxy.exchanges).toEqual([]);
    // A dry run only looks: it takes no lock and is not refused.
    const dry = await enrich(input, ["--out-dir", outDir, "--dry-run"], env);
    expect(dry.code, dry.stderr).toBe(0);

    const result = await firstDone;
    expect(result.code, result.stderr).toBe(0);
    expectEveryRowOnce(rows, readOutputs(outDir, "leads"), expect);
    expect(sandbox.stats().profilesReceived).toBe(20);
    expect(strayFiles(outDir, FINALS)).toEqual([]);

    const third = await enrich(input, ["--out-dir", outDir], env);
    expect(third.code, third.stderr).toBe(0);
    expect(strayFiles(outDir, FINALS)).toEqual([]);
    expect(sandbox.stats().profilesReceived).toBe(20);
  });

  it("the locks of a SIGKILLed run are taken over by the next one, which leaves none behind", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ latencyMs: 800 });
    const rows = idRows(leadRows(10));
    const input = writeCsv(s.tmp.file("leads.csv"), rows);
    const outDir = s.tmp.file("out");
    const killed = spawnCli(["enrich", input, ...FAST, "--out-dir", outDir], { env });
    const killedDone = collect(killed, { timeoutMs: 30_000 });
    await until(() => (sandbox.stats().requests[BATCH_ROUTE] ?? 0) >= 1);
    killed.kill("SIGKILL");
    expect((await killedDone).signal).toBe("SIGKILL");

    expect(strayFiles(outDir, []).sort()).toEqual(LOCKS);
    const lock = JSON.parse(readFileSync(path.join(outDir, ".leads.enriched.csv.lock"), "utf8"));
    expect(lock).toMatchObject({ pid: killed.pid, host: hostname() });
    expect(typeof lock.started_at).toBe("string");

    const next = await enrich(input, ["--out-dir", outDir], env);
    expect(next.code, next.stderr).toBe(0);
    expectEveryRowOnce(rows, readOutputs(outDir, "leads"), expect);
    expect(strayFiles(outDir, FINALS)).toEqual([]);
    for (const name of LOCKS) expect(existsSync(path.join(outDir, name))).toBe(false);
  });
});
