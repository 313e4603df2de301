import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import type { SandboxHandle } from "../../src/sandbox/index.js";
import { openStore } from "../../src/store/index.js";
import { type CliResult, leadRows, runCli, writeCsv } from "../helpers/cli-harness.js";
import {
  dirOn,
  fillDisk,
  mountTinyDisk,
  NOBODY,
  runningAsRoot,
  SKIP_MOUNT_TESTS,
  type TinyDisk,
} from "../helpers/machine-failures.js";
import { BATCH_ROUTE } from "./csv-kit.js";
import { enrich, expectEveryRowOnce, FAST, idRows, readOutputs, useScenarios } from "./enrich-helpers.js";

const setup = useScenarios();
let disk: TinyDisk | undefined;
afterEach(() => {
  disk?.release();
  disk = undefined;
});

const PAID_FOR = "what was already paid for is in the store, so the re-run is free.";

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The run's last stderr line is exactly `sentence` (after any progress line); no stack, no "bug". */
function expectSentence(result: CliResult, sentence: string): void {
  expect(result.stderr.trim().split("\n").at(-1)).toMatch(new RegExp(`^fluence: ${literal(sentence)}$`));
  expect(result.stderr).not.toMatch(/internal error|This is a bug|\n\s+at /);
}

function batchRequests(sandbox: SandboxHandle): number {
  return sandbox.stats().requests[BATCH_ROUTE] ?? 0;
}

function filesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe("the outputs cannot be written", () => {
  it.skipIf(SKIP_MOUNT_TESTS)(
    "no space left (a 48 KB tmpfs as --out-dir): exit 7 naming the file, nothing partial or temporary left, and the re-run is free",
    async () => {
      const s = setup();
      const { sandbox, env } = await s.sandbox();
      disk = mountTinyDisk(48);
      const rows = idRows(leadRows(60));
      const input = writeCsv(s.tmp.file("leads.csv"), rows);

      const full = await enrich(input, ["--out-dir", disk.dir], env);
      expect(full.code, full.stderr).toBe(7);
      expectSentence(
        full,
        `No space left on the device holding ${path.join(disk.dir, "leads.enriched.csv")}; free some space (or use --out-dir elsewhere) and run again: ${PAID_FOR}`,
      );
      expect(filesIn(disk.dir)).toEqual([]);
      expect(sandbox.stats().creditsDebited).toBe(60);

      sandbox.resetStats();
      const roomy = s.tmp.file("out");
      const elsewhere = await enrich(input, ["--out-dir", roomy], env);
      expect(elsewhere.code, elsewhere.stderr).toBe(0);
      expectEveryRowOnce(rows, readOutputs(roomy, "leads"), expect);

      disk.resize(4096);
      const again = await enrich(input, ["--out-dir", disk.dir], env);
      expect(again.code, again.stderr).toBe(0);
      expectEveryRowOnce(rows, readOutputs(disk.dir, "leads"), expect);
      expect(sandbox.stats().profilesReceived).toBe(0);
      expect(sandbox.stats().creditsDebited).toBe(0);
    },
  );

  it("permission denied on the output directory (run as an unprivileged user): exit 7, one sentence, nothing sent", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const input = writeCsv(s.tmp.file("leads.csv"), idRows(leadRows(5)));
    const outDir = s.tmp.file("out");
    mkdirSync(outDir);
    // The user's own store and TMPDIR, so that the output directory is the only thing it cannot write.
    const own = s.tmp.file("own");
    mkdirSync(own);
    let user: { uid: number; gid: number } | undefined;
    if (runningAsRoot()) {
      // chmod does not stop root: run the CLI as nobody, which can read the repo and node but not write outDir.
      chmodSync(s.tmp.dir, 0o755);
      chownSync(own, NOBODY.uid, NOBODY.gid);
      user = NOBODY;
    } else {
      chmodSync(outDir, 0o555);
    }
    const result = await runCli(["enrich", input, ...FAST, "--out-dir", outDir], {
      env: { ...env, FLUENCE_STORE: path.join(own, "store.sqlite"), TMPDIR: own },
      user,
      timeoutMs: 30_000,
    });
    expect(result.code, result.stderr).toBe(7);
    expectSentence(
      result,
      `Permission denied writing ${path.join(outDir, "leads.enriched.csv")}; give this user write access to ${outDir} (or use --out-dir elsewhere) and run again: ${PAID_FOR}`,
    );
    expect(filesIn(outDir)).toEqual([]);
    expect(batchRequests(sandbox)).toBe(0);
  });

  it.skipIf(SKIP_MOUNT_TESTS)(
    "a read-only filesystem (a remounted tmpfs): exit 7, one sentence, nothing sent",
    async () => {
      const s = setup();
      const { sandbox, env } = await s.sandbox();
      disk = mountTinyDisk(1024);
      const outDir = dirOn(disk, "out");
      disk.readOnly();
      const input = writeCsv(s.tmp.file("leads.csv"), idRows(leadRows(5)));
      const result = await enrich(input, ["--out-dir", outDir], env);
      expect(result.code, result.stderr).toBe(7);
      expectSentence(
        result,
        `${path.join(outDir, "leads.enriched.csv")} is on a read-only filesystem; use --out-dir (or --enriched, --errors, --summary) on a writable one and run again: ${PAID_FOR}`,
      );
      expect(batchRequests(sandbox)).toBe(0);
    },
  );
});

