import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import iconv from "iconv-lite";
import { afterAll, describe, expect, it } from "vitest";
import { openCsvInput } from "../../src/csv/index.js";
import { openCsvSource } from "../../src/csv/open-csv-input.js";
import { spoolToTempFile } from "../../src/csv/stdin-spool.js";
import { fixture, makeTempDir, readAll } from "./helpers.js";

const temp = makeTempDir();
afterAll(temp.cleanup);

let counter = 0;
function file(content: string | Buffer): string {
  const path = join(temp.dir, `input-${++counter}.csv`);
  writeFileSync(path, content);
  return path;
}

/** 60k ASCII rows (more than one 1 MiB read chunk) and one special row near the end. */
function lateRowFile(lastName: string, encoding: string): string {
  const lines = ["Nome;Sobrenome;Empresa"];
  for (let i = 1; i <= 60_000; i++) lines.push(i === 59_999 ? `Ana;${lastName};Acme` : `Ana;Silva ${i};Acme`);
  return file(iconv.encode(`${lines.join("\n")}\n`, encoding));
}

describe("encoding detection", () => {
  it("falls back to windows-1252 when the only non-ASCII byte is on a late row", async () => {
    const input = await openCsvInput(lateRowFile("Conceição", "windows-1252"));
    expect(input.info.encoding).toBe("windows-1252");
    const records = await readAll(input);
    expect(records).toHaveLength(60_000);
    expect(records[59_998]).toEqual({ row: 59_999, line: 60_000, fields: ["Ana", "Conceição", "Acme"] });
  });

  it("keeps UTF-8 when multi-byte characters are everywhere, across read chunks", async () => {
    const lines = ["Nome,Sobrenome,Empresa"];
    for (let i = 0; i < 40_000; i++) lines.push(`João,Conceição ${i},Ação € 北京`);
    const input = await openCsvInput(file(`${lines.join("\n")}\n`));
    expect(input.info.encoding).toBe("utf-8");
    const records = await readAll(input);
    expect(records).toHaveLength(40_000);
    expect(records[39_999]!.fields).toEqual(["João", "Conceição 39999", "Ação € 北京"]);
  });

  it("an explicit encoding that does not fit names the line", async () => {
    await expect(
      openCsvInput(lateRowFile("Conceição", "windows-1252"), { encoding: "utf-8" }),
    ).rejects.toMatchObject({
      name: "UserError",
      exitCode: 2,
      message: expect.stringContaining("line 60000 is not valid utf-8"),
    });
  });

  it("an explicit encoding overrides detection", async () => {
    const path = file(iconv.encode("Nome,Empresa\nJoão,Ação\n", "latin1"));
    const input = await openCsvInput(path, { encoding: "ISO-8859-1" });
    expect(input.info.encoding).toBe("latin1");
    expect((await readAll(input))[0]!.fields).toEqual(["João", "Ação"]);
  });

  it("explicit utf-16 takes the byte order from the BOM", async () => {
    const input = await openCsvInput(fixture("utf16be-bom.csv"), { encoding: "UTF-16" });
    expect(input.info).toMatchObject({ encoding: "utf-16be", bom: true });
    expect(input.info.header).toEqual(["Nome", "Sobrenome", "Empresa"]);
  });

  it("an unknown encoding name is a UserError", async () => {
    await expect(openCsvInput(fixture("crlf.csv"), { encoding: "klingon-8" })).rejects.toMatchObject({
      name: "UserError",
      message: expect.stringContaining('"klingon-8"'),
    });
  });

  it("a BOM that contradicts the explicit encoding is a UserError", async () => {
    await expect(openCsvInput(fixture("utf8-bom.csv"), { encoding: "windows-1252" })).rejects.toMatchObject({
      name: "UserError",
      message: expect.stringContaining("utf-8 byte-order mark"),
    });
  });

  it("bytes that are neither UTF-8 nor windows-1252 are refused, not turned into mojibake", async () => {
    const path = file(
      Buffer.concat([Buffer.from("Nome,Empresa\nAna,Acme\nBia,"), Buffer.from([0x81]), Buffer.from("\n")]),
    );
    await expect(openCsvInput(path)).rejects.toMatchObject({
      name: "UserError",
      message: expect.stringContaining("line 3"),
    });
  });

  it("an unpaired surrogate in UTF-16 names its line", async () => {
    const lines = Buffer.from("Nome,Empresa\nAna,Acme\nBia,", "utf16le");
    const path = file(
      Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        lines,
        Buffer.from([0x00, 0xd8]),
        Buffer.from("x\nCaio,Gama\n", "utf16le"),
      ]),
    );
    await expect(openCsvInput(path)).rejects.toMatchObject({
      message: expect.stringContaining("line 3 is not valid utf-16le"),
    });
  });

  it("a truncated UTF-16 file (odd byte count) is refused", async () => {
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from("Nome,Empresa\nAna,Acme\n", "utf16le"),
    ]);
    const path = file(Buffer.concat([bytes, Buffer.from([0x41])]));
    await expect(openCsvInput(path)).rejects.toMatchObject({ message: expect.stringContaining("line 3") });
  });
});

