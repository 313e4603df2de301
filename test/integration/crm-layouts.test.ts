import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../helpers/cli-harness.js";
import { CsvWorld } from "./csv-kit.js";

/**
 * Every export layout in fixtures/crm/, enriched end to end on the sandbox with no flag: one CLI process
 * per layout, one sandbox for all. What the API received is the proof each column was recognised.
 */
const CRM = path.join(FIXTURES, "crm");

const LAYOUTS: Array<{ file: string; sent: Array<[string, string, string]>; notice?: RegExp }> = [
  {
    file: "hubspot.csv",
    sent: [
      ["John", "Smith", "Contoso, Ltd."],
      ["Ana", "Souza", "Itaú"],
    ],
  },
  {
    file: "salesforce.csv",
    sent: [
      ["Mary", "O'Neil", "Fabrikam"],
      ["José", "Pereira", "Natura"],
    ],
  },
  {
    file: "pipedrive-en.csv",
    sent: [
      ["Peter", "Jones", "Globex"],
      ["Lucia", "Alves", "Ambev"],
    ],
  },
  {
    file: "pipedrive-pt.csv",
    sent: [
      ["Maria", "dos Santos", "Magazine Luiza"],
      ["João", "da Silva Filho", "Itaú Unibanco"],
    ],
    notice:
      /Pessoa - Nome holds full names: split into first name and the rest; --full-name-column to choose another\./,
  },
  {
    file: "rd-station.csv",
    sent: [
      ["João", "Silva", "Acme Comércio"],
      ["Maria", "dos Santos", "Padaria Pão Quente"],
      ["Carla", "Ferreira de Souza", "Natura"],
    ],
    notice: /Nome holds full names/,
  },
  {
    file: "linkedin-connections.csv",
    sent: [
      ["Anne", "Martin", "Initech"],
      ["Bruno", "Costa", "Stone"],
    ],
  },
  {
    file: "google-contacts.csv",
    sent: [
      ["Liam", "Walker", "Umbrella"],
      ["Beatriz", "Lima", "Nubank"],
    ],
  },
  {
    file: "apollo.csv",
    sent: [
      ["Olivia", "Brown", "Hooli"],
      ["Rafael", "Mendes", "Loggi"],
    ],
  },
  {
    file: "portuguese-ui.csv",
    sent: [
      ["Fernanda", "Oliveira", "TOTVS"],
      ["Gustavo", "Ribeiro", "VTEX"],
    ],
  },
  {
    // A workbook: read as one, and its outputs are workbooks by default.
    file: "hubspot.xlsx",
    sent: [
      ["John", "Smith", "Contoso, Ltd."],
      ["Ana", "Souza", "Itaú"],
    ],
  },
  {
    file: "hubspot-es.csv",
    sent: [
      ["Lucía", "Fernández García", "Mercado Libre"],
      ["Andrés", "Gómez", "Rappi"],
    ],
  },
  {
    file: "salesforce-es.csv",
    sent: [
      ["Sofía", "Martínez", "Bimbo"],
      ["Diego", "Ramírez", "Cemex"],
    ],
  },
  {
    file: "pipedrive-es.csv",
    sent: [
      ["Valentina", "Rojas", "Falabella"],
      ["Mateo", "de la Cruz", "Despegar"],
    ],
    notice: /Persona - Nombre holds full names/,
  },
  {
    // No known header name at all: every field recognised by the words in its column's name, and the
    // company's attributes (domain, owner) passed over.
    file: "renamed-columns.csv",
    sent: [
      ["Grace", "Hopper", "Eckert-Mauchly"],
      ["Alan", "Kay", "Xerox PARC"],
    ],
    notice:
      /Recognised by the words in their names: primeiro_nome <- Contact first name \(primary\), ultimo_nome <- Contact last name \(primary\), empresa <- Associated Company; --map <field>=<column> to choose another\./,
  },
  {
    file: "portuguese-report-preamble.csv",
    sent: [
      ["Paula", "Nunes", "Raia Drogasil"],
      ["Ricardo", "Barbosa", "Localiza"],
    ],
  },
];

let world: CsvWorld;
beforeAll(async () => {
  world = await CsvWorld.start();
});
afterAll(async () => {
  await world.release();
});

describe("CRM exports enriched with no flag", () => {
  for (const layout of LAYOUTS) {
    it(layout.file, async () => {
      const before = world.sent().length;
      const result = await world.run(path.join(CRM, layout.file), ["--no-store"]);
      expect(result.code, result.stderr).toBe(0);
      const sent = world
        .sent()
        .slice(before)
        .map((p) => [p.primeiro_nome, p.ultimo_nome, p.empresa]);
      expect(sent).toEqual(layout.sent);
      const base = layout.file.replace(/\.(csv|xlsx)$/, "");
      const ext = layout.file.endsWith(".xlsx") ? "xlsx" : "csv";
      expect(existsSync(world.out(`${base}.enriched.${ext}`))).toBe(true);
      if (layout.notice) expect(result.stderr).toMatch(layout.notice);
      else expect(result.stderr).not.toMatch(/full names|Recognised by the words/);
    });
  }
});

describe("what the user is told", () => {
  it("--dry-run shows which column feeds which field and the first two rows as they will be sent", async () => {
    const result = await world.run(path.join(CRM, "rd-station.csv"), ["--no-store", "--dry-run"]);
    expect(result.code, result.stderr).toBe(0);
    const text = result.stdout + result.stderr;
    expect(text).toContain(
      "Columns: primeiro_nome <- Nome (first word), ultimo_nome <- Nome (the rest), empresa <- Empresa",
    );
    expect(text).toContain(
      'Row 1 as sent: {"primeiro_nome":"João","ultimo_nome":"Silva","empresa":"Acme Comércio"}',
    );
    expect(text).toContain('Row 2 as sent: {"primeiro_nome":"Maria","ultimo_nome":"dos Santos"');
    expect(text).not.toContain("Row 3 as sent");
  });

  it("a truly ambiguous file stops with one sentence naming the candidates and the flag (exit 2)", async () => {
    const before = world.sent().length;
    const input = world.input("two-names.csv", "Name,Contact Name,Company\nAnn Lee,Bo Chan,Hooli\n");
    const result = await world.run(input, ["--no-store"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      'fluence: Columns "Name", "Contact Name" could each hold the full name and there is no surname column; pass --full-name-column <column> to choose one.',
    );
    expect(world.sent().length).toBe(before);
  });
});