describe("the store cannot be written", () => {
  it.skipIf(SKIP_MOUNT_TESTS)(
    "on a read-only filesystem: exit 7, one sentence, nothing sent, the previous outputs untouched",
    async () => {
      const s = setup();
      const { sandbox, env } = await s.sandbox();
      disk = mountTinyDisk(1024);
      const store = path.join(disk.dir, "store.sqlite");
      const outDir = s.tmp.file("out");
      const input = writeCsv(s.tmp.file("leads.csv"), idRows(leadRows(5)));
      const first = await enrich(input, ["--out-dir", outDir, "--store", store], env);
      expect(first.code, first.stderr).toBe(0);
      const outputs = filesIn(outDir);
      disk.readOnly();
      sandbox.resetStats();

      const result = await enrich(input, ["--out-dir", outDir, "--store", store, "--refresh"], env);
      expect(result.code, result.stderr).toBe(7);
      expectSentence(
        result,
        `The store ${store} is on a read-only filesystem or cannot be written; pass --store with another file (or --no-store) and run again.`,
      );
      expect(batchRequests(sandbox)).toBe(0);
      expect(filesIn(outDir)).toEqual(outputs);
    },
  );

  it.skipIf(SKIP_MOUNT_TESTS)(
    "its disk fills up mid-run (SQLITE_FULL): exit 7, no output; once there is room the re-run pays only for what was not stored",
    async () => {
      const s = setup();
      const { sandbox, env } = await s.sandbox();
      disk = mountTinyDisk(2048);
      const store = path.join(disk.dir, "store.sqlite");
      const outDir = s.tmp.file("out");
      const rows = idRows(leadRows(300));
      const input = writeCsv(s.tmp.file("leads.csv"), rows);

      // The premise is built, not hoped for: a first run stores outcomes, then whatever room the disk
      // has left is taken, so the next write the store makes (whatever it is) fails with SQLITE_FULL.
      const firstInput = writeCsv(s.tmp.file("first.csv"), rows.slice(0, 101));
      const first = await enrich(firstInput, ["--out-dir", s.tmp.file("first-out"), "--store", store], env);
      expect(first.code, first.stderr).toBe(0);
      expect(fillDisk(disk.dir)).toBe(0);

      const full = await enrich(input, ["--out-dir", outDir, "--store", store], env);
      expect(full.code, full.stderr).toBe(7);
      expectSentence(
        full,
        `No space left on the device holding the store ${store}; free some space, or pass --store with another file (or --no-store), and run again: the results stored so far are kept.`,
      );
      expect(filesIn(outDir)).toEqual([]);

      disk.resize(8192);
      const db = new Database(store, { readonly: true });
      const stored = (db.prepare("SELECT COUNT(*) AS n FROM outcomes").get() as { n: number }).n;
      db.close();
      expect(stored).toBe(100);
      sandbox.resetStats();
      const rerun = await enrich(input, ["--out-dir", outDir, "--store", store], env);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(sandbox.stats().profilesReceived).toBe(300 - stored);
      const out = readOutputs(outDir, "leads");
      expectEveryRowOnce(rows, out, expect);
      expect(out.summary).toMatchObject({ enriched: 300, from_store: stored });
    },
  );

  it("kept locked by another process past the busy timeout: exit 8, one sentence, nothing sent", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const store = env.FLUENCE_STORE!;
    await (await openStore(store)).close();
    const helper = fileURLToPath(new URL("../store/fixtures/hold-write-lock.mjs", import.meta.url));
    const holder: ChildProcess = fork(helper, [store, "30000", "x", "crm_basico_batch"], {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    s.onRelease(async () => {
      if (holder.exitCode === null && holder.signalCode === null) {
        holder.kill("SIGKILL");
        await once(holder, "exit");
      }
    });
    await once(holder, "message");
    const outDir = s.tmp.file("out");
    const input = writeCsv(s.tmp.file("leads.csv"), idRows(leadRows(5)));

    // FLUENCE_STORE_BUSY_TIMEOUT_MS shortens the 15 s busy timeout for this test.
    const result = await enrich(input, ["--out-dir", outDir], {
      ...env,
      FLUENCE_STORE_BUSY_TIMEOUT_MS: "300",
    });
    expect(result.code, result.stderr).toBe(8);
    expectSentence(
      result,
      `Another process keeps the store ${store} locked (another fluence run, or a program with it open); wait for it to finish, or pass --store with another file (or --no-store), and run again.`,
    );
    expect(batchRequests(sandbox)).toBe(0);
    expect(filesIn(outDir)).toEqual([]);

    holder.kill("SIGKILL");
    await once(holder, "exit");
    const after = await enrich(input, ["--out-dir", outDir], env);
    expect(after.code, after.stderr).toBe(0);
  });
});
