import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { SandboxHandle, SandboxOptions } from "../../src/sandbox/index.js";
import { type CliResult, FIXTURES, parseCsvText, readJson } from "../helpers/cli-harness.js";
import { enrich, type RecordedBatch, Scenario, type Summary } from "./enrich-helpers.js";

export const CSV_FIXTURES = path.join(FIXTURES, "csv");
export const BATCH_ROUTE = "POST /crm_basico_batch";
export const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * One CLI-level CSV scenario: a temp dir, a sandbox behind a recording proxy, outputs in `<tmp>/out`, and
 * the child's TMPDIR in `<tmp>/tmp` so its own temp files (stdin spool, throw-away store) can be inspected.
 */
export class CsvWorld {
  readonly scenario = new Scenario();
  readonly outDir: string;
  readonly tmpDir: string;
  sandbox!: SandboxHandle;
  env!: Record<string, string>;
  batches!: RecordedBatch[];

  private constructor() {
    this.outDir = this.scenario.tmp.file("out");
    this.tmpDir = this.scenario.tmp.file("tmp");
    mkdirSync(this.tmpDir);
  }

  static async start(options: SandboxOptions = {}): Promise<CsvWorld> {
    const world = new CsvWorld();
    const { sandbox, env } = await world.scenario.sandbox(options);
    const proxy = await world.scenario.proxy(sandbox.url);
    world.sandbox = sandbox;
    world.env = { ...env, FLUENCE_BASE_URL: proxy.url, TMPDIR: world.tmpDir };
    world.batches = proxy.batches;
    return world;
  }

  file(name: string): string {
    return this.scenario.tmp.file(name);
  }

  /** Writes raw bytes (or UTF-8 text) as an input file and returns its path. */
  input(name: string, content: string | Buffer): string {
    const file = this.file(name);
    writeFileSync(file, content);
    return file;
  }

  /** `fluence enrich <input> --out-dir <out> ...args`, fast pacing; killed after `timeoutMs` (default 50 s). */
  run(input: string, args: string[] = [], timeoutMs?: number): Promise<CliResult> {
    return enrich(input, ["--out-dir", this.outDir, ...args], this.env, timeoutMs);
  }

  out(name: string): string {
    return path.join(this.outDir, name);
  }

  /** Every profile the API received, in order, as the recording proxy saw the JSON bodies. */
  sent(): Record<string, unknown>[] {
    return this.batches.flatMap((batch) => batch.profiles);
  }

  summary(base: string): Summary {
    return readJson<Summary>(this.out(`${base}.summary.json`));
  }

  release(): Promise<void> {
    return this.scenario.release();
  }
}

export interface Table {
  header: string[];
  rows: string[][];
  /** The file's bytes, for byte-level assertions. */
  bytes: Buffer;
}

/** Reads an output CSV written in UTF-8 (a leading BOM is reported by `bytes`, stripped for parsing). */
export function readTable(file: string, delimiter = ","): Table {
  const bytes = readFileSync(file);
  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  const [header = [], ...rows] = parseCsvText(text, delimiter);
  return { header, rows, bytes };
}

/** Rows of a table as objects; throws on duplicate header names (use `column()` for those). */
export function objects(table: Table): Record<string, string>[] {
  if (new Set(table.header).size !== table.header.length)
    throw new Error(`duplicate header: ${table.header}`);
  return table.rows.map((row) => Object.fromEntries(table.header.map((name, i) => [name, row[i] ?? ""])));
}

/** The values of one column (the `occurrence`-th column of that name, 0-based). */
export function column(table: Table, name: string, occurrence = 0): string[] {
  const indexes = table.header.flatMap((h, i) => (h === name ? [i] : []));
  const index = indexes[occurrence];
  if (index === undefined) throw new Error(`no column ${name} #${occurrence} in ${table.header.join("|")}`);
  return table.rows.map((row) => row[index] ?? "");
}

/** Parses a JSON Lines file: every line one object, the file ending with a newline (or empty). */
export function readJsonl(file: string): Record<string, string>[] {
  const lines = readFileSync(file, "utf8").split("\n");
  if (lines.pop() !== "") throw new Error(`${file} does not end with a newline`);
  return lines.map((line) => JSON.parse(line) as Record<string, string>);
}

/** Files in `dir` whose names are not the given final outputs: temp files, stray copies. */
export function strayFiles(dir: string, finals: string[]): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => !finals.includes(name));
}

/** The analysis the sandbox sent for an enriched row, parsed from its fluence_analise cell. */
export function analiseOf(row: Record<string, string>): Record<string, unknown> {
  return JSON.parse(row.fluence_analise ?? "") as Record<string, unknown>;
}
