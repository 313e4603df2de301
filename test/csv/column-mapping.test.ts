import { describe, expect, it } from "vitest";
import { extractProfile, looksLikeHeader, resolveColumns } from "../../src/csv/index.js";

describe("resolveColumns", () => {
  it("matches Portuguese headers loosely and passes every column through", () => {
    const header = ["Nome", "Sobrenome", "Empresa", "E-mail", "Telefone"];
    expect(resolveColumns(header)).toEqual({
      primeiro_nome: 0,
      ultimo_nome: 1,
      empresa: 2,
      passthrough: [0, 1, 2, 3, 4],
      matchedBy: { primeiro_nome: { by: "alias" }, ultimo_nome: { by: "alias" }, empresa: { by: "alias" } },
    });
  });

  it("matches English headers regardless of case, accents, '_' and '-'", () => {
    expect(resolveColumns(["FIRST-NAME", "last_name", "Company Name", "Additional Context"])).toMatchObject({
      primeiro_nome: 0,
      ultimo_nome: 1,
      empresa: 2,
      contexto_adicional: 3,
    });
    expect(resolveColumns(["Prenome", "Família", "Surname", "Organização"])).toMatchObject({
      primeiro_nome: 0,
      ultimo_nome: 2,
      empresa: 3,
    });
  });

  it("takes the first of two matching columns without error; duplicates stay apart", () => {
    const mapping = resolveColumns([
      "Email",
      "Nome",
      "First Name",
      "Sobrenome",
      "Company",
      "Empresa",
      "Email",
    ]);
    expect(mapping).toMatchObject({ primeiro_nome: 1, ultimo_nome: 3, empresa: 4 });
    expect(mapping.passthrough).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("ignores our own fluence_* / fluence * columns so an errors file is a valid input", () => {
    const header = [
      "Nome",
      "Sobrenome",
      "Empresa",
      "fluence_error",
      "Fluence Status",
      "fluence-cargo",
      "Fluency",
    ];
    expect(resolveColumns(header).passthrough).toEqual([0, 1, 2, 6]);
    expect(() => resolveColumns(["fluence_nome", "Sobrenome", "Empresa"])).toThrow(/primeiro_nome/);
  });

  it("does not auto-map razão social or cargo", () => {
    expect(() => resolveColumns(["Nome", "Sobrenome", "Razão Social", "Cargo"])).toThrow(
      'Missing required column(s) empresa; found: "Nome", "Sobrenome", "Razão Social", "Cargo". Use --map empresa=<column> to pick one.',
    );
  });

  it("--map picks columns by loosely matched header and wins over synonyms", () => {
    const mapping = resolveColumns(["Nome", "Contato", "Sobrenome", "Razão Social", "Cargo"], {
      map: { primeiro_nome: "contato", empresa: "razao social", contexto_adicional: "CARGO" },
    });
    expect(mapping).toMatchObject({ primeiro_nome: 1, ultimo_nome: 2, empresa: 3, contexto_adicional: 4 });
  });

  it("--map with an unknown column or target is a UserError naming what was found", () => {
    expect(() => resolveColumns(["Nome", "Sobrenome"], { map: { empresa: "Firma" } })).toThrow(
      /--map empresa=Firma: "Firma" is not a column of the input; found: "Nome", "Sobrenome"/,
    );
    expect(() => resolveColumns(["Nome"], { map: { cidade: "Nome" } })).toThrow(
      /Unknown --map target "cidade"/,
    );
  });

  it("the missing-column message lists what is missing and what was found", () => {
    let caught: unknown;
    try {
      resolveColumns(["Nick", "E-mail"]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({
      name: "UserError",
      exitCode: 2,
      message:
        'Missing required column(s) primeiro_nome, ultimo_nome, empresa; found: "Nick", "E-mail". Use --map primeiro_nome=<column> to pick one, or --full-name-column <column> for a column of full names.',
    });
  });

  it("--full-name-column replaces the first/last name columns", () => {
    const mapping = resolveColumns(["Nome Completo", "Empresa"], { fullNameColumn: "nome completo" });
    expect(mapping).toEqual({
      fullName: 0,
      empresa: 1,
      passthrough: [0, 1],
      matchedBy: { fullName: { by: "map" }, empresa: { by: "alias" } },
    });
    expect(() => resolveColumns(["Nome", "Empresa"], { fullNameColumn: "Full Name" })).toThrow(
      /--full-name-column "Full Name" is not a column/,
    );
    expect(() =>
      resolveColumns(["Nome", "Empresa"], { fullNameColumn: "Nome", map: { primeiro_nome: "Nome" } }),
    ).toThrow(/either/);
  });
});

describe("extractProfile", () => {
  const mapping = resolveColumns(["Nome", "Sobrenome", "Empresa", "Contexto"]);

  it("trims values and omits an empty contexto_adicional", () => {
    expect(extractProfile(["  Ana ", "Souza\t", " Acme ", "  "], mapping)).toEqual({
      profile: { primeiro_nome: "Ana", ultimo_nome: "Souza", empresa: "Acme" },
      missing: [],
    });
    expect(extractProfile(["Ana", "Souza", "Acme", " CTO "], mapping).profile.contexto_adicional).toBe("CTO");
  });

  it("reports empty required fields, including fields absent from a short row", () => {
    expect(extractProfile(["Ana", "  "], mapping)).toEqual({
      profile: { primeiro_nome: "Ana", ultimo_nome: "", empresa: "" },
      missing: ["ultimo_nome", "empresa"],
    });
  });

  it("splits a full name into the first token and the rest", () => {
    const full = resolveColumns(["Nome Completo", "Empresa"], { fullNameColumn: "Nome Completo" });
    expect(extractProfile(["  Maria  da Silva Santos ", "Acme"], full)).toEqual({
      profile: { primeiro_nome: "Maria", ultimo_nome: "da Silva Santos", empresa: "Acme" },
      missing: [],
    });
    expect(extractProfile(["Cher", "Acme"], full).missing).toEqual(["ultimo_nome"]);
    expect(extractProfile(["", "Acme"], full).missing).toEqual(["primeiro_nome", "ultimo_nome"]);
  });
});

describe("columns recognised by the words in their names", () => {
  it("finds a company column by its word and passes over the company's attributes", () => {
    const header = ["First Name", "Last Name", "Company Domain Name", "Account Owner", "Associated Company"];
    const mapping = resolveColumns(header);
    expect(mapping).toMatchObject({ primeiro_nome: 0, ultimo_nome: 1, empresa: 4 });
    expect(mapping.matchedBy).toEqual({
      primeiro_nome: { by: "alias" },
      ultimo_nome: { by: "alias" },
      empresa: { by: "words", words: ["company"] },
    });
    expect(mapping.notice).toBe(
      "Recognised by the words in their names: empresa <- Associated Company; --map <field>=<column> to choose another.",
    );
  });

  it("prefers a known name over words, and among word matches the name with fewest other words", () => {
    expect(resolveColumns(["Nome", "Sobrenome", "Main Company (legal)", "Empresa"]).empresa).toBe(3);
    expect(resolveColumns(["Nome", "Sobrenome", "Main Company (legal)", "Company (legal)"]).empresa).toBe(3);
  });

  it("reads names by words in English, Portuguese and Spanish", () => {
    expect(
      resolveColumns(["Primeiro nome do contato", "Sobrenome do contato", "Nome da conta"]),
    ).toMatchObject({
      primeiro_nome: 0,
      ultimo_nome: 1,
      empresa: 2,
    });
    expect(resolveColumns(["Primer nombre", "Apellido paterno", "Apellido materno", "Cuenta"])).toMatchObject(
      {
        primeiro_nome: 0,
        ultimo_nome: 1,
        empresa: 3,
      },
    );
  });

  it("never takes a phonetic, middle or second name, an owner's name or an id", () => {
    expect(() =>
      resolveColumns(["Phonetic First Name", "Segundo apellido", "Owner Last Name", "Company ID"]),
    ).toThrow(/Missing required column\(s\) primeiro_nome, ultimo_nome, empresa/);
  });

  it("a full-name column found by its words is split when there is no surname column", () => {
    const mapping = resolveColumns(["Contact full name", "Organización"], {}, [["Ana Souza", "X"]]);
    expect(mapping).toMatchObject({ fullName: 0, empresa: 1 });
    expect(mapping.matchedBy).toEqual({ fullName: { by: "full-name" }, empresa: { by: "alias" } });
  });

  it("Spanish exports from HubSpot, Salesforce and Pipedrive are read by their known names", () => {
    expect(resolveColumns(["Nombre", "Apellidos", "Nombre de la empresa"]).matchedBy).toEqual({
      primeiro_nome: { by: "alias" },
      ultimo_nome: { by: "alias" },
      empresa: { by: "alias" },
    });
    expect(resolveColumns(["Nombre", "Apellidos", "Nombre de la cuenta"]).empresa).toBe(2);
    expect(
      resolveColumns(["Persona - Nombre", "Persona - Organización"], {}, [["Ana Souza", "X"]]),
    ).toMatchObject({ fullName: 0, empresa: 1 });
  });

  it("a header row found only by words is told apart from the preamble above it", () => {
    expect(looksLikeHeader(["Associated Company", "Contact first name"])).toBe(true);
    expect(looksLikeHeader(["Relatório de contatos", "", ""])).toBe(false);
  });
});
