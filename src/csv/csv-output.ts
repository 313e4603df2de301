import { open } from "node:fs/promises";
import { checkRowWrite, stagePath } from "../fs/atomic-file.js";
import { asIoFailure } from "../fs/io-errors.js";
import type { FormulaEscape } from "./formula.js";
import { csvRowFormatter, escapeStart, jsonlRowFormatter, type RowFormatter } from "./row-format.js";

export interface CsvOutputOptions {
  /** Final path; rows go to a temp file in the same directory, renamed onto it on commit(). */
  path: string;
  format: "csv" | "jsonl";
  /** Output column names; duplicates are kept apart (in JSONL renamed name_2, name_3...). */
  header: string[];
  /** Columns with index >= this come from the API (what escapeFormulas "api" escapes). */
  apiColumnsFrom: number;
  /** Default ",". csv only. */
  delimiter?: string;
  /** UTF-8 BOM at the start so Excel reads UTF-8. Default false. csv only. */
  bom?: boolean;
  /** Default "api". jsonl is never escaped. */
  escapeFormulas?: FormulaEscape;
}

export interface CsvOutput {
  /** Writes one row (values.length === header.length); resolves when the stream accepts more (back-pressure). */
  write(values: string[]): Promise<void>;
  /**
   * Flushes, fsyncs and closes the temp file: after it, only the rename is left, so a full disk shows
   * here, before anything is published. commit() does it too when not called first.
   */
  finish(): Promise<void>;
  /** Flushes, fsyncs, and atomically renames the temp file onto `path`. */
  commit(): Promise<void>;
  /** Deletes the temp file; `path` is untouched. Safe to call after commit (no-op). */
  abort(): Promise<void>;
}

// Rows are joined into one string and written in blocks: one syscall per row would dominate a 1M-row run.
const FLUSH_AT = 256 * 1024;

/**
 * Opens an output whose file appears at `path` only when commit() succeeds. Disk full, read-only or
 * permission failures (at any step) come out as IoFailure naming `path`; the temp file is then removed
 * by abort(), or at exit if the process leaves at once.
 */
export async function createCsvOutput(options: CsvOutputOptions): Promise<CsvOutput> {
  const { header } = options;
  const ioError = (error: unknown) => asIoFailure(error, { file: options.path, role: "output" });
  const staged = await stagePath(options.path);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(staged.temp, "wx");
  } catch (error) {
    await staged.discard();
    throw ioError(error);
  }

  const format: RowFormatter =
    options.format === "jsonl"
      ? jsonlRowFormatter(header)
      : csvRowFormatter(
          options.delimiter ?? ",",
          escapeStart(options.escapeFormulas ?? "api", options.apiColumnsFrom),
        );
  let pending = "";
  if (options.format === "csv") {
    pending = (options.bom ? "\uFEFF" : "") + csvRowFormatter(options.delimiter ?? ",", Infinity)(header);
  }
  // Each block gets its file position when it is cut, so overlapping write() calls cannot interleave bytes.
  let position = 0;
  let state: "open" | "finished" | "committed" | "aborted" = "open";
  const inFlight = new Set<Promise<void>>();
  // A failed block leaves a hole in the file: commit() must refuse it rather than publish a torn output.
  let failure: unknown;

  async function writeBlock(text: string): Promise<void> {
    const bytes = Buffer.from(text, "utf8");
    let at = position;
    position += bytes.length;
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, at);
      offset += bytesWritten;
      at += bytesWritten;
    }
  }

  function flush(): Promise<void> {
    const text = pending;
    pending = "";
    if (text === "") return Promise.resolve();
    const done = writeBlock(text).catch((error: unknown) => {
      failure ??= ioError(error);
      throw failure;
    });
    inFlight.add(done);
    return done.finally(() => inFlight.delete(done));
  }

  async function finish(): Promise<void> {
    if (state === "finished" || state === "committed") return;
    if (state === "aborted") throw new Error("finish() after abort()");
    await Promise.allSettled([...inFlight, flush()]);
    if (failure !== undefined) throw failure;
    try {
      await handle.sync();
      await handle.close();
    } catch (error) {
      failure = ioError(error);
      throw failure;
    }
    state = "finished";
  }

  return {
    async write(values) {
      checkRowWrite(state, failure, values.length, header.length);
      pending += format(values);
      if (pending.length >= FLUSH_AT) await flush();
    },
    finish,
    async commit() {
      if (state === "committed") return;
      await finish();
      await staged.publish();
      state = "committed";
    },
    async abort() {
      if (state === "committed" || state === "aborted") return;
      const wasOpen = state === "open";
      state = "aborted";
      pending = "";
      await Promise.allSettled([...inFlight]);
      if (wasOpen) await handle.close().catch(() => {});
      await staged.discard();
    },
  };
}
