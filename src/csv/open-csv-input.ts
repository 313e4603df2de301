import type { Readable } from "node:stream";
import { UserError } from "../user-error.js";
import { fileKind, namedLikeWorkbook, sheetRows } from "../xlsx/index.js";
import { canonicalEncoding, decodeHead, detectBom, sniffUtf16 } from "./encoding.js";
import { findUndecodableLine, SCAN_CHUNK } from "./encoding-scan.js";
import { type FoundHeader, findHeaderIn } from "./find-header.js";
import { InputFile } from "./input-file.js";
import { type ParseSource, parseRecords } from "./parse-records.js";
import { normalizeDelimiter, sniffDelimiter } from "./sniff-delimiter.js";
import { spoolToTempFile } from "./stdin-spool.js";

export interface CsvReadOptions {
  /** Override, any iconv-lite name ("utf-8", "utf-16le", "utf-16be", "windows-1252", "latin1"...). Default: detect. */
  encoding?: string;
  /** Override ("\t" and "tab" are accepted for a tab). Default: sniffed from the header line. */
  delimiter?: string;
  /**
   * --header-row: the 1-based line of the header. Default: the first of the first PREAMBLE_RECORDS
   * non-blank rows that names a person and a company, else the first non-blank row.
   */
  headerRow?: number;
  /** --sheet: the sheet of a workbook to read. Default: the first. */
  sheet?: string;
}

export interface CsvInputInfo {
  /** The file read; "stdin" for "-". */
  path: string;
  /** The encoding used, e.g. "utf-8", "utf-16le", "windows-1252". */
  encoding: string;
  /** The input had a BOM. */
  bom: boolean;
  delimiter: string;
  /** Header names exactly as read (decoded, BOM stripped), duplicates kept. */
  header: string[];
  /** 1-based line of the header row (past a preamble, if any); a workbook's row number. */
  headerLine: number;
  /** "xlsx" for an Excel workbook (then `sheet` names the sheet read; encoding and delimiter are moot). */
  format: "csv" | "xlsx";
  sheet?: string;
}

export interface CsvRecord {
  /** 1-based data row number: header excluded, blank lines skipped and not counted. */
  row: number;
  /** 1-based physical line where the record starts in the file. */
  line: number;
  /** Exactly as read, no trimming. */
  fields: string[];
  /** Set when the record has fewer or more fields than the header. */
  problem?: string;
}

export interface CsvInput {
  info: CsvInputInfo;
  /**
   * Streams the data records; may be called more than once (the pipeline reads the file twice). Every
   * call reads the file opened by openCsvInput, never the path again; when the file was modified in place
   * since, the iteration throws a UserError (exit 2) instead of yielding rows of another content.
   */
  records(): AsyncIterable<CsvRecord>;
  /** The first data rows (up to 50), read with the header. */
  sample: readonly string[][];
  /**
   * A notice when the input's path now names another file (renamed over mid-run): this run read, and
   * its outputs come from, the file as it was when the run started. Undefined otherwise, and for stdin.
   */
  replacedNotice(): Promise<string | undefined>;
  /** Closes the file. */
  close(): Promise<void>;
}

const HEAD_BYTES = 64 * 1024;

/**
 * Opens a file (or "-" for stdin, spooled to a temp file first), detects encoding and delimiter, reads the
 * header. Throws UserError (exit 2) for: unreadable/missing file, empty file, undecodable bytes under an
 * explicit encoding, unknown encoding name.
 */
export function openCsvInput(path: string, options: CsvReadOptions = {}): Promise<CsvInput> {
  return openCsvSource(path, options, process.stdin);
}

