import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

// A child process is the only way to watch process.exit; it runs the built module (npm test builds first).
const MODULE = fileURLToPath(new URL("../../dist/fs/exit-cleanup.js", import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "fluence-exit-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function runChild(script: string): { status: number | null; stdout: string } {
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout };
}

describe("exit cleanup", () => {
  it("exitNow removes what is still registered, and nothing that was forgotten", () => {
    const kept = path.join(dir, "published");
    const temp = path.join(dir, "temp");
    writeFileSync(kept, "x");
    writeFileSync(temp, "x");
    const { status } = runChild(`
      import { exitNow, removeOnExit } from ${JSON.stringify(MODULE)};
      const forget = removeOnExit(${JSON.stringify(kept)});
      removeOnExit(${JSON.stringify(temp)});
      forget();
      exitNow(130);
    `);
    expect(status).toBe(130);
    expect(existsSync(temp)).toBe(false);
    expect(existsSync(kept)).toBe(true);
  });

  it("an exit asked for during a publish waits for the publish to finish", () => {
    const { status, stdout } = runChild(`
      import { asOnePublish, exitNow } from ${JSON.stringify(MODULE)};
      await asOnePublish(async () => {
        exitNow(130);
        await new Promise((resolve) => setTimeout(resolve, 30));
        process.stdout.write("published ");
      });
      process.stdout.write("after");
    `);
    expect(status).toBe(130);
    expect(stdout).toBe("published ");
  });
});
