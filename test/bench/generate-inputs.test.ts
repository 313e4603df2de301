import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM module of the bench, no type declarations
import { CSV_HEADER, personAt, writePeopleCsv } from "../../bench/generate-inputs.mjs";
import { fingerprint } from "../../src/store/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("generated people", () => {
  it("are distinct people after folding, so every row costs one profile", () => {
    const fps = new Set<string>();
    for (let i = 0; i < 20_000; i++) fps.add(fingerprint(personAt(i)));
    expect(fps.size).toBe(20_000);
  });

  it("are written as a CSV with the header and one line per row", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "bench-inputs-"));
    dirs.push(dir);
    const file = path.join(dir, "people.csv");
    await writePeopleCsv(file, 12_345);
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe(CSV_HEADER.join(","));
    expect(lines).toHaveLength(12_346);
    const [first, last, company] = lines[1]!.split(",");
    expect({ primeiro_nome: first, ultimo_nome: last, empresa: company }).toEqual(personAt(0));
  });
});
