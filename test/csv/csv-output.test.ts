import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CsvOutputOptions, createCsvOutput, openCsvInput } from "../../src/csv/index.js";
import { makeTempDir, readAll } from "./helpers.js";

let temp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  temp = makeTempDir();
});
afterEach(() => temp.cleanup());

async function writeRows(options: Partial<CsvOutputOptions>, rows: string[][]): Promise<string> {
  const path = join(temp.dir, "out.csv");
  const output = await createCsvOutput({
    path,
    format: "csv",
    header: ["Nome", "Telefone", "cargo"],
    apiColumnsFrom: 2,
    ...options,
  });
  for (const row of rows) await output.write(row);
  await output.commit();
  return readFileSync(path, "utf8");
}

const risky = [["=HYPERLINK(1)", "+55 11 91234-5678", "@SUM(A1)"]];

describe("createCsvOutput, CSV", () => {
  it('escapes only API columns by default ("api")', async () => {
    expect(await writeRows({}, risky)).toBe(
      "Nome,Telefone,cargo\n=HYPERLINK(1),+55 11 91234-5678,'@SUM(A1)\n",
    );
  });

  it('"all" escapes every cell but not the header; "none" escapes nothing', async () => {
    expect(await writeRows({ escapeFormulas: "all", header: ["=h", "b", "c"] }, risky)).toBe(
      "=h,b,c\n'=HYPERLINK(1),'+55 11 91234-5678,'@SUM(A1)\n",
    );
    expect(await writeRows({ escapeFormulas: "none" }, risky)).toBe(
      "Nome,Telefone,cargo\n=HYPERLINK(1),+55 11 91234-5678,@SUM(A1)\n",
    );
  });

  it("quotes only when needed: delimiter, quote, CR/LF, leading or trailing space", async () => {
    const text = await writeRows({ escapeFormulas: "none" }, [
      ["a,b", 'say "hi"', "line\nbreak"],
      [" lead", "trail\t", "cr\rx"],
      ["plain", "semi;colon", ""],
    ]);
    expect(text).toBe(
      'Nome,Telefone,cargo\n"a,b","say ""hi""","line\nbreak"\n" lead","trail\t","cr\rx"\nplain,semi;colon,\n',
    );
  });

  it("uses the delimiter given and writes a UTF-8 BOM on request", async () => {
    const path = join(temp.dir, "out.csv");
    const output = await createCsvOutput({
      path,
      format: "csv",
      header: ["Nome", "Empresa"],
      apiColumnsFrom: 2,
      delimiter: ";",
      bom: true,
    });
    await output.write(["João", "A;B"]);
    await output.commit();
    const bytes = readFileSync(path);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString("utf8")).toBe('Nome;Empresa\nJoão;"A;B"\n');
    const input = await openCsvInput(path);
    expect(input.info).toMatchObject({ bom: true, delimiter: ";", header: ["Nome", "Empresa"] });
    expect((await readAll(input))[0]!.fields).toEqual(["João", "A;B"]);
  });

  it("a single empty cell survives as a row", async () => {
    const path = join(temp.dir, "one.csv");
    const output = await createCsvOutput({ path, format: "csv", header: ["x"], apiColumnsFrom: 1 });
    await output.write([""]);
    await output.write(["y"]);
    await output.commit();
    expect(readFileSync(path, "utf8")).toBe('x\n""\ny\n');
  });

  it("rejects a row whose length differs from the header", async () => {
    const output = await createCsvOutput({
      path: join(temp.dir, "x.csv"),
      format: "csv",
      header: ["a", "b"],
      apiColumnsFrom: 2,
    });
    await expect(output.write(["only one"])).rejects.toThrow(/1 values for 2 columns/);
    await output.abort();
  });
});

describe("createCsvOutput, JSONL", () => {
  it("keys rows by header, de-duplicating names, and never escapes formulas", async () => {
    const path = join(temp.dir, "out.jsonl");
    const output = await createCsvOutput({
      path,
      format: "jsonl",
      header: ["Email", "Email_2", "Email", "cargo", "Email"],
      apiColumnsFrom: 3,
      escapeFormulas: "all",
      bom: true,
    });
    await output.write(["a@x", "b@x", "c@x", "=1+1", 'd "q"\n']);
    await output.commit();
    const text = readFileSync(path, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    expect(
      text
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    ).toEqual([{ Email: "a@x", Email_2: "b@x", Email_3: "c@x", cargo: "=1+1", Email_4: 'd "q"\n' }]);
  });
});

describe("createCsvOutput, atomic writes", () => {
  const options = (path: string): CsvOutputOptions => ({
    path,
    format: "csv",
    header: ["a"],
    apiColumnsFrom: 1,
  });

  it("the final path does not exist before commit; the temp file is hidden beside it", async () => {
    const path = join(temp.dir, "final.csv");
    const output = await createCsvOutput(options(path));
    await output.write(["1"]);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(temp.dir)).toEqual([
      expect.stringMatching(new RegExp(`^\\.final\\.csv\\.${process.pid}\\.[0-9a-f]+\\.tmp$`)),
    ]);
    await output.commit();
    expect(readdirSync(temp.dir)).toEqual(["final.csv"]);
    await output.abort();
    expect(readFileSync(path, "utf8")).toBe("a\n1\n");
  });

  it("abort leaves no file and no temp file, and leaves an existing file untouched", async () => {
    const path = join(temp.dir, "keep.csv");
    writeFileSync(path, "old\n");
    const output = await createCsvOutput(options(path));
    await output.write(["new"]);
    await output.abort();
    await output.abort();
    expect(readdirSync(temp.dir)).toEqual(["keep.csv"]);
    expect(readFileSync(path, "utf8")).toBe("old\n");

    const fresh = join(temp.dir, "fresh.csv");
    const other = await createCsvOutput(options(fresh));
    await other.abort();
    expect(existsSync(fresh)).toBe(false);
    expect(readdirSync(temp.dir)).toEqual(["keep.csv"]);
  });

  it("commit replaces an existing file in one rename", async () => {
    const path = join(temp.dir, "replace.csv");
    writeFileSync(path, "old\n");
    const output = await createCsvOutput(options(path));
    for (let i = 0; i < 100_000; i++) await output.write([`row ${i}`]);
    expect(readFileSync(path, "utf8")).toBe("old\n");
    await output.commit();
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines.length).toBe(100_002);
    expect(lines[100_000]).toBe("row 99999");
    expect(readdirSync(temp.dir)).toEqual(["replace.csv"]);
  });

  it("creates missing output directories", async () => {
    const path = join(temp.dir, "a", "b", "out.csv");
    const output = await createCsvOutput(options(path));
    await output.commit();
    expect(readFileSync(path, "utf8")).toBe("a\n");
  });

  it("concurrent writes keep every row whole", async () => {
    const path = join(temp.dir, "concurrent.csv");
    const output = await createCsvOutput(options(path));
    const value = "x".repeat(1000);
    await Promise.all(Array.from({ length: 2000 }, () => output.write([value])));
    await output.commit();
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines.slice(1, -1).every((line) => line === value)).toBe(true);
    expect(lines.length).toBe(2002);
  });
});
