import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli-harness.js";
import { BATCH_ROUTE, CSV_FIXTURES, CsvWorld, column, objects, readTable, strayFiles } from "./csv-kit.js";
import { FAST } from "./enrich-helpers.js";

let world: CsvWorld | undefined;
afterEach(async () => {
  await world?.release();
  world = undefined;
});

function nothingSent(w: CsvWorld): void {
  expect(w.sandbox.stats().requests[BATCH_ROUTE] ?? 0).toBe(0);
  expect(w.sandbox.stats().creditsDebited).toBe(0);
}

describe("column mapping through the CLI", () => {
  it("Portuguese headers, in any case and without accents, map by themselves", async () => {
    world = await CsvWorld.start();
    const input = world.input("pt.csv", "NOME;sobrenome;Companhia;Cidade\nAna;Souza;Itaú;São Paulo\n");
    const result = await world.run(input);
    expect(result.code, result.stderr).toBe(0);
    expect(world.sent()).toEqual([{ primeiro_nome: "Ana", ultimo_nome: "Souza", empresa: "Itaú" }]);
    const enriched = readTable(world.out("pt.enriched.csv"), ";");
    expect(enriched.header.slice(0, 4)).toEqual(["NOME", "sobrenome", "Companhia", "Cidade"]);
    expect(enriched.rows[0]!.slice(0, 4)).toEqual(["Ana", "Souza", "Itaú", "São Paulo"]);
    expect(world.sandbox.stats().profilesSucceeded).toBe(1);
  });

  it('English "First Name","Last Name","Company Name" map by themselves, and Context becomes contexto_adicional', async () => {
    world = await CsvWorld.start();
    const input = world.input("en.csv", readFileSync(path.join(CSV_FIXTURES, "english-headers.csv")));
    const result = await world.run(input);
    expect(result.code, result.stderr).toBe(0);
    expect(world.sent()).toEqual([
      {
        primeiro_nome: "John",
        ultimo_nome: "Smith",
        empresa: "Contoso, Ltd.",
        contexto_adicional: "VP Sales",
      },
    ]);
    const enriched = objects(readTable(world.out("en.enriched.csv")));
    expect(enriched).toHaveLength(1);
    expect(enriched[0]).toMatchObject({
      "First Name": "John",
      "Last Name": "Smith",
      "Company Name": "Contoso, Ltd.",
      Context: "VP Sales",
    });
    expect(world.sandbox.stats().profilesSucceeded).toBe(1);
  });

  it('--map primeiro_nome=Nome --map empresa="Razão Social" picks a column no synonym covers', async () => {
    world = await CsvWorld.start();
    const input = world.input(
      "rs.csv",
      "Nome;Sobrenome;Razão Social;CNPJ\nAna;Souza;Acme Comércio Ltda;12.345.678/0001-90\n",
    );

    const without = await world.run(input);
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(
      /Missing required column\(s\) empresa; found: "Nome", "Sobrenome", "Razão Social", "CNPJ"/,
    );
    nothingSent(world);

    const result = await world.run(input, ["--map", "primeiro_nome=Nome", "--map", "empresa=Razão Social"]);
    expect(result.code, result.stderr).toBe(0);
    expect(world.sent()).toEqual([
      { primeiro_nome: "Ana", ultimo_nome: "Souza", empresa: "Acme Comércio Ltda" },
    ]);
    const enriched = objects(readTable(world.out("rs.enriched.csv"), ";"));
    expect(enriched[0]).toMatchObject({ "Razão Social": "Acme Comércio Ltda", CNPJ: "12.345.678/0001-90" });
    expect(world.sandbox.stats().profilesSucceeded).toBe(1);
  });

  it("--map wins over the automatic match and matches the header loosely (case, accents)", async () => {
    world = await CsvWorld.start();
    const input = world.input(
      "over.csv",
      "Nome,Apelido,Sobrenome,Empresa,Razão Social\nAna Maria,Aninha,Souza,Acme,Acme SA\n",
    );
    const result = await world.run(input, [
      "--map",
      "primeiro_nome=apelido",
      "--map",
      "empresa=RAZAO SOCIAL",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(world.sent()).toEqual([{ primeiro_nome: "Aninha", ultimo_nome: "Souza", empresa: "Acme SA" }]);
    const enriched = readTable(world.out("over.enriched.csv"));
    expect(enriched.rows[0]!.slice(0, 5)).toEqual(["Ana Maria", "Aninha", "Souza", "Acme", "Acme SA"]);
  });

  it("--map to a column that does not exist: exit 2 naming the headers found, no outputs", async () => {
    world = await CsvWorld.start();
    const input = world.input("nomap.csv", "Nome,Sobrenome,Empresa\nAna,Souza,Acme\n");
    const result = await world.run(input, ["--map", "empresa=Razão Social"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /"Razão Social" is not a column of the input; found: "Nome", "Sobrenome", "Empresa"/,
    );
    expect(strayFiles(world.outDir, [])).toEqual([]);
    nothingSent(world);
  });

  it('--full-name-column "Nome Completo" splits first token / rest; a lone name is an INVALID_ROW', async () => {
    world = await CsvWorld.start();
    const input = world.input(
      "full.csv",
      "Nome Completo;Empresa;Tel\nMaria da Silva Santos;Loja X;+55 11 4000-1000\n  João   Sá ;Café;2\nCher;Y;3\n",
    );
    const result = await world.run(input, ["--full-name-column", "Nome Completo"]);
    expect(result.code, result.stderr).toBe(0);
    expect(world.sent()).toEqual([
      { primeiro_nome: "Maria", ultimo_nome: "da Silva Santos", empresa: "Loja X" },
      { primeiro_nome: "João", ultimo_nome: "Sá", empresa: "Café" },
    ]);
    const enriched = readTable(world.out("full.enriched.csv"), ";");
    // The original cell is written back untouched (spaces included), not the split parts.
    expect(column(enriched, "Nome Completo")).toEqual(["Maria da Silva Santos", "  João   Sá "]);
    expect(column(enriched, "Tel")).toEqual(["+55 11 4000-1000", "2"]);
    const errors = objects(readTable(world.out("full.errors.csv"), ";"));
    expect(errors.map((r) => [r["Nome Completo"], r.fluence_row, r.fluence_error_code])).toEqual([
      ["Cher", "3", "INVALID_ROW"],
    ]);
    expect(errors[0]!.fluence_error).toMatch(/ultimo_nome/);
    expect(world.sandbox.stats().profilesSucceeded).toBe(2);
  });

  it("a missing required column: exit 2 with one sentence naming the found headers; nothing sent or written", async () => {
    world = await CsvWorld.start();
    const input = world.input("missing.csv", "Nome Completo;Razão Social;Tel\nMaria da Silva;Loja X;1\n");
    const result = await world.run(input);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      'fluence: Missing required column(s) empresa; found: "Nome Completo", "Razão Social", "Tel". Use --map empresa=<column> to pick one.',
    );
    expect(strayFiles(world.outDir, [])).toEqual([]);
    nothingSent(world);
  });
});

describe("stdin input", () => {
  it("cat file | fluence enrich - --out-dir d writes d/stdin.enriched.csv, errors and summary", async () => {
    world = await CsvWorld.start();
    const bytes = readFileSync(path.join(CSV_FIXTURES, "windows-1252.csv"));
    const result = await runCli(["enrich", "-", ...FAST, "--out-dir", world.outDir], {
      env: world.env,
      stdin: bytes,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(strayFiles(world.outDir, []).sort()).toEqual([
      "stdin.enriched.csv",
      "stdin.errors.csv",
      "stdin.summary.json",
    ]);
    const enriched = readTable(world.out("stdin.enriched.csv"), ";");
    expect(enriched.rows.map((r) => r.slice(0, 4))).toEqual([
      ["João", "Conceição", "Café & Cia", "Preço 10 € “ótimo”"],
      ["Inês", "Müller", "Ação Ltda", "Pão de Açúcar"],
    ]);
    expect(readTable(world.out("stdin.errors.csv"), ";").rows).toEqual([]);
    expect(world.summary("stdin")).toMatchObject({
      rows: 2,
      enriched: 2,
      outputs: { enriched: world.out("stdin.enriched.csv") },
    });
    expect(world.sent().map((p) => p.primeiro_nome)).toEqual(["João", "Inês"]);
    // The spool that let stdin be read more than once is gone.
    expect(strayFiles(world.tmpDir, [])).toEqual([]);
    expect(world.sandbox.stats().profilesSucceeded).toBe(2);
  });

  it("stdin without --out-dir writes stdin.* into the working directory", async () => {
    world = await CsvWorld.start();
    const cwd = world.file("work");
    mkdirSync(cwd);
    const result = await runCli(["enrich", "-", ...FAST], {
      env: world.env,
      cwd,
      stdin: "Nome,Sobrenome,Empresa\nAna,Souza,Acme\n",
    });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(path.join(cwd, "stdin.enriched.csv"))).toBe(true);
    expect(readTable(path.join(cwd, "stdin.enriched.csv")).rows[0]!.slice(0, 3)).toEqual([
      "Ana",
      "Souza",
      "Acme",
    ]);
    expect(existsSync(path.join(cwd, "stdin.errors.csv"))).toBe(true);
    expect(existsSync(path.join(cwd, "stdin.summary.json"))).toBe(true);
    expect(world.sandbox.stats().profilesSucceeded).toBe(1);
  });
});