describe("openCsvInput errors and options", () => {
  it("a missing file is a UserError", async () => {
    await expect(openCsvInput(join(temp.dir, "nope.csv"))).rejects.toMatchObject({
      name: "UserError",
      exitCode: 2,
      message: expect.stringContaining("no such file"),
    });
  });

  it("a directory is a UserError", async () => {
    await expect(openCsvInput(temp.dir)).rejects.toMatchObject({ name: "UserError" });
  });

  it("an empty file is a UserError", async () => {
    await expect(openCsvInput(file(""))).rejects.toMatchObject({
      name: "UserError",
      message: expect.stringContaining("is empty"),
    });
  });

  it("a file of blank lines has no header", async () => {
    await expect(openCsvInput(file("\n  \n\r\n"))).rejects.toMatchObject({
      message: expect.stringContaining("no header row"),
    });
  });

  it("a header-only file has no records", async () => {
    const input = await openCsvInput(file("Nome;Empresa\r\n"));
    expect(input.info.header).toEqual(["Nome", "Empresa"]);
    expect(await readAll(input)).toEqual([]);
  });

  it("the delimiter option overrides the sniff, and accepts 'tab'", async () => {
    const path = file("a;b\tc\n1;2\t3\n");
    const semi = await openCsvInput(path, { delimiter: ";" });
    expect(semi.info.header).toEqual(["a", "b\tc"]);
    const tab = await openCsvInput(path, { delimiter: "tab" });
    expect(tab.info.header).toEqual(["a;b", "c"]);
    await expect(openCsvInput(path, { delimiter: '"' })).rejects.toMatchObject({ name: "UserError" });
  });

  it('"-" spools stdin to a private temp file, shown as "stdin", removed on close', async () => {
    const stdin = Readable.from([Buffer.from("Nome;Empresa\nAna;"), Buffer.from("Ação\n")]);
    const input = await openCsvSource("-", {}, stdin);
    expect(input.info).toMatchObject({ path: "stdin", encoding: "utf-8", delimiter: ";" });
    expect((await readAll(input)).map((r) => r.fields)).toEqual([["Ana", "Ação"]]);
    expect((await readAll(input)).length).toBe(1);
    await input.close();
    await input.close();
  });

  it("the spool file is private (0600) and removed by remove()", async () => {
    const spool = await spoolToTempFile(Readable.from([Buffer.from("a,b\n")]));
    expect(statSync(spool.file).mode & 0o777).toBe(0o600);
    expect(readFileSync(spool.file, "utf8")).toBe("a,b\n");
    await spool.remove();
    expect(existsSync(spool.file)).toBe(false);
  });
});
