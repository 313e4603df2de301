import { createHash } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/index.js";
import { makeTempDir } from "./temp-dir.js";

// Micro-benchmark: the pipeline looks up every input row in chunks of 1000, for inputs of up to
// 1,000,000 rows. Timings are printed, never asserted (machines differ).
const ROWS = 1_000_000;
const CHUNK = 1_000;
const EP = "crm_basico_batch";
let temp: ReturnType<typeof makeTempDir>;
let store: SqliteStore;
let fps: string[];

beforeAll(() => {
  temp = makeTempDir();
  store = SqliteStore.open(path.join(temp.dir, "store.sqlite"), { now: () => 1_700_000_000_000 });
  fps = Array.from({ length: ROWS }, (_, i) => createHash("sha256").update(`row-${i}`).digest("base64url"));
  const started = performance.now();
  const insert = store.db.prepare(
    `INSERT INTO outcomes (fp, endpoint, kind, analise, fetched_at, run_id) VALUES (?, ?, 'ok', ?, ?, 'bench')`,
  );
  const analise = JSON.stringify({ cargo: "Diretora de Compras", tipo_stakeholder: "decisor" });
  // Keys inserted in order fill pages sequentially; lookups below come in input (random) order.
  const sorted = [...fps].sort();
  store.db.transaction(() => {
    for (let i = 0; i < ROWS; i++) insert.run(sorted[i], EP, analise, 1_700_000_000_000 - (i % 10));
  })();
  console.log(`bench: stored ${ROWS.toLocaleString("en-US")} outcomes in ${ms(started)}`);
}, 120_000);

afterAll(async () => {
  await store.close();
  temp.cleanup();
});

function ms(since: number): string {
  return `${Math.round(performance.now() - since)} ms`;
}

describe("SQLite lookup throughput", () => {
  it(`looks up ${ROWS} fps in chunks of ${CHUNK}`, async () => {
    const started = performance.now();
    let found = 0;
    for (let start = 0; start < ROWS; start += CHUNK) {
      found += (await store.lookup(fps.slice(start, start + CHUNK), "basic", 1_700_000_000_000 - 4)).size;
    }
    const elapsed = performance.now() - started;
    const perSecond = Math.round(ROWS / (elapsed / 1000)).toLocaleString("en-US");
    console.log(`bench: lookup of ${ROWS.toLocaleString("en-US")} fps: ${ms(started)} (${perSecond} fps/s)`);
    expect(found).toBe(ROWS / 2);
  }, 120_000);
});
