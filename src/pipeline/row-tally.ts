import type { CsvRecord } from "../csv/index.js";
import { rowErrorInfo } from "../send/row-codes.js";
import type { NewOutcome } from "../store/index.js";
import type { OutputWriters } from "./output-writers.js";
import type { LedgerStatus } from "./run-ledger.js";

/**
 * How one person's rows are written. stored: served by the store without a call; missing: the store had
 * an outcome at plan time but not any more; otherwise the person's status in this run's ledger, with the
 * run's failure (code, message, retryable) or the outcome it committed.
 */
export interface RowResolution {
  status: "stored" | "missing" | LedgerStatus;
  code: string | null;
  message: string | null;
  retryable: boolean;
  outcome: NewOutcome | null;
}

/** Why people still queued at the end were not sent, as a row error. */
export interface PendingReason {
  code: string;
  message: string;
}

/** Counts of what was written, row by row; the summary is built from them. */
export class RowTally {
  rows = 0;
  enriched = 0;
  failed = 0;
  invalid = 0;
  duplicates = 0;
  fromStore = 0;
  creditsSaved = 0;
  retryableFailures = 0;
  readonly errorsByCode: Record<string, number> = {};

  /** Writes an INVALID_ROW error. */
  async invalidRow(out: OutputWriters, record: CsvRecord, message: string): Promise<void> {
    this.rows++;
    this.invalid++;
    this.#count("INVALID_ROW", false);
    await out.writeError(record.fields, record.row, "INVALID_ROW", message, false);
  }

  /** Writes a valid row from its person's resolution; `pending` explains people never sent (write pass). */
  async personRow(
    out: OutputWriters,
    record: CsvRecord,
    res: RowResolution,
    pending: PendingReason | undefined,
    duplicate: boolean,
  ): Promise<void> {
    const unresolved = res.status === "queued" || res.status === "sending";
    this.rows++;
    if (duplicate) this.duplicates++;
    if (res.status === "stored") {
      this.fromStore++;
      if (!duplicate && res.outcome?.kind === "ok") this.creditsSaved++;
    }

    if (unresolved) {
      if (!pending) throw new Error(`internal: row ${record.row} is unresolved and has no pending reason`);
      await this.#error(out, record, pending.code, pending.message, rowErrorInfo(pending.code).retryable);
    } else if (res.status === "failed") {
      await this.#error(
        out,
        record,
        res.code ?? "UNKNOWN_ERROR",
        res.message ?? "Unknown error.",
        res.retryable,
      );
    } else if (res.outcome?.kind === "ok" && res.outcome.analise !== undefined) {
      this.enriched++;
      await out.writeEnriched(record.fields, res.outcome.analise);
    } else if (res.outcome?.kind === "error") {
      const code = res.outcome.code ?? "UNKNOWN_ERROR";
      await this.#error(out, record, code, sentence(res.outcome.message ?? null, code), false);
    } else {
      await this.#error(
        out,
        record,
        "STORE_MISSING",
        "The stored result for this person disappeared during the run (was the store pruned?).",
        true,
      );
    }
  }

  async #error(
    out: OutputWriters,
    record: CsvRecord,
    code: string,
    message: string,
    retryable: boolean,
  ): Promise<void> {
    this.failed++;
    this.#count(code, retryable);
    await out.writeError(record.fields, record.row, code, message, retryable);
  }

  #count(code: string, retryable: boolean): void {
    this.errorsByCode[code] = (this.errorsByCode[code] ?? 0) + 1;
    if (retryable) this.retryableFailures++;
  }
}

/** API messages are often terse ("Profile not found"); make them a sentence with advice. */
export function sentence(message: string | null, code: string): string {
  const base = (message ?? code).trim().replace(/\.$/, "");
  return `${base}: ${rowErrorInfo(code).advice}.`;
}
