/**
 * The second way a header is recognised, after the exact names of header-aliases.ts: by the words in it.
 * CRMs and the people who rename columns write "Associated Company", "Company name (legal)", "Contact
 * first name", "Nombre de la cuenta principal": a column holds the company when its name has a word for a
 * company and no word that makes it an attribute of one ("Company Domain Name", "Account Owner",
 * "Número de empleados de la empresa"). Exact names always win over words, so a layout that already
 * worked reads the same.
 *
 * Words are compared folded like the aliases (lower case, no accents), split on anything that is not a
 * letter or a digit.
 */
import { foldLoose } from "../text/fold.js";
import type { AliasField } from "./header-aliases.js";

interface WordRule {
  /** Each inner list is one way to match: the name must hold every word of it (in any order). */
  anyOf: readonly (readonly string[])[];
  /** Words that make the column something else than the field. */
  not: readonly string[];
}

/** Attributes of a person or a company, in English, Portuguese and Spanish: never the field itself. */
const ATTRIBUTES = [
  "id",
  "code",
  "codigo",
  "domain",
  "dominio",
  "size",
  "tamanho",
  "tamano",
  "owner",
  "proprietario",
  "propietario",
  "dono",
  "responsavel",
  "responsable",
  "rep",
  "representative",
  "user",
  "usuario",
  "manager",
  "gerente",
  "assigned",
  "atribuido",
  "asignado",
  "vendedor",
  "phone",
  "telefone",
  "telefono",
  "fax",
  "mobile",
  "celular",
  "website",
  "web",
  "site",
  "sitio",
  "url",
  "linkedin",
  "industry",
  "industria",
  "setor",
  "sector",
  "type",
  "tipo",
  "revenue",
  "receita",
  "faturamento",
  "ingresos",
  "employees",
  "empleados",
  "funcionarios",
  "colaboradores",
  "city",
  "cidade",
  "ciudad",
  "country",
  "pais",
  "state",
  "estado",
  "region",
  "address",
  "endereco",
  "direccion",
  "street",
  "zip",
  "postal",
  "cep",
  "email",
  "mail",
  "cnpj",
  "cpf",
  "rfc",
  "cuit",
  "nit",
  "tax",
  "vat",
  "number",
  "numero",
  "count",
  "created",
  "modified",
  "date",
  "data",
  "fecha",
  "segment",
  "segmento",
  "stage",
  "etapa",
  "status",
  "description",
  "descricao",
  "descripcion",
  "notes",
  "notas",
  "logo",
  "parent",
  "matriz",
  "source",
  "origem",
  "origen",
  "currency",
  "moeda",
  "moneda",
  "score",
  "phonetic",
  "yomi",
  "nickname",
  "apelido",
  "apodo",
  "initial",
  "initials",
  "segundo",
  "materno",
];

const NAME = ["name", "nome", "nombre"];

function withName(words: readonly string[]): string[][] {
  return words.flatMap((word) => NAME.map((name) => [word, name]));
}

const HEADER_WORDS: Record<AliasField, WordRule> = {
  primeiro_nome: {
    anyOf: [
      ...withName(["first", "given", "primeiro", "primer", "pila"]),
      ["firstname"],
      ["givenname"],
      ["prenome"],
    ],
    not: ATTRIBUTES,
  },
  ultimo_nome: {
    anyOf: [
      ...withName(["last", "family", "ultimo"]),
      ["lastname"],
      ["surname"],
      ["sobrenome"],
      ["apellido"],
      ["apellidos"],
    ],
    not: ATTRIBUTES,
  },
  nome_completo: {
    anyOf: [...withName(["full", "completo"]), ["fullname"]],
    not: ATTRIBUTES,
  },
  empresa: {
    anyOf: [
      ["company"],
      ["account"],
      ["empresa"],
      ["companhia"],
      ["compania"],
      ["organization"],
      ["organisation"],
      ["organizacao"],
      ["organizacion"],
      ["conta"],
      ["cuenta"],
    ],
    not: ATTRIBUTES,
  },
  contexto_adicional: { anyOf: [["context"], ["contexto"]], not: ATTRIBUTES },
};

const NOT = new Map(
  (Object.keys(HEADER_WORDS) as AliasField[]).map((f) => [f, new Set(HEADER_WORDS[f].not)]),
);

function headerWords(name: string): string[] {
  return foldLoose(name)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== "");
}

/**
 * The words of `name` that make it `field`'s column, or undefined. Several matching columns are told
 * apart by how many other words they carry: "Company" beats "Company (legal)".
 */
export function matchHeaderWords(
  field: AliasField,
  name: string,
): { words: string[]; extra: number } | undefined {
  const words = headerWords(name);
  const excluded = NOT.get(field)!;
  if (words.some((word) => excluded.has(word))) return undefined;
  const present = new Set(words);
  const way = HEADER_WORDS[field].anyOf.find((wanted) => wanted.every((word) => present.has(word)));
  if (way === undefined) return undefined;
  return { words: [...way], extra: words.filter((word) => !way.includes(word)).length };
}
