import { pipeline, type Readable } from "node:stream";
import { CsvError, parse } from "csv-parse";
import iconv from "iconv-lite";
import { UserError } from "../user-error.js";

export interface ParseSource {
  /** A new stream of the file's text bytes (past the BOM) each time it is called: one pass. */
  bytes(highWaterMark: number): Readable;
  /** Name shown in messages ("stdin" for a spooled stdin). */
  displayName: string;
  encoding: string;
  delimiter: string;
}

export interface RawRecord {
  fields: string[];
  /** 1-based physical line where the record starts. */
  line: number;
}

const HIGH_WATER_MARK = 256 * 1024;

function isBlank(fields: string[]): boolean {
  for (const field of fields) if (field.trim() !== "") return false;
  return true;
}

function lineBreaksIn(fields: string[]): number {
  let count = 0;
  for (const field of fields) {
    if (field.includes("\n") || field.includes("\r")) count += field.match(/\r\n|\r|\n/g)!.length;
  }
  return count;
}

/**
 * Streams the non-blank records of a file, header included. Blank and whitespace-only lines (and rows of
 * only empty fields, which Excel writes as ";;;;") are skipped; values are exactly as read.
 */
export async function* parseRecords(source: ParseSource): AsyncGenerator<RawRecord> {
  const parser = parse({
    delimiter: source.delimiter,
    relax_column_count: true,
    // A stray quote inside an unquoted field (5" screen) is kept literally instead of failing the file.
    relax_quotes: true,
    // Empty lines come through as [""] and are skipped below with the whitespace-only ones: counting
    // them here keeps line numbers exact without `info: true`, which costs about half the parse time.
    skip_empty_lines: false,
  });
  const input = source.bytes(HIGH_WATER_MARK);
  // csv-parse decodes UTF-8 bytes itself; anything else is turned into text first.
  const stages: Readable[] =
    source.encoding === "utf-8"
      ? [input]
      : [input, iconv.decodeStream(source.encoding) as unknown as Readable];
  // Errors reach the consumer through the parser, which pipeline destroys with the first error.
  pipeline([...stages, parser], () => {});

  // Line numbers are counted here: a record starts where the previous one ended and spans the line
  // breaks inside its quoted fields (csv-parse's own count reports the END line and counts a quoted CRLF twice).
  let nextLine = 1;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const line = nextLine;
      nextLine = line + 1 + lineBreaksIn(record);
      if (!isBlank(record)) yield { fields: record, line };
    }
  } catch (error) {
    throw toUserError(error, source.displayName, nextLine);
  } finally {
    parser.destroy();
  }
}

function toUserError(error: unknown, name: string, nextLine: number): unknown {
  if (error instanceof UserError) return error;
  if (error instanceof CsvError) {
    if (error.code === "CSV_QUOTE_NOT_CLOSED") {
      return new UserError(
        `${name}: the record starting on line ${nextLine} opens a quote that is never closed; fix the unbalanced " and run again.`,
        undefined,
        { cause: error },
      );
    }
    return new UserError(`${name}: cannot parse the CSV near line ${nextLine}: ${error.message}`, undefined, {
      cause: error,
    });
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string") {
    return new UserError(`Cannot read ${name}: ${(error as Error).message}`, undefined, { cause: error });
  }
  return error;
}
