// Deterministic synthetic inputs: every row is a distinct person (no duplicates, nothing invalid), so
// every row costs exactly one profile and the figures divide cleanly.

import { once } from "node:events";
import { createWriteStream } from "node:fs";

const FIRST = [
  "Ana",
  "João",
  "Maria",
  "José",
  "Luíza",
  "Carlos",
  "Fernanda",
  "Paulo",
  "Beatriz",
  "Antônio",
  "Juliana",
  "Marcos",
  "Letícia",
  "Rafael",
  "Camila",
  "Tiago",
  "Patrícia",
  "Bruno",
  "Mariana",
  "Sérgio",
];
const LAST = [
  "Silva",
  "Souza",
  "Oliveira",
  "Santos",
  "Pereira",
  "Lima",
  "Carvalho",
  "Gonçalves",
  "Ribeiro",
  "Araújo",
  "Fernandes",
  "Almeida",
  "Costa",
  "Rocha",
  "Dias",
  "Barbosa",
  "Moreira",
  "Teixeira",
  "Cardoso",
  "Melo",
];
const COMPANIES = [
  "Petrobras",
  "Itaú Unibanco",
  "Natura",
  "Embraer",
  "Magazine Luiza",
  "Ambev",
  "Vale",
  "Totvs",
  "Localiza",
  "Suzano",
  "Gerdau",
  "WEG",
  "Raízen",
  "Nubank",
  "Stone",
  "Via Varejo",
];
const CITIES = [
  "São Paulo",
  "Rio de Janeiro",
  "Belo Horizonte",
  "Porto Alegre",
  "Curitiba",
  "Recife",
  "Salvador",
  "Florianópolis",
  "Fortaleza",
  "Brasília",
  "Goiânia",
  "Manaus",
];

export const CSV_HEADER = ["primeiro_nome", "ultimo_nome", "empresa", "email", "cidade", "telefone"];

const PEOPLE_PER_UNIT = FIRST.length * LAST.length;

/** The i-th person (0-based): unique for every i because the company unit number grows every 400 rows. */
export function personAt(i) {
  const first = FIRST[i % FIRST.length];
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length];
  const unit = Math.floor(i / PEOPLE_PER_UNIT);
  const company = `${COMPANIES[unit % COMPANIES.length]} Unidade ${unit + 1}`;
  return { primeiro_nome: first, ultimo_nome: last, empresa: company };
}

function csvLine(i) {
  const p = personAt(i);
  const email = `${asciiLower(p.primeiro_nome)}.${asciiLower(p.ultimo_nome)}.${i}@exemplo.com.br`;
  const city = CITIES[i % CITIES.length];
  const phone = `+55 11 9${String(10_000_000 + ((i * 7919) % 89_999_999)).padStart(8, "0")}`;
  return `${p.primeiro_nome},${p.ultimo_nome},${p.empresa},${email},${city},${phone}\n`;
}

const asciiCache = new Map();

function asciiLower(text) {
  let folded = asciiCache.get(text);
  if (folded === undefined) {
    folded = text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase();
    asciiCache.set(text, folded);
  }
  return folded;
}

/** Writes a UTF-8 CSV of `rows` people (header + rows), streaming, honouring back-pressure. */
export async function writePeopleCsv(file, rows) {
  const out = createWriteStream(file);
  out.write(`${CSV_HEADER.join(",")}\n`);
  const CHUNK = 5000;
  for (let start = 0; start < rows; start += CHUNK) {
    let text = "";
    const end = Math.min(rows, start + CHUNK);
    for (let i = start; i < end; i++) text += csvLine(i);
    if (!out.write(text)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}
