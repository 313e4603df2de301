import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCsvOutput, openCsvInput } from "../../src/csv/index.js";
import { makeTempDir, readAll } from "./helpers.js";

const spectrumDir = dirname(createRequire(import.meta.url).resolve("csv-spectrum/package.json"));
const cases = readdirSync(join(spectrumDir, "csvs"))
  .filter((name) => name.endsWith(".csv"))
  .map((name) => basename(name, ".csv"));

// Upstream typo: the JSON of location_coordinates says 1234567890 where its CSV says 2095257564.
const UPSTREAM_ERRATA: Record<string, Record<string, string>> = {
  location_coordinates: { "Contact Phone Number": "2095257564" },
};

const temp = makeTempDir();
afterAll(temp.cleanup);

async function readValues(path: string): Promise<{ header: string[]; rows: string[][] }> {
  const input = await openCsvInput(path);
  const rows = (await readAll(input)).map((record) => record.fields);
  await input.close();
  return { header: input.info.header, rows };
}

describe("csv-spectrum round trip", () => {
  it("covers every case of the package", () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });

  for (const name of cases) {
    it(name, async () => {
      const original = await readValues(join(spectrumDir, "csvs", `${name}.csv`));

      const parsed: unknown = JSON.parse(readFileSync(join(spectrumDir, "json", `${name}.json`), "utf8"));
      const expected = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, string>[];
      const fixes = UPSTREAM_ERRATA[name] ?? {};
      expect(original.rows).toEqual(
        expected.map((object) => original.header.map((key) => fixes[key] ?? object[key])),
      );

      const path = join(temp.dir, `${name}.csv`);
      const output = await createCsvOutput({
        path,
        format: "csv",
        header: original.header,
        apiColumnsFrom: original.header.length,
      });
      for (const row of original.rows) await output.write(row);
      await output.commit();
      expect(await readValues(path)).toEqual(original);
    });
  }
});
