import { expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import { UserError } from "../../src/user-error.js";
import { describeBackends } from "./backends.js";

const CURRENT = { sqlite: 3, postgres: 2 } as const;

describeBackends("schema versions", (kit) => {
  it("creates the current schema on first open and leaves it alone on the next", async () => {
    const first = await kit.open();
    expect(await kit.schemaVersion()).toBe(CURRENT[kit.name]);
    await first.commitBatch("r", "basic", [{ fp: "x", kind: "ok", analise: "{}" }], []);
    await first.close();
    const again = await kit.open();
    expect(await kit.schemaVersion()).toBe(CURRENT[kit.name]);
    expect((await again.stats()).outcomes).toBe(1);
  });

  it("refuses a store written by a newer fluence with one sentence, through openStore too", async () => {
    await (await kit.open()).close();
    await kit.setSchemaVersion(99);
    const error = await kit.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as UserError).message).toMatch(/newer fluence/);
    expect((error as UserError).message).not.toMatch(/\n/);
    await expect(openStore(kit.spec)).rejects.toThrow(/newer fluence/);
  });
});
