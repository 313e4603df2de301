import type { ProfileInput } from "../api/types.js";
import { type ColumnMapping, type CsvInput, type CsvRecord, extractProfile } from "../csv/index.js";
import { fingerprint, type OutcomeStore, type StoredOutcome } from "../store/index.js";
import type { OutputWriters } from "./output-writers.js";
import type { PendingReason, RowTally } from "./row-tally.js";
import type { RowResolution, RunLedger } from "./run-ledger.js";

/** Rows are handled in chunks so the store is asked once per chunk, never once per row or all at once. */
const CHUNK_ROWS = 1000;

interface ScannedRow {
  record: CsvRecord;
  /** Set for a valid row. */
  person?: { fp: string; profile: ProfileInput };
  /** Set for an invalid row: why. */
  invalid?: string;
}

async function* scanChunks(input: CsvInput, mapping: ColumnMapping): AsyncGenerator<ScannedRow[]> {
  let chunk: ScannedRow[] = [];
  const columns = input.info.header.length;
  for await (const record of input.records()) {
    chunk.push(scanRecord(record, mapping, columns));
    if (chunk.length >= CHUNK_ROWS) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

function scanRecord(record: CsvRecord, mapping: ColumnMapping, columns: number): ScannedRow {
  if (record.problem) {
    // Values beyond the header have no column in the outputs: keep them in the message, never drop them.
    const extra = record.fields.slice(columns);
    const kept =
      extra.length > 0
        ? `; the values past the last column were ${extra.map((v) => JSON.stringify(v)).join(", ")}`
        : "";
    return { record, invalid: `${capitalize(record.problem)}${kept}; the row was not sent.` };
  }
  const { profile, missing } = extractProfile(record.fields, mapping);
  if (missing.length > 0) {
    const list = missing.join(", ");
    return {
      record,
      invalid: `Empty required field${missing.length > 1 ? "s" : ""} ${list}; the row was not sent.`,
    };
  }
  return { record, person: { fp: fingerprint(profile), profile } };
}

function fpsOf(chunk: ScannedRow[]): string[] {
  const fps: string[] = [];
  for (const row of chunk) if (row.person) fps.push(row.person.fp);
  return fps;
}

export interface PlanPassArgs {
  input: CsvInput;
  mapping: ColumnMapping;
  ledger: RunLedger;
  store: OutcomeStore;
  endpoint: string;
  freshSince: number;
  /** When given, rows are written as they are planned for as long as every row is already known. */
  speculative?: { out: OutputWriters; tally: RowTally };
}

export interface PlanPassResult {
  rows: number;
  invalid: number;
  /** True when the speculative outputs hold every row: nothing needs sending and no second pass is needed. */
  written: boolean;
}

/** Pass 1: validate, fingerprint, de-duplicate and consult the store for every row. */
export async function planPass(args: PlanPassArgs): Promise<PlanPassResult> {
  let rows = 0;
  let invalid = 0;
  let speculative = args.speculative;
  for await (const chunk of scanChunks(args.input, args.mapping)) {
    rows += chunk.length;
    const entries = chunk.flatMap((r) => (r.person ? [{ ...r.person, seq: r.record.row }] : []));
    invalid += chunk.length - entries.length;
    const stored = args.store.lookup(
      entries.map((e) => e.fp),
      args.endpoint,
      args.freshSince,
    );
    const firstRows = args.ledger.addChunk(entries, new Set(stored.keys()));
    if (speculative && !(await writeKnownChunk(chunk, stored, firstRows, speculative))) {
      await speculative.out.abort();
      speculative = undefined;
    }
  }
  return { rows, invalid, written: speculative !== undefined };
}

/** Pass 3: every row, in input order, into the enriched or the errors output. */
export async function writePass(args: {
  input: CsvInput;
  mapping: ColumnMapping;
  ledger: RunLedger;
  endpoint: string;
  out: OutputWriters;
  tally: RowTally;
  pending: PendingReason;
}): Promise<void> {
  for await (const chunk of scanChunks(args.input, args.mapping)) {
    await writeChunk(chunk, args.ledger, args.endpoint, args, args.pending);
  }
}

/** Writes a chunk from what the plan pass already read, while every person in it is already known. */
async function writeKnownChunk(
  chunk: ScannedRow[],
  stored: Map<string, StoredOutcome>,
  firstRows: Map<string, number>,
  sink: { out: OutputWriters; tally: RowTally },
): Promise<boolean> {
  for (const row of chunk) {
    if (row.invalid !== undefined) {
      await sink.tally.invalidRow(sink.out, row.record, row.invalid);
      continue;
    }
    const fp = row.person!.fp;
    const outcome = stored.get(fp);
    if (!outcome) return false;
    const res: RowResolution = {
      fp,
      status: "stored",
      firstRow: firstRows.get(fp) ?? row.record.row,
      code: null,
      message: null,
      retryable: false,
      inDoubt: false,
      kind: outcome.kind,
      analise: outcome.analise ?? null,
      outcomeCode: outcome.code ?? null,
      outcomeMessage: outcome.message ?? null,
    };
    await sink.tally.personRow(sink.out, row.record, res, undefined);
  }
  return true;
}

async function writeChunk(
  chunk: ScannedRow[],
  ledger: RunLedger,
  endpoint: string,
  sink: { out: OutputWriters; tally: RowTally },
  pending: PendingReason,
): Promise<void> {
  const resolved = ledger.resolve(fpsOf(chunk), endpoint);
  for (const row of chunk) {
    if (row.invalid !== undefined) {
      await sink.tally.invalidRow(sink.out, row.record, row.invalid);
      continue;
    }
    const res = resolved.get(row.person!.fp);
    if (!res) throw new Error(`internal: row ${row.record.row} has no ledger entry`);
    await sink.tally.personRow(sink.out, row.record, res, pending);
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
