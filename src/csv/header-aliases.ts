/**
 * The header names fluence recognises, per API field: DATA, not code. To teach fluence another export,
 * add its header here as the export spells it (case, accents, "_", "-" and "." do not matter: names are
 * compared after foldLoose, so "Person - First name" is stored as "person first name" or as written) and
 * add a fixture under fixtures/crm/ with a line in test/integration/crm-layouts.test.ts.
 *
 * Where a name came from is noted beside it: each was taken from a real export's header row. A header no
 * name here fits is still read by the words in it (header-words.ts).
 * Deliberately absent: "razão social" (often a legal entity, not the brand) and "cargo"/"title" (a job
 * title is not context the API expects); both remain reachable through --map.
 */
export const HEADER_ALIASES = {
  primeiro_nome: [
    "primeiro_nome",
    "first_name",
    "First Name", // HubSpot, Salesforce, LinkedIn Connections.csv, Google Contacts, Apollo
    "firstname",
    "given name", // Google Contacts (older CSV)
    "Nome", // Portuguese UIs (beside "Sobrenome"); alone, it usually holds full names (RD Station)
    "primeiro nome",
    "prenome",
    "Person - First name", // Pipedrive (EN)
    "Pessoa - Primeiro nome", // Pipedrive (PT)
    "Contact First Name",
    "Lead First Name",
    "Nombre", // Spanish UIs (HubSpot, Salesforce, Zoho) beside "Apellidos"; alone it may hold full names
    "primer nombre",
    "Persona - Nombre de pila", // Pipedrive (ES)
  ],
  ultimo_nome: [
    "ultimo_nome",
    "last_name",
    "Last Name", // HubSpot, Salesforce, LinkedIn, Google Contacts, Apollo
    "lastname",
    "surname",
    "family name", // Google Contacts (older CSV)
    "Sobrenome", // Portuguese UIs
    "último nome",
    "Person - Last name", // Pipedrive (EN)
    "Pessoa - Sobrenome", // Pipedrive (PT)
    "Pessoa - Último nome",
    "Contact Last Name",
    "Lead Last Name",
    "Apellidos", // HubSpot (ES), Salesforce (ES), Zoho (ES)
    "Apellido",
    "Primer apellido",
    "Apellido paterno", // Mexico
    "Persona - Apellido", // Pipedrive (ES)
  ],
  /**
   * Columns that may hold a whole name. Used only when no surname column exists, and only when most of
   * the column's values hold a space (see full-name.ts); "Nome" above is considered too.
   */
  nome_completo: [
    "nome_completo",
    "Nome completo",
    "Full Name", // Salesforce reports, Apollo people lists
    "Name", // Pipedrive without the object prefix, generic lists
    "Person - Name", // Pipedrive (EN)
    "Pessoa - Nome", // Pipedrive (PT)
    "Contact Name",
    "Contato",
    "Nome do contato",
    "Lead Name",
    "Nome do lead",
    "Nombre completo", // Spanish UIs
    "Persona - Nombre", // Pipedrive (ES)
    "Nombre del contacto",
    "Contacto",
  ],
  empresa: [
    "empresa",
    "Empresa", // RD Station, Portuguese UIs
    "company",
    "Company", // LinkedIn Connections.csv, Apollo
    "Company Name", // HubSpot
    "companhia",
    "Nome da empresa", // Portuguese UIs (HubSpot PT)
    "Organização", // Portuguese UIs
    "organization",
    "organisation",
    "Organization Name", // Google Contacts
    "Organization 1 - Name", // Google Contacts (older CSV)
    "Account Name", // Salesforce
    "Person - Organization", // Pipedrive (EN)
    "Pessoa - Organização", // Pipedrive (PT)
    "Organization - Name", // Pipedrive deals export
    "Organização - Nome", // Pipedrive deals export (PT)
    "Nome da conta", // Salesforce (PT)
    "Nombre de la empresa", // HubSpot (ES), Zoho (ES)
    "Nombre de la cuenta", // Salesforce (ES)
    "Compañía", // Salesforce leads (ES)
    "Organización", // Spanish UIs
    "Persona - Organización", // Pipedrive (ES)
    "Organización - Nombre", // Pipedrive deals export (ES)
  ],
  contexto_adicional: [
    "contexto_adicional",
    "context",
    "contexto",
    "additional context",
    "contexto adicional",
  ],
} as const satisfies Record<string, readonly string[]>;

export type AliasField = keyof typeof HEADER_ALIASES;
