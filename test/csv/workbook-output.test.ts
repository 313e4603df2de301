import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCsvInput } from "../../src/csv/index.js";
import { createWorkbookOutput } from "../../src/xlsx/index.js";
import { makeTempDir, readAll } from "./helpers.js";

describe("createWorkbookOutput", () => {
  const tmp = makeTempDir();
  afterAll(tmp.cleanup);

  it("appears only on commit, under its name, with nothing left beside it", async () => {
    const dir = join(tmp.dir, "commit");
    const path = join(dir, "out.xlsx");
    const out = await createWorkbookOutput({ path, header: ["Nome", "Empresa"] });
    for (let i = 0; i < 1000; i++) await out.write([`Pessoa ${i}`, "Pão & Cia <Ltda>"]);
    expect(existsSync(path)).toBe(false);
    await out.commit();
    expect(readdirSync(dir)).toEqual(["out.xlsx"]);
    const input = await openCsvInput(path, { headerRow: 1 });
    try {
      const rows = await readAll(input);
      expect(rows).toHaveLength(1000);
      expect(rows[999]!.fields).toEqual(["Pessoa 999", "Pão & Cia <Ltda>"]);
    } finally {
      await input.close();
    }
  });

  it("abort removes the temp file and publishes nothing", async () => {
    const dir = join(tmp.dir, "abort");
    const out = await createWorkbookOutput({ path: join(dir, "out.xlsx"), header: ["a"] });
    await out.write(["x"]);
    await out.abort();
    expect(readdirSync(dir)).toEqual([]);
  });
});
