import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient, enrichFile, type SandboxHandle, startSandbox, UserError } from "fluence-enrich";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

let sandbox: SandboxHandle;
let dir: string;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0 });
  dir = mkdtempSync(path.join(os.tmpdir(), "fluence-lib-file-"));
});

afterEach(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("enrichFile() from the package", () => {
  it("does what `fluence enrich` does: writes the three outputs beside the input and returns the summary", async () => {
    const input = path.join(dir, "leads.csv");
    copyFileSync(path.join(ROOT, "fixtures/leads.csv"), input);
    const client = createClient({ baseUrl: sandbox.url, apiKey: sandbox.keys.enterprise });
    try {
      const summary = await enrichFile(input, { client, storePath: path.join(dir, "store.sqlite") });
      expect(summary.rows).toBeGreaterThan(0);
      expect(summary.enriched + summary.failed + summary.invalid).toBe(summary.rows);
      expect(summary.outputs.enriched).toBe(path.join(dir, "leads.enriched.csv"));
      for (const file of Object.values(summary.outputs)) expect(existsSync(file)).toBe(true);
      expect(JSON.parse(readFileSync(summary.outputs.summary, "utf8")).rows).toBe(summary.rows);
    } finally {
      await client.close();
    }
  });

  it("throws a UserError with the CLI's exit code for a refused key, before writing anything", async () => {
    const input = path.join(dir, "leads.csv");
    copyFileSync(path.join(ROOT, "fixtures/leads.csv"), input);
    const client = createClient({ baseUrl: sandbox.url, apiKey: "x".repeat(40) });
    try {
      const failure = await enrichFile(input, { client, storePath: null }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(UserError);
      expect((failure as UserError).exitCode).toBe(3);
      expect(existsSync(path.join(dir, "leads.enriched.csv"))).toBe(false);
    } finally {
      await client.close();
    }
  });

  it("the example in examples/ runs against the sandbox", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["examples/enrich-leads.mjs"], {
      cwd: ROOT,
    });
    expect(stdout).toMatch(/^101 enriched: /m);
    expect(stdout).toMatch(/^103 failed: PROFILE_NOT_FOUND /m);
  });
});
