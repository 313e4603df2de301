import { statfsSync } from "node:fs";
import path from "node:path";
import { EXIT } from "../exit-codes.js";
import { UserError } from "../user-error.js";

/**
 * What the failing file is to the run, which decides the fix a sentence suggests: an output (the
 * enriched/errors/summary files, their temp and lock files), the store, or the private copy of stdin.
 * "file" is anything else fluence wrote (named by the OS error itself).
 */
export type FileRole = "output" | "store" | "spool" | "file";

/** The machine's failure, not fluence's. busy: SQLite's lock held past the busy timeout. */
export type IoTrouble = "space" | "quota" | "read-only" | "permission" | "device" | "cantopen" | "busy";

const ERRNO_TROUBLE: Record<string, IoTrouble> = {
  ENOSPC: "space",
  EDQUOT: "quota",
  EROFS: "read-only",
  EACCES: "permission",
  EPERM: "permission",
  EIO: "device",
};

/** The trouble behind an errno code (Node fs) or a SQLite result code (better-sqlite3's `code`). */
export function troubleOf(code: unknown): IoTrouble | undefined {
  if (typeof code !== "string") return undefined;
  if (Object.hasOwn(ERRNO_TROUBLE, code)) return ERRNO_TROUBLE[code];
  if (!code.startsWith("SQLITE_")) return undefined;
  if (code === "SQLITE_FULL") return "space";
  if (code.startsWith("SQLITE_READONLY")) return "read-only";
  if (code === "SQLITE_PERM" || code === "SQLITE_AUTH") return "permission";
  if (code.startsWith("SQLITE_IOERR")) return "device";
  if (code.startsWith("SQLITE_CANTOPEN")) return "cantopen";
  if (code.startsWith("SQLITE_BUSY")) return "busy";
  return undefined;
}

/** A file or the store could not be read or written: one sentence naming it and the fix; exit 7 (busy: 8). */
export class IoFailure extends UserError {
  readonly trouble: IoTrouble;
  readonly role: FileRole;
  readonly file: string | undefined;
  readonly storeKept: boolean;

  constructor(
    trouble: IoTrouble,
    role: FileRole,
    file: string | undefined,
    options: { cause?: unknown; storeKept?: boolean } = {},
  ) {
    const storeKept = options.storeKept ?? true;
    super(ioSentence(trouble, role, file, storeKept), trouble === "busy" ? EXIT.busy : EXIT.io, {
      cause: options.cause,
    });
    this.name = "IoFailure";
    this.trouble = trouble;
    this.role = role;
    this.file = file;
    this.storeKept = storeKept;
  }

  /** The same failure for a run without a store (--no-store): a re-run pays again, so say so. */
  withoutStore(): IoFailure {
    return new IoFailure(this.trouble, this.role, this.file, { cause: this.cause, storeKept: false });
  }
}

/**
 * The classifier: an I/O failure (disk full, quota, read-only, permission, device error, SQLite's
 * equivalents) becomes an IoFailure naming `where.file` (else the path the OS error carries); anything
 * else (a bug, a UserError already worded) gives undefined. Used by every writer and by the CLI boundary.
 */
export function ioFailure(error: unknown, where?: { file: string; role: FileRole }): IoFailure | undefined {
  if (error instanceof IoFailure) return error;
  if (error instanceof UserError) return undefined;
  let trouble = troubleOf((error as { code?: unknown } | null)?.code);
  if (trouble === undefined) return undefined;
  const osPath = (error as { path?: unknown }).path;
  const file = where?.file ?? (typeof osPath === "string" ? osPath : undefined);
  // SQLite reports a disk with no byte left as SQLITE_IOERR when it is its shared-memory or WAL file
  // that cannot grow, not SQLITE_FULL: "check the device" would send the user after the wrong fix.
  if (trouble === "device" && file !== undefined && noSpaceLeft(file)) trouble = "space";
  return new IoFailure(trouble, where?.role ?? "file", file, { cause: error });
}

function noSpaceLeft(file: string): boolean {
  try {
    return statfsSync(path.dirname(file)).bavail === 0;
  } catch {
    return false;
  }
}

/** ioFailure(error, where), or the error itself when it is not an I/O failure: for `catch` clauses. */
export function asIoFailure(error: unknown, where: { file: string; role: FileRole }): unknown {
  return ioFailure(error, where) ?? error;
}

/** Only SQLite's codes, attributed to the store file: an errno error here is somebody else's. */
export function asStoreFailure(error: unknown, file: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_")) return error;
  return asIoFailure(error, { file, role: "store" });
}

const PAID_FOR = "what was already paid for is in the store, so the re-run is free.";
const NOT_KEPT = "with --no-store nothing was kept, so a re-run pays again for what this run sent.";

function ioSentence(
  trouble: IoTrouble,
  role: FileRole,
  file: string | undefined,
  storeKept: boolean,
): string {
  const name = file ?? "a file fluence was writing";
  switch (role) {
    case "output": {
      const tail = storeKept ? PAID_FOR : NOT_KEPT;
      const elsewhere = "(or use --out-dir elsewhere) and run again";
      switch (trouble) {
        case "space":
          return `No space left on the device holding ${name}; free some space ${elsewhere}: ${tail}`;
        case "quota":
          return `The disk quota is used up on the device holding ${name}; free some space ${elsewhere}: ${tail}`;
        case "read-only":
          return `${name} is on a read-only filesystem; use --out-dir (or --enriched, --errors, --summary) on a writable one and run again: ${tail}`;
        case "permission":
          return `Permission denied writing ${name}; give this user write access to ${file ? path.dirname(file) : "its directory"} ${elsewhere}: ${tail}`;
        default:
          return `The device holding ${name} failed to read or write (an I/O error); check it ${elsewhere}: ${tail}`;
      }
    }
    case "store": {
      const other = "pass --store with another file (or --no-store)";
      switch (trouble) {
        case "space":
        case "quota":
          return `No space left on the device holding the store ${name}; free some space, or ${other}, and run again: the results stored so far are kept.`;
        case "read-only":
          return `The store ${name} is on a read-only filesystem or cannot be written; ${other} and run again.`;
        case "permission":
          return `Permission denied on the store ${name}; give this user write access to it and its directory, or ${other}, and run again.`;
        case "cantopen":
          return `Cannot open the store ${name}; check that this user can read and write it and its directory, or ${other}, and run again.`;
        case "busy":
          return `Another process keeps the store ${name} locked (another fluence run, or a program with it open); wait for it to finish, or ${other}, and run again.`;
        default:
          return `The device holding the store ${name} failed to read or write (an I/O error); check it, or ${other}, and run again.`;
      }
    }
    case "spool":
      return trouble === "space" || trouble === "quota"
        ? `No space left on the device holding ${name}, the copy of stdin; free some space or set TMPDIR to a roomier directory, and run again.`
        : `Cannot write ${name}, the copy of stdin (${troubleWords(trouble)}); set TMPDIR to a writable directory and run again.`;
    default:
      return trouble === "space" || trouble === "quota"
        ? `No space left on the device holding ${name}; free some space and run again.`
        : `Cannot write ${name} (${troubleWords(trouble)}); fix that and run again.`;
  }
}

function troubleWords(trouble: IoTrouble): string {
  switch (trouble) {
    case "read-only":
      return "a read-only filesystem";
    case "permission":
      return "permission denied";
    case "busy":
      return "locked by another process";
    case "cantopen":
      return "it cannot be opened";
    default:
      return "an I/O error";
  }
}
