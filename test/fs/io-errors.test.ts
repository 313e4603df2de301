import { describe, expect, it } from "vitest";
import { asIoFailure, asStoreFailure, IoFailure, ioFailure, troubleOf } from "../../src/fs/io-errors.js";
import { UserError } from "../../src/user-error.js";

function osError(code: string, path?: string): NodeJS.ErrnoException {
  const error = new Error(`${code}: something, write`) as NodeJS.ErrnoException;
  error.code = code;
  if (path) error.path = path;
  return error;
}

describe("the I/O failure classifier", () => {
  it.each([
    ["ENOSPC", "space"],
    ["EDQUOT", "quota"],
    ["EROFS", "read-only"],
    ["EACCES", "permission"],
    ["EPERM", "permission"],
    ["EIO", "device"],
    ["SQLITE_FULL", "space"],
    ["SQLITE_READONLY", "read-only"],
    ["SQLITE_READONLY_DBMOVED", "read-only"],
    ["SQLITE_IOERR_WRITE", "device"],
    ["SQLITE_CANTOPEN", "cantopen"],
    ["SQLITE_BUSY", "busy"],
    ["SQLITE_PERM", "permission"],
  ])("%s is %s", (code, trouble) => {
    expect(troubleOf(code)).toBe(trouble);
  });

  it("leaves everything else alone: other codes, bugs, sentences already worded", () => {
    for (const code of ["ENOENT", "EEXIST", "SQLITE_CONSTRAINT", "SQLITE_NOTADB", undefined, 42]) {
      expect(troubleOf(code)).toBeUndefined();
    }
    expect(ioFailure(new TypeError("x is undefined"))).toBeUndefined();
    expect(ioFailure(new UserError("fix the flag"))).toBeUndefined();
    expect(ioFailure(undefined)).toBeUndefined();
    const bug = new Error("boom");
    expect(asIoFailure(bug, { file: "/x", role: "output" })).toBe(bug);
  });

  it("a full disk under an output: exit 7, one sentence naming the final file, not the temp file", () => {
    const failure = ioFailure(osError("ENOSPC"), { file: "/x/leads.enriched.csv", role: "output" })!;
    expect(failure).toBeInstanceOf(IoFailure);
    expect(failure.exitCode).toBe(7);
    expect(failure.message).toBe(
      "No space left on the device holding /x/leads.enriched.csv; free some space (or use --out-dir elsewhere) and run again: what was already paid for is in the store, so the re-run is free.",
    );
    expect(failure.cause).toBeInstanceOf(Error);
    expect(ioFailure(failure)).toBe(failure);
  });

  it("without a store the sentence promises no free re-run", () => {
    const failure = ioFailure(osError("EACCES"), { file: "/out/a.csv", role: "output" })!.withoutStore();
    expect(failure.message).toBe(
      "Permission denied writing /out/a.csv; give this user write access to /out (or use --out-dir elsewhere) and run again: with --no-store nothing was kept, so a re-run pays again for what this run sent.",
    );
  });

  it("a store kept locked is exit 8; the store's other troubles are exit 7", () => {
    const busy = asStoreFailure(osError("SQLITE_BUSY"), "/s/store.sqlite") as IoFailure;
    expect(busy.exitCode).toBe(8);
    expect(busy.message).toMatch(/^Another process keeps the store \/s\/store\.sqlite locked/);
    const full = asStoreFailure(osError("SQLITE_FULL"), "/s/store.sqlite") as IoFailure;
    expect(full.exitCode).toBe(7);
    expect(full.message).toMatch(/^No space left on the device holding the store \/s\/store\.sqlite;/);
  });

  it("asStoreFailure blames the store only for SQLite's codes", () => {
    const enospc = osError("ENOSPC", "/out/x.csv");
    expect(asStoreFailure(enospc, "/s/store.sqlite")).toBe(enospc);
  });

  it("at the CLI boundary, an unwrapped OS error is named by its own path", () => {
    expect(ioFailure(osError("EROFS", "/mnt/ro/x"))!.message).toBe(
      "Cannot write /mnt/ro/x (a read-only filesystem); fix that and run again.",
    );
    expect(ioFailure(osError("ENOSPC"))!.message).toBe(
      "No space left on the device holding a file fluence was writing; free some space and run again.",
    );
  });
});