/** openCsvInput with the stream behind "-" as a parameter, for tests. */
export async function openCsvSource(
  path: string,
  options: CsvReadOptions,
  stdin: Readable,
): Promise<CsvInput> {
  const displayName = path === "-" ? "stdin" : path;
  let file = path === "-" ? await openSpooled(stdin, displayName) : await openFile(path, displayName);
  // A spooled copy is private: nobody can replace it, and its name is already gone.
  let named = path !== "-";
  try {
    if (file.stats.isDirectory()) throw new UserError(`Cannot read ${displayName}: it is a directory.`);
    // A pipe such as <(zcat x.csv.gz) can be read only once, like stdin.
    if (!file.stats.isFile()) {
      const pipe = file;
      file = await openSpooled(pipe.rawStream(), displayName).finally(() => pipe.close());
      named = false;
    }
    const head = await file.head(Math.min(HEAD_BYTES, Math.max(file.stats.size, 1)));
    if (head.length === 0) throw new UserError(`${displayName} is empty.`);
    const kind = fileKind(head);
    if (kind === "zip") return await openWorkbook(file, named, options);
    if (kind === "ole2") {
      throw new UserError(
        `${displayName} is an old Excel .xls workbook or a password-protected one, which fluence cannot read; save it in Excel as .xlsx without a password (or as CSV UTF-8) and run again.`,
      );
    }
    if (namedLikeWorkbook(path)) {
      throw new UserError(
        `${displayName} is named like an Excel workbook but is not one (not a ZIP file); export it again from the spreadsheet as .xlsx or CSV.`,
      );
    }
    return await openDecoded(file, named, head, options);
  } catch (error) {
    await file.close();
    throw error;
  }
}

async function openFile(path: string, displayName: string): Promise<InputFile> {
  try {
    return await InputFile.open(path, displayName);
  } catch (error) {
    throw new UserError(`Cannot read ${displayName}: ${describeFsError(error)}.`, undefined, {
      cause: error,
    });
  }
}

/** Spools a stream to a private temp file, opens it, and removes its name at once: the fd is the snapshot. */
async function openSpooled(stream: Readable, displayName: string): Promise<InputFile> {
  const spool = await spoolToTempFile(stream);
  try {
    return await InputFile.open(spool.file, displayName);
  } finally {
    await spool.remove();
  }
}

async function openDecoded(
  file: InputFile,
  named: boolean,
  head: Buffer,
  options: CsvReadOptions,
): Promise<CsvInput> {
  const displayName = file.displayName;
  const { encoding, bomLength } = await resolveEncoding(file, head, options.encoding);
  const sniffed = options.delimiter === undefined;
  const sourceWith = (delimiter: string): ParseSource => ({
    bytes: (highWaterMark) => file.pass(bomLength, highWaterMark),
    displayName,
    encoding,
    delimiter,
  });
  let source = sourceWith(
    sniffed
      ? sniffDelimiter(decodeHead(head.subarray(bomLength), encoding))
      : checkDelimiter(normalizeDelimiter(options.delimiter!)),
  );
  let found = await findHeader(source, options.headerRow);
  // The delimiter was sniffed from the first line, which may be a preamble's ("Report of 05/12/2026"):
  // when no header was recognised, the other delimiters get a chance to find one.
  if (sniffed && !found.recognised) {
    for (const other of DELIMITERS.filter((d) => d !== source.delimiter)) {
      const retry = await findHeader(sourceWith(other), options.headerRow);
      if (retry.recognised) {
        source = sourceWith(other);
        found = retry;
        break;
      }
    }
  }
  const delimiter = source.delimiter;
  const header = found.fields;
  const headerLine = found.line;
  const columns = header.length;

  async function* records(): AsyncGenerator<CsvRecord> {
    let row = 0;
    for await (const raw of parseRecords(source)) {
      if (raw.line <= headerLine) continue;
      row++;
      const record: CsvRecord = { row, line: raw.line, fields: raw.fields };
      const count = raw.fields.length;
      if (count !== columns) {
        record.problem = `line ${raw.line} has ${count} field${count === 1 ? "" : "s"}, the header has ${columns}`;
      }
      yield record;
    }
  }

  return {
    info: { path: displayName, encoding, bom: bomLength > 0, delimiter, header, headerLine, format: "csv" },
    records,
    sample: found.sample,
    replacedNotice: () => replacedNotice(file, named, displayName),
    close: () => file.close(),
  };
}

const DELIMITERS = [",", ";", "\t", "|"];

async function findHeader(source: ParseSource, headerRow: number | undefined): Promise<FoundHeader> {
  return findHeaderIn(parseRecords(source), source.displayName, headerRow);
}

