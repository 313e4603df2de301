import iconv from "iconv-lite";
import { UserError } from "../user-error.js";

/** Canonical names for the encodings users name most often; anything else iconv-lite knows passes through. */
const ALIASES: Record<string, string> = {
  utf8: "utf-8",
  "utf-8": "utf-8",
  utf16le: "utf-16le",
  "utf-16le": "utf-16le",
  ucs2: "utf-16le",
  "ucs-2": "utf-16le",
  utf16be: "utf-16be",
  "utf-16be": "utf-16be",
  utf16: "utf-16",
  "utf-16": "utf-16",
  cp1252: "windows-1252",
  win1252: "windows-1252",
  windows1252: "windows-1252",
  "windows-1252": "windows-1252",
  latin1: "latin1",
  "iso-8859-1": "latin1",
  iso88591: "latin1",
};

// Their line breaks are not a lone 0x0A byte (or, for UTF-16, a 2-byte unit), so line-wise scanning would lie.
const UNSUPPORTED = /^(utf-?32|ucs-?4|utf-?7)/;

/** Turns a user-given encoding name into the canonical one, or throws a UserError for unknown names. */
export function canonicalEncoding(name: string): string {
  const lowered = name.trim().toLowerCase().replace(/_/g, "-");
  const known = ALIASES[lowered];
  if (known !== undefined) return known;
  if (!iconv.encodingExists(lowered) || UNSUPPORTED.test(lowered)) {
    throw new UserError(
      `Unknown or unsupported encoding "${name}"; use e.g. utf-8, windows-1252, utf-16le, utf-16be or latin1.`,
    );
  }
  return lowered;
}

export interface Bom {
  encoding: "utf-8" | "utf-16le" | "utf-16be";
  length: number;
}

export function detectBom(head: Buffer): Bom | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: "utf-8", length: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: "utf-16le", length: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: "utf-16be", length: 2 };
  return undefined;
}

/**
 * BOM-less UTF-16 written by some exporters: text that is mostly ASCII has a NUL in every other byte.
 * The side the NULs fall on tells the byte order.
 */
export function sniffUtf16(head: Buffer): "utf-16le" | "utf-16be" | undefined {
  const sample = head.subarray(0, Math.min(head.length, 1024) & ~1);
  if (sample.length < 2) return undefined;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < sample.length; i++) {
    if (sample[i] === 0) {
      if (i % 2 === 0) even++;
      else odd++;
    }
  }
  if (even + odd < sample.length / 4) return undefined;
  return odd >= even ? "utf-16le" : "utf-16be";
}

/** Decodes a (possibly truncated) head of the file, for sniffing only. */
export function decodeHead(head: Buffer, encoding: string): string {
  return iconv.decode(head, encoding, { stripBOM: false });
}
