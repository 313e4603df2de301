import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { holdsFullNames } from "../../src/csv/full-name.js";
import { openCsvInput, resolveColumns, splitFullName } from "../../src/csv/index.js";
import { makeTempDir, readAll } from "./helpers.js";

describe("splitFullName", () => {
  it("keeps particles and suffixes with the surname", () => {
    expect(splitFullName("Maria dos Santos")).toEqual({ first: "Maria", last: "dos Santos" });
    expect(splitFullName("  João  da Silva Filho ")).toEqual({ first: "João", last: "da Silva Filho" });
    expect(splitFullName("Ludwig van Beethoven")).toEqual({ first: "Ludwig", last: "van Beethoven" });
    expect(splitFullName("Cher")).toEqual({ first: "Cher", last: "" });
    expect(splitFullName("")).toEqual({ first: "", last: "" });
  });

  it("a value that starts with a particle has no first name to take", () => {
    expect(splitFullName("de Souza")).toEqual({ first: "", last: "de Souza" });
  });
});

describe("holdsFullNames", () => {
  it("a majority of values with two words or more", () => {
    expect(holdsFullNames(["João Silva", "Maria dos Santos", "Ana"])).toBe(true);
    expect(holdsFullNames(["João", "Ana Maria", "Pedro"])).toBe(false);
    expect(holdsFullNames(["", "  "])).toBe(true);
  });
});

describe("full-name columns in resolveColumns", () => {
  it("a lone Nome column of full names is split, with a notice", () => {
    const mapping = resolveColumns(["Nome", "Email", "Empresa"], {}, [["João Silva", "", "Acme"]]);
    expect(mapping.fullName).toBe(0);
    expect(mapping.primeiro_nome).toBeUndefined();
    expect(mapping.notice).toBe(
      "Nome holds full names: split into first name and the rest; --full-name-column to choose another.",
    );
  });

  it("a lone Nome column of single names still asks for the surname, naming --full-name-column", () => {
    expect(() =>
      resolveColumns(["Nome", "Empresa"], {}, [
        ["João", "Acme"],
        ["Ana", "B"],
      ]),
    ).toThrow(/Missing required column\(s\) ultimo_nome; .*--full-name-column <column>/);
  });

  it("with a surname column, Nome is the first name even when it holds compound names", () => {
    const mapping = resolveColumns(["Nome", "Sobrenome", "Empresa"], {}, [["Ana Maria", "Souza", "X"]]);
    expect(mapping).toMatchObject({ primeiro_nome: 0, ultimo_nome: 1, empresa: 2 });
    expect(mapping.notice).toBeUndefined();
  });

  it("two columns of full names and no surname: one sentence naming both and the flag", () => {
    expect(() =>
      resolveColumns(["Name", "Contact Name", "Company"], {}, [["Ann Lee", "Bo Chan", "X"]]),
    ).toThrow(
      'Columns "Name", "Contact Name" could each hold the full name and there is no surname column; pass --full-name-column <column> to choose one.',
    );
  });

  it("Pipedrive's Person - Name is left alone when first and last name columns exist", () => {
    const header = ["Person - Name", "Person - First name", "Person - Last name", "Person - Organization"];
    expect(resolveColumns(header, {}, [["Ann Lee", "Ann", "Lee", "X"]])).toMatchObject({
      primeiro_nome: 1,
      ultimo_nome: 2,
      empresa: 3,
    });
  });
});

describe("the header row past a preamble", () => {
  const tmp = makeTempDir();
  afterAll(tmp.cleanup);

  it("skips a title, a date line and blank lines, with a delimiter the preamble does not show", async () => {
    const file = join(tmp.dir, "report.csv");
    writeFileSync(
      file,
      "Relatório de contatos\nGerado em: 05/12/2026\n\nNome;Sobrenome;Empresa\nAna;Souza;X\n",
    );
    const input = await openCsvInput(file);
    try {
      expect(input.info).toMatchObject({
        header: ["Nome", "Sobrenome", "Empresa"],
        headerLine: 4,
        delimiter: ";",
      });
      expect((await readAll(input)).map((r) => [r.row, r.line, r.fields])).toEqual([
        [1, 5, ["Ana", "Souza", "X"]],
      ]);
    } finally {
      await input.close();
    }
  });

  it("--header-row forces the line, and a blank or missing line is one sentence", async () => {
    const file = join(tmp.dir, "forced.csv");
    writeFileSync(file, "a,b\n\nNick,Firm\nAna,X\n");
    const input = await openCsvInput(file, { headerRow: 3 });
    try {
      expect(input.info.header).toEqual(["Nick", "Firm"]);
      expect((await readAll(input)).map((r) => r.fields)).toEqual([["Ana", "X"]]);
    } finally {
      await input.close();
    }
    await expect(openCsvInput(file, { headerRow: 2 })).rejects.toThrow(
      /--header-row 2: line 2 of .* is blank, inside a quoted value or past the end/,
    );
  });

  it("a file whose header names no person keeps its first row as the header (the mapping error lists it)", async () => {
    const file = join(tmp.dir, "plain.csv");
    writeFileSync(file, "Nick,Firm\nAna,X\n");
    const input = await openCsvInput(file);
    try {
      expect(input.info).toMatchObject({ header: ["Nick", "Firm"], headerLine: 1 });
    } finally {
      await input.close();
    }
  });
});

describe("--header-row past a preamble with another delimiter", () => {
  const tmp = makeTempDir();
  afterAll(tmp.cleanup);

  it("the delimiter is found on the forced line, not on the title above it", async () => {
    const file = join(tmp.dir, "forced-semicolon.csv");
    writeFileSync(file, "Leads, exported\nNome;Sobrenome;Empresa\nAna;Souza;X\n");
    const input = await openCsvInput(file, { headerRow: 2 });
    try {
      expect(input.info).toMatchObject({ delimiter: ";", header: ["Nome", "Sobrenome", "Empresa"] });
    } finally {
      await input.close();
    }
  });
});
