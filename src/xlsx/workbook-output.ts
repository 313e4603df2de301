import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { WorkbookWriter } from "@cj-tech-master/excelts";
import { checkRowWrite, stagePath } from "../fs/atomic-file.js";
import { asIoFailure } from "../fs/io-errors.js";

export interface WorkbookOutput {
  write(values: string[]): Promise<void>;
  finish(): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

// Rows between two looks at the buffers: the library's addRow has no back-pressure of its own.
const CHECK_EVERY = 64;

/**
 * One sheet written as rows arrive, to a temp file renamed onto `path` on commit() (like the CSVs).
 * Every value is written as a text cell: a value starting with "=" is shown as typed and is never stored
 * as a formula, so a cell cannot run anything and no apostrophe needs adding. Strings are written inline,
 * not through a shared-strings table that would hold every distinct text in memory until the end. The
 * header row is frozen and carries an auto-filter.
 */
export async function createWorkbookOutput(options: {
  path: string;
  header: string[];
  sheetName?: string;
}): Promise<WorkbookOutput> {
  const { header } = options;
  const ioError = (error: unknown) => asIoFailure(error, { file: options.path, role: "output" });
  const staged = await stagePath(options.path);
  const temp = staged.temp;
  let file: WriteStream;
  try {
    file = createWriteStream(temp, { flags: "wx" });
    await new Promise<void>((resolve, reject) => {
      file.once("open", () => resolve());
      file.once("error", reject);
    });
  } catch (error) {
    await staged.discard();
    throw ioError(error);
  }
  let failure: unknown;
  file.on("error", (error) => {
    failure ??= ioError(error);
  });
  const workbook = new WorkbookWriter({
    stream: file,
    useSharedStrings: false,
    useStyles: false,
    trueStreaming: false,
  });
  const sheet = workbook.addWorksheet(options.sheetName ?? "Sheet1", {
    views: [{ state: "frozen", ySplit: 1, xSplit: 0 }],
    autoFilter: { from: { row: 1, column: 1 }, to: { row: 1, column: Math.max(1, header.length) } },
  });
  coalesceWrites(sheet);
  sheet.addRow(header).commit();
  let rows = 0;
  let state: "open" | "finished" | "committed" | "aborted" = "open";

  /**
   * The library queues each sheet chunk on a promise chain behind the previous chunk's compression and
   * never makes addRow wait: left alone, every row written so far waits in that chain (312 MB peak for
   * 100,000 rows of 20 columns, 87 MB with this wait). Its internals are reached at run time and checked:
   * if they change, this only stops waiting. Then the file stream's own back-pressure.
   */
  async function backPressure(): Promise<void> {
    const active = (
      workbook as unknown as { zip?: { activeFile?: { _pushChain?: unknown; _deflate?: unknown } } }
    ).zip?.activeFile;
    // Each chunk waits on a promise chain for the previous one to be compressed: its tail is the backlog.
    const chain = active?._pushChain;
    if (chain instanceof Promise) await chain.catch(() => {});
    if (isDraining(active?._deflate)) await once(active._deflate, "drain");
    if (file.writableNeedDrain) await once(file, "drain");
  }

  async function finish(): Promise<void> {
    if (state === "finished" || state === "committed") return;
    if (state === "aborted") throw new Error("finish() after abort()");
    try {
      sheet.commit();
      await workbook.commit();
      if (!file.closed) await new Promise<void>((resolve) => file.once("close", () => resolve()));
    } catch (error) {
      failure ??= ioError(error);
    }
    if (failure !== undefined) throw failure;
    try {
      const handle = await open(temp, "r+");
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
      sheet.addRow(values).commit();
      if (++rows % CHECK_EVERY === 0) await backPressure();
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
      state = "aborted";
      file.destroy();
      await staged.discard();
    },
  };
}

/** A stream (Node's or the library's own) whose buffer is over its high-water mark. */
function isDraining(stream: unknown): stream is NodeJS.EventEmitter {
  const s = stream as { writableNeedDrain?: unknown; once?: unknown } | undefined;
  return s?.writableNeedDrain === true && typeof s.once === "function";
}

type Write = (data: unknown, ...rest: unknown[]) => unknown;

/**
 * The sheet writer hands each row's XML to the compressor on its own, and each hand-over is a zlib write
 * and flush on the thread pool: 100,000 rows of 20 columns took 10.7 s, 2.8 s uncompressed. Row texts are
 * gathered here into 64 KB blocks instead (any other write, and the end, pass the block on first). The
 * library's sheet stream is reached at run time and checked: if it changes, writes go through as before.
 */
function coalesceWrites(sheet: unknown): void {
  const stream = (sheet as { stream?: { write?: unknown; end?: unknown } }).stream;
  if (stream === undefined || typeof stream.write !== "function" || typeof stream.end !== "function") return;
  const write = (stream.write as Write).bind(stream);
  const end = (stream.end as (...args: unknown[]) => unknown).bind(stream);
  let pending = "";
  const flush = () => {
    if (pending === "") return;
    const text = pending;
    pending = "";
    write(text);
  };
  stream.write = (data: unknown, ...rest: unknown[]) => {
    if (typeof data === "string" && rest.length === 0) {
      pending += data;
      if (pending.length >= 64 * 1024) flush();
      return true;
    }
    flush();
    return write(data, ...rest);
  };
  stream.end = (...args: unknown[]) => {
    flush();
    return end(...args);
  };
}
