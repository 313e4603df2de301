import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CsvInput, CsvRecord } from "../../src/csv/index.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../../fixtures/csv");

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

export async function readAll(input: CsvInput): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const record of input.records()) out.push(record);
  return out;
}

/** A temp dir for one test file; call `cleanup` in afterAll/afterEach. */
export function makeTempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "fluence-csv-test-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