/**
 * A workbook read as rows of cell texts: the same header search, the same records as a CSV. Every pass
 * streams the file again through the one descriptor (change detection included), like a CSV pass.
 */
async function openWorkbook(file: InputFile, named: boolean, options: CsvReadOptions): Promise<CsvInput> {
  const displayName = file.displayName;
  const rows = () => sheetRows(file.pass(0), displayName, options.sheet);
  const found = await findHeaderIn(rows(), displayName, options.headerRow);
  const header = found.fields;
  const headerLine = found.line;
  const columns = header.length;
  async function* records(): AsyncGenerator<CsvRecord> {
    let row = 0;
    for await (const raw of rows()) {
      if (raw.line <= headerLine) continue;
      row++;
      const record: CsvRecord = { row, line: raw.line, fields: raw.fields };
      // A sheet row simply ends at its last filled cell; only filled cells past the header are a problem.
      if (raw.fields.length > columns && raw.fields.slice(columns).some((f) => f.trim() !== "")) {
        record.problem = `row ${raw.line} has values beyond the header's ${columns} columns`;
      }
      yield record;
    }
  }
  return {
    info: {
      path: displayName,
      encoding: "utf-8",
      bom: false,
      delimiter: ",",
      header,
      headerLine,
      format: "xlsx",
      ...(options.sheet === undefined ? {} : { sheet: options.sheet }),
    },
    records,
    sample: found.sample,
    replacedNotice: () => replacedNotice(file, named, displayName),
    close: () => file.close(),
  };
}

/** For a named file (not stdin) that another file took the place of during the run: say so, once. */
async function replacedNotice(
  file: InputFile,
  named: boolean,
  displayName: string,
): Promise<string | undefined> {
  if (!named || !(await file.replaced())) return undefined;
  return `${displayName} was replaced by another file during the run; the outputs are from the file as it was when the run started.`;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "it is a directory";
  return error instanceof Error ? error.message : String(error);
}

function checkDelimiter(delimiter: string): string {
  if (delimiter === "" || /["\r\n]/.test(delimiter)) {
    throw new UserError(`Invalid delimiter ${JSON.stringify(delimiter)}: use e.g. "," ";" "\\t" or "|".`);
  }
  return delimiter;
}

async function resolveEncoding(
  file: InputFile,
  head: Buffer,
  requested: string | undefined,
): Promise<{ encoding: string; bomLength: number }> {
  const name = file.displayName;
  const bom = detectBom(head);
  const bomLength = bom?.length ?? 0;
  const scan = (start: number, encoding: string) =>
    findUndecodableLine(file.pass(start, SCAN_CHUNK), encoding);
  const checked = async (encoding: string, hint: string) => {
    const bad = await scan(bomLength, encoding);
    if (bad !== undefined) throw new UserError(`${name}: line ${bad} is not valid ${encoding}; ${hint}.`);
    return { encoding, bomLength };
  };

  if (requested !== undefined) {
    let encoding = canonicalEncoding(requested);
    if (encoding === "utf-16") {
      encoding =
        bom !== undefined && bom.encoding !== "utf-8" ? bom.encoding : (sniffUtf16(head) ?? "utf-16le");
    }
    if (bom !== undefined && bom.encoding !== encoding) {
      throw new UserError(
        `${name} starts with a ${bom.encoding} byte-order mark, but the encoding ${encoding} was asked for; leave the encoding out to detect it.`,
      );
    }
    return checked(encoding, "check the encoding option, or leave it out to detect it");
  }
  const hint = "pass the right encoding explicitly (e.g. windows-1252, latin1, utf-16le)";
  if (bom !== undefined) return checked(bom.encoding, hint);
  const utf16 = sniffUtf16(head);
  if (utf16 !== undefined) return checked(utf16, hint);
  if ((await scan(0, "utf-8")) === undefined) return { encoding: "utf-8", bomLength: 0 };
  // Not UTF-8 anywhere in the file: Excel on Windows and Brazilian CRMs write Windows-1252.
  const bad = await scan(0, "windows-1252");
  if (bad !== undefined) {
    throw new UserError(`${name} is neither UTF-8 nor Windows-1252 (see line ${bad}); ${hint}.`);
  }
  return { encoding: "windows-1252", bomLength: 0 };
}
