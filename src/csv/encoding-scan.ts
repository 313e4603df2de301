import { isUtf8 } from "node:buffer";
import iconv from "iconv-lite";

/** Chunks of 1 MiB: the scan validates whole lines, so bigger units mean fewer boundary copies. */
export const SCAN_CHUNK = 1 << 20;

type Validator = (bytes: Buffer) => boolean;

function validatorFor(encoding: string): Validator {
  if (encoding === "utf-8") return (bytes) => isUtf8(bytes);
  if (encoding === "utf-16le" || encoding === "utf-16be") {
    const decoder = new TextDecoder(encoding, { fatal: true });
    return (bytes) => {
      try {
        decoder.decode(bytes);
        return true;
      } catch {
        return false;
      }
    };
  }
  // iconv-lite never throws: it substitutes U+FFFD for bytes the code page leaves undefined
  // (windows-1252 0x81, 0x8D, 0x8F, 0x90, 0x9D), so a U+FFFD in the output means undecodable input.
  return (bytes) => !iconv.decode(bytes, encoding).includes("\uFFFD");
}

/** Where line breaks are in the raw bytes: a 0x0A byte, or for UTF-16 an aligned 0x000A code unit. */
interface LineBreaks {
  /** Offset just past the last line break in `bytes`, or 0 when there is none. */
  lastEnd(bytes: Buffer): number;
  /** Offsets just past each line break. */
  ends(bytes: Buffer): number[];
}

function lineBreaksFor(encoding: string): LineBreaks {
  const nulFirst = encoding === "utf-16be";
  const wide = nulFirst || encoding === "utf-16le";
  const isBreakAt = (bytes: Buffer, i: number): boolean =>
    !wide || (nulFirst ? i % 2 === 1 && bytes[i - 1] === 0 : i % 2 === 0 && bytes[i + 1] === 0);
  const offsetAfter = (i: number): number => (wide && !nulFirst ? i + 2 : i + 1);
  return {
    lastEnd(bytes) {
      let i = bytes.lastIndexOf(10);
      while (i >= 0) {
        if (isBreakAt(bytes, i) && offsetAfter(i) <= bytes.length) return offsetAfter(i);
        i = i === 0 ? -1 : bytes.lastIndexOf(10, i - 1);
      }
      return 0;
    },
    ends(bytes) {
      const out: number[] = [];
      let i = bytes.indexOf(10);
      while (i >= 0) {
        if (isBreakAt(bytes, i) && offsetAfter(i) <= bytes.length) out.push(offsetAfter(i));
        i = bytes.indexOf(10, i + 1);
      }
      return out;
    },
  };
}

/** Index (0-based) of the first line of `unit` that does not decode. */
function firstBadLine(unit: Buffer, valid: Validator, breaks: LineBreaks): number {
  let start = 0;
  let index = 0;
  for (const end of [...breaks.ends(unit), unit.length]) {
    if (end > start && !valid(unit.subarray(start, end))) return index;
    start = end;
    index++;
  }
  return index - 1;
}

/**
 * Reads the whole of `bytes` (the file past any BOM) and checks every byte decodes under `encoding`.
 * Works on chunks (ideally SCAN_CHUNK) cut at line breaks, so a bad byte on row 50,000 is found with its
 * line number without holding the file in memory. Resolves to the 1-based line of the first bad byte, or
 * undefined.
 */
export async function findUndecodableLine(
  bytes: AsyncIterable<Buffer>,
  encoding: string,
): Promise<number | undefined> {
  const valid = validatorFor(encoding);
  const breaks = lineBreaksFor(encoding);
  let carry: Buffer = Buffer.alloc(0);
  let line = 1;
  for await (const chunk of bytes) {
    const joined: Buffer = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const cut = breaks.lastEnd(joined);
    if (cut === 0) {
      carry = joined;
      continue;
    }
    const unit = joined.subarray(0, cut);
    if (!valid(unit)) return line + firstBadLine(unit, valid, breaks);
    line += breaks.ends(unit).length;
    carry = joined.subarray(cut);
  }
  if (carry.length > 0 && !valid(carry)) return line;
  return undefined;
}
