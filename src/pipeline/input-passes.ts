import type { ProfileInput } from "../api/types.js";
import { type ColumnMapping, type CsvInput, type CsvRecord, extractProfile } from "../csv/index.js";
import { fingerprint } from "../store/fingerprint.js";
import type { Analysis, OutcomeStore, StoredOutcome } from "../store/types.js";
import { FingerprintSet } from "./fingerprint-set.js";
import type { OutputWriters } from "./output-writers.js";
import type { PendingReason, RowResolution, RowTally } from "./row-tally.js";
import type { PersonEntry, RunLedger } from "./run-ledger.js";

/** Rows are handled in chunks so the store is asked once per chunk, never once per row or all at once. */
const CHUNK_ROWS = 1000;
/** The first chunk is small, so the first batch can leave as soon as the preflight has answered. */
const FIRST_CHUNK_ROWS = 100;

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
  let size = FIRST_CHUNK_ROWS;
  for await (const record of input.records()) {
    chunk.push(scanRecord(record, mapping, columns));
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
      size = CHUNK_ROWS;
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
  analysis: Analysis;
  freshSince: number;
  /** When given, rows are written as they are planned for as long as every row is already known. */
  speculative?: { out: OutputWriters; tally: RowTally };
  /** After each chunk that queued people, so a sender already running picks them up. */
  onQueued?: () => void;
  /** The store's outcomes for each chunk (the complete analysis learns its columns from them). */
  onStored?: (outcomes: Iterable<StoredOutcome>) => void;
  /** Stops the pass between chunks (the run failed elsewhere). */
  signal?: AbortSignal;
}

export interface PlanPassResult {
  rows: number;
  invalid: number;
  /** Valid rows repeating a person seen earlier in the file. */
  duplicates: number;
  /** Valid rows whose person has a fresh outcome in the store. */
  fromStore: number;
  /** True when the speculative outputs hold every row: nothing needs sending and no second pass is needed. */
  written: boolean;
}

/** Pass 1: validate, fingerprint, de-duplicate and consult the store for every row. */
export async function planPass(args: PlanPassArgs): Promise<PlanPassResult> {
  const result: PlanPassResult = { rows: 0, invalid: 0, duplicates: 0, fromStore: 0, written: false };
  const seen = new FingerprintSet();
  let speculative = args.speculative;
  for await (const chunk of scanChunks(args.input, args.mapping)) {
    args.signal?.throwIfAborted();
    result.rows += chunk.length;
    const fps = fpsOf(chunk);
    result.invalid += chunk.length - fps.length;
    const stored = await args.store.lookup(fps, args.analysis, args.freshSince);
    args.onStored?.(stored.values());
    const firsts = new Set<ScannedRow>();
    const toSend: PersonEntry[] = [];
    for (const row of chunk) {
      if (!row.person) continue;
      const first = seen.add(row.person.fp);
      if (first) firsts.add(row);
      else result.duplicates++;
      if (stored.has(row.person.fp)) result.fromStore++;
      else toSend.push({ ...row.person, seq: row.record.row });
    }
    // Speculation ends (its temp files removed) before these people are queued, so nothing is sent
    // while a half-written output exists: a run killed mid-send leaves only its locks.
    if (speculative && !(await writeKnownChunk(chunk, stored, firsts, speculative))) {
      await speculative.out.abort();
      speculative = undefined;
    }
    args.ledger.addQueued(toSend);
    if (toSend.length > 0) args.onQueued?.();
  }
  result.written = speculative !== undefined;
  return result;
}

/** Pass 3: every row, in input order, into the enriched or the errors output. */
export async function writePass(args: {
  input: CsvInput;
  mapping: ColumnMapping;
  ledger: RunLedger;
  store: OutcomeStore;
  analysis: Analysis;
  freshSince: number;
  out: OutputWriters;
  tally: RowTally;
  pending: PendingReason;
  /** The store failed mid-run: rows it served at plan time that it cannot give again are left unsent. */
  storeDown?: boolean;
}): Promise<void> {
  const seen = new FingerprintSet();
  for await (const chunk of scanChunks(args.input, args.mapping)) {
    const fps = fpsOf(chunk);
    const ledger = args.ledger.resolve(fps);
    // People the run did not have to send were in the store at plan time: one lookup per chunk.
    const fromStore = fps.filter((fp) => !ledger.has(fp));
    let stored: Map<string, StoredOutcome> | undefined;
    let unreadable = false;
    try {
      if (fromStore.length > 0) stored = await args.store.lookup(fromStore, args.analysis, args.freshSince);
    } catch (error) {
      if (!args.storeDown) throw error;
      unreadable = true;
    }
    for (const row of chunk) {
      if (row.invalid !== undefined) {
        await args.tally.invalidRow(args.out, row.record, row.invalid);
        continue;
      }
      const fp = row.person!.fp;
      const entry = ledger.get(fp);
      const res: RowResolution = entry
        ? { ...entry }
        : unreadable
          ? UNREADABLE
          : storedResolution(stored?.get(fp));
      await args.tally.personRow(args.out, row.record, res, args.pending, !seen.add(fp));
    }
  }
}

/** A person the store served at plan time and cannot give again: written with the run's stop reason. */
const UNREADABLE: RowResolution = {
  status: "queued",
  code: null,
  message: null,
  retryable: true,
  outcome: null,
};

function storedResolution(outcome: StoredOutcome | undefined): RowResolution {
  return {
    status: outcome ? "stored" : "missing",
    code: null,
    message: null,
    retryable: false,
    outcome: outcome ?? null,
  };
}

/** Writes a chunk from what the plan pass already read, while every person in it is already known. */
async function writeKnownChunk(
  chunk: ScannedRow[],
  stored: Map<string, StoredOutcome>,
  firsts: Set<ScannedRow>,
  sink: { out: OutputWriters; tally: RowTally },
): Promise<boolean> {
  for (const row of chunk) {
    if (row.invalid !== undefined) {
      await sink.tally.invalidRow(sink.out, row.record, row.invalid);
      continue;
    }
    const outcome = stored.get(row.person!.fp);
    if (!outcome) return false;
    await sink.tally.personRow(sink.out, row.record, storedResolution(outcome), undefined, !firsts.has(row));
  }
  return true;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
