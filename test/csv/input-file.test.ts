import {
  appendFileSync,
  closeSync,
  openSync,
  renameSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openCsvInput } from "../../src/csv/index.js";
import { InputChangedError, InputFile } from "../../src/csv/input-file.js";
import { makeTempDir, readAll } from "./helpers.js";

let temp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  temp = makeTempDir();
});
afterEach(() => temp.cleanup());

async function drain(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** A whole-second mtime, which utimes can set back exactly. */
const PINNED = 1_700_000_000;

/** Writes a file with a pinned mtime. */
function writePinned(file: string, text: string): void {
  writeFileSync(file, text);
  utimesSync(file, PINNED, PINNED);
}

/** Rewrites bytes in place (same inode, same size) and puts the mtime back, so only the hash can tell. */
function rewriteSameSizeSameMtime(file: string, at: number, text: string): void {
  const before = statSync(file);
  const fd = openSync(file, "r+");
  writeSync(fd, text, at);
  closeSync(fd);
  utimesSync(file, PINNED, PINNED);
  expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
  expect(statSync(file).size).toBe(before.size);
}

describe("InputFile: every pass through the one descriptor opened", () => {
  it("passes from an offset skip only those bytes, and may be read again", async () => {
    const file = join(temp.dir, "a.csv");
    writeFileSync(file, "\uFEFFa,b\n1,2\n");
    const input = await InputFile.open(file, "a.csv");
    expect(await drain(input.pass(3, 4))).toBe("a,b\n1,2\n");
    expect(await drain(input.pass(3))).toBe("a,b\n1,2\n");
    await input.close();
  });

  it("a file renamed over the path: later passes read the one opened, and replaced() says so", async () => {
    const file = join(temp.dir, "a.csv");
    writeFileSync(file, "old\n");
    const input = await InputFile.open(file, "a.csv");
    expect(await drain(input.pass(0))).toBe("old\n");
    expect(await input.replaced()).toBe(false);
    writeFileSync(join(temp.dir, "new.tmp"), "new content, longer\n");
    renameSync(join(temp.dir, "new.tmp"), file);
    expect(await drain(input.pass(0))).toBe("old\n");
    expect(await input.replaced()).toBe(true);
    await input.close();
  });

  it("appended in place: the next pass stops at its start (size)", async () => {
    const file = join(temp.dir, "a.csv");
    writeFileSync(file, "a\n1\n");
    const input = await InputFile.open(file, "a.csv");
    await drain(input.pass(0));
    appendFileSync(file, "2\n");
    await expect(drain(input.pass(0))).rejects.toBeInstanceOf(InputChangedError);
    await input.close();
  });

  it("same size, same mtime, other bytes: the next pass fails at its end (digest)", async () => {
    const file = join(temp.dir, "a.csv");
    writePinned(file, "name\nAna\nBia\n");
    const input = await InputFile.open(file, "a.csv");
    await drain(input.pass(0, 4));
    rewriteSameSizeSameMtime(file, 5, "Eva");
    await expect(drain(input.pass(0, 4))).rejects.toThrow(/changed while it was being enriched/);
    await input.close();
  });

  it("a pass that stops early (the header) sets no digest; the first complete one does", async () => {
    const file = join(temp.dir, "a.csv");
    writeFileSync(file, "x".repeat(100));
    const input = await InputFile.open(file, "a.csv");
    const partial = input.pass(0, 10);
    for await (const _ of partial) break;
    expect((await drain(input.pass(0, 10))).length).toBe(100);
    expect((await drain(input.pass(0, 10))).length).toBe(100);
    await input.close();
  });

  it("hashing off (digest null, for the benchmark): same-size rewrites go unseen, size changes still stop", async () => {
    const file = join(temp.dir, "a.csv");
    writePinned(file, "name\nAna\n");
    const input = await InputFile.open(file, "a.csv", { digest: null });
    expect(await drain(input.pass(0))).toBe("name\nAna\n");
    rewriteSameSizeSameMtime(file, 5, "Eva");
    expect(await drain(input.pass(0))).toBe("name\nEva\n");
    appendFileSync(file, "b\n");
    await expect(drain(input.pass(0))).rejects.toBeInstanceOf(InputChangedError);
    await input.close();
  });
});

describe("CsvInput over one snapshot", () => {
  it("records() after an in-place rewrite throws a UserError (exit 2) instead of yielding other rows", async () => {
    const file = join(temp.dir, "people.csv");
    writePinned(file, "nome,empresa\nAna,Acme\nBia,Beta\n");
    const input = await openCsvInput(file);
    expect((await readAll(input)).map((r) => r.fields[0])).toEqual(["Ana", "Bia"]);
    rewriteSameSizeSameMtime(file, 13, "Eva");
    await expect(readAll(input)).rejects.toMatchObject({
      name: "InputChangedError",
      exitCode: 2,
      message: expect.stringContaining("people.csv changed while it was being enriched"),
    });
    await input.close();
  });

  it("renamed over: records() still yields the original rows, and replacedNotice() words it", async () => {
    const file = join(temp.dir, "people.csv");
    writeFileSync(file, "nome,empresa\nAna,Acme\n");
    const input = await openCsvInput(file);
    expect(await input.replacedNotice()).toBeUndefined();
    writeFileSync(join(temp.dir, "export.tmp"), "nome,empresa\nZoe,Zeta\nYan,Ypsilon\n");
    renameSync(join(temp.dir, "export.tmp"), file);
    expect((await readAll(input)).map((r) => r.fields[0])).toEqual(["Ana"]);
    expect(await input.replacedNotice()).toMatch(
      /people\.csv was replaced by another file during the run; the outputs are from the file as it was when the run started/,
    );
    await input.close();
  });
});
