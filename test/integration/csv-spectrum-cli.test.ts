import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CsvWorld, column, readTable } from "./csv-kit.js";
import { ERROR_COLUMNS, OUTPUT_COLUMNS } from "./enrich-helpers.js";

const SPECTRUM = path.dirname(createRequire(import.meta.url).resolve("csv-spectrum/package.json"));
const CASES = readdirSync(path.join(SPECTRUM, "csvs"))
  .filter((name) => name.endsWith(".csv"))
  .map((name) => path.basename(name, ".csv"))
  .sort();

// Upstream typo: the JSON of location_coordinates says 1234567890 where its CSV says 2095257564.
const UPSTREAM_ERRATA: Record<string, Record<string, string>> = {
  location_coordinates: { "Contact Phone Number": "2095257564" },
};

let world: CsvWorld | undefined;
afterEach(async () => {
  await world?.release();
  world = undefined;
});

function expected(name: string): { header: string[]; rows: string[][] } {
  const parsed: unknown = JSON.parse(readFileSync(path.join(SPECTRUM, "json", `${name}.json`), "utf8"));
  const objects = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, string>[];
  const header = Object.keys(objects[0]!);
  const fixes = UPSTREAM_ERRATA[name] ?? {};
  return { header, rows: objects.map((o) => header.map((key) => fixes[key] ?? o[key]!)) };
}

describe("csv-spectrum through the CLI: every original value round-trips", () => {
  it("covers every case of the corpus", () => {
    expect(CASES).toHaveLength(12);
  });

  for (const name of CASES) {
    it(name, async () => {
      world = await CsvWorld.start();
      const { header, rows } = expected(name);
      const input = world.file(`${name}.csv`);
      copyFileSync(path.join(SPECTRUM, "csvs", `${name}.csv`), input);
      // Files with two columns lend their first one to empresa too: --map may name a column twice.
      const map = [
        `primeiro_nome=${header[0]}`,
        `ultimo_nome=${header[1]}`,
        `empresa=${header[2] ?? header[0]}`,
      ];

      const result = await world.run(
        input,
        map.flatMap((m) => ["--map", m]),
      );
      expect(result.code, result.stderr).toBe(0);

      const enriched = readTable(world.out(`${name}.enriched.csv`));
      const errors = readTable(world.out(`${name}.errors.csv`));
      expect(enriched.header).toEqual([...header, ...OUTPUT_COLUMNS]);
      expect(errors.header).toEqual([...header, ...ERROR_COLUMNS]);

      // Each input row lands in exactly one output, cell for cell; errors say which row they are.
      const failedRows = column(errors, "fluence_row").map(Number);
      expect(errors.rows.map((r) => r.slice(0, header.length))).toEqual(failedRows.map((n) => rows[n - 1]));
      const kept = rows.filter((_, i) => !failedRows.includes(i + 1));
      expect(enriched.rows.map((r) => r.slice(0, header.length))).toEqual(kept);
      expect(enriched.rows.length + errors.rows.length).toBe(rows.length);

      const stats = world.sandbox.stats();
      expect(stats.profilesSucceeded).toBe(enriched.rows.length);
      expect(stats.creditsDebited).toBe(enriched.rows.length);
      expect(world.summary(name)).toMatchObject({ rows: rows.length, enriched: enriched.rows.length });
    });
  }
});
