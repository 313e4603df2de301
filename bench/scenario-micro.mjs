// Scenario 9: the two micro-benchmarks that used to run inside `vitest run` (they asserted no time and
// slowed every test run by ~15 s): the SQLite store's lookup of 1,000,000 fingerprints in the pipeline's
// chunks of 1,000, and a streaming CSV read + write of 200,000 rows. Informative; no target.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createCsvOutput, openCsvInput } from "../dist/csv/index.js";
import { SqliteStore } from "../dist/store/index.js";
import { fmt, markdownTable } from "./bench-math.mjs";

const EP = "crm_basico_batch";
const T = 1_700_000_000_000;

async function storeLookup(rows, chunk, dir) {
  const store = SqliteStore.open(path.join(dir, "store.sqlite"), { now: () => T });
  try {
    const fps = Array.from({ length: rows }, (_, i) =>
      createHash("sha256").update(`row-${i}`).digest("base64url"),
    );
    const insert = store.db.prepare(
      "INSERT INTO outcomes (fp, endpoint, kind, analise, fetched_at, run_id) VALUES (?, ?, 'ok', ?, ?, 'bench')",
    );
    const analise = JSON.stringify({ cargo: "Diretora de Compras", tipo_stakeholder: "decisor" });
    const sorted = [...fps].sort();
    let started = performance.now();
    // Keys inserted in order fill pages sequentially; lookups come in input (random) order, half of them
    // too old to count, as a store a month into its use.
    store.db.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run(sorted[i], EP, analise, T - (i % 10));
    })();
    const insertMs = performance.now() - started;
    started = performance.now();
    let found = 0;
    for (let start = 0; start < rows; start += chunk) {
      found += (await store.lookup(fps.slice(start, start + chunk), "basic", T - 4)).size;
    }
    return { rows, insertMs, lookupMs: performance.now() - started, found };
  } finally {
    await store.close();
  }
}

async function csvPass(rows, dir) {
  const lines = ["Nome;Sobrenome;Empresa;E-mail;Telefone"];
  for (let i = 0; i < rows; i++) {
    lines.push(
      `João ${i};Conceição;"Ação, Ltda";joao${i}@example.com.br;+55 11 9${String(i).padStart(8, "0")}`,
    );
  }
  const source = path.join(dir, "big.csv");
  writeFileSync(source, `${lines.join("\r\n")}\r\n`);
  const started = performance.now();
  const input = await openCsvInput(source);
  const output = await createCsvOutput({
    path: path.join(dir, "out.csv"),
    format: "csv",
    header: [...input.info.header, "cargo"],
    apiColumnsFrom: input.info.header.length,
  });
  let count = 0;
  for await (const record of input.records()) {
    await output.write([...record.fields, "=Diretor"]);
    count++;
  }
  await output.commit();
  await input.close();
  return { rows: count, ms: performance.now() - started };
}

/** @param {{ lookupRows: number, csvRows: number, log: (line: string) => void }} options */
export async function measureMicro({ lookupRows, csvRows, log }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "fluence-bench-micro-"));
  try {
    log(`store lookup of ${lookupRows} fingerprints`);
    const lookup = await storeLookup(lookupRows, 1000, dir);
    if (lookup.found !== lookupRows / 2)
      throw new Error(`lookup found ${lookup.found}, expected ${lookupRows / 2}`);
    log(`CSV read + write of ${csvRows} rows`);
    const csv = await csvPass(csvRows, dir);
    if (csv.rows !== csvRows) throw new Error(`CSV pass read ${csv.rows} rows, expected ${csvRows}`);
    return { lookup, csv };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function microSection({ lookup, csv }) {
  return {
    targets: [],
    markdown: [
      markdownTable(
        ["measure", "rows", "time s", "per second"],
        [
          [
            "SQLite store: insert (one transaction)",
            fmt(lookup.rows),
            fmt(lookup.insertMs / 1000, 2),
            fmt(lookup.rows / (lookup.insertMs / 1000)),
          ],
          [
            "SQLite store: lookup in chunks of 1,000",
            fmt(lookup.rows),
            fmt(lookup.lookupMs / 1000, 2),
            fmt(lookup.rows / (lookup.lookupMs / 1000)),
          ],
          [
            "CSV: streaming read + write (`;`, quoted, accents)",
            fmt(csv.rows),
            fmt(csv.ms / 1000, 2),
            fmt(csv.rows / (csv.ms / 1000)),
          ],
        ],
      ),
      "",
      "- Moved out of the test suite (issue 18): informative, no target.",
    ].join("\n"),
  };
}
