// Seeds a store directly (not through the HTTP sandbox: at 10 profiles per request, 1M outcomes would take
// hours at any rate limit worth simulating). Outcomes are what fluence itself would have stored.
import { buildAnalise } from "../dist/sandbox/sandbox-analysis.js";
import { fingerprint, openStore } from "../dist/store/index.js";
import { personAt } from "./generate-inputs.mjs";

/** Distinct analyses cycled through: building one per row costs ~35 us, 35 s for 1M rows. */
const POOL_SIZE = 997;
const ROWS_PER_TRANSACTION = 10_000;

/** The sandbox's own pt-BR analyses (~770 bytes of JSON each), for POOL_SIZE different people. */
function analysisPool() {
  const pool = [];
  for (let i = 0; i < POOL_SIZE; i++) pool.push(JSON.stringify(buildAnalise(personAt(i * 7919))));
  return pool;
}

/**
 * Stores an "ok" outcome for each of the first `rows` people of generate-inputs.mjs, in input order: the
 * order in which enriching that file would have filled the store, batch by batch.
 */
export async function seedStore(spec, rows) {
  const pool = analysisPool();
  const order = [];
  for (let i = 0; i < rows; i++) order.push({ fp: fingerprint(personAt(i)), i });
  const store = await openStore(spec);
  try {
    const { runId } = await store.beginRun();
    for (let start = 0; start < rows; start += ROWS_PER_TRANSACTION) {
      const outcomes = order
        .slice(start, start + ROWS_PER_TRANSACTION)
        .map(({ fp, i }) => ({ fp, kind: "ok", analise: pool[i % POOL_SIZE] }));
      // Nothing was claimed, so there is nothing to release: an empty fps list skips those deletes.
      await store.commitBatch(runId, "basic", outcomes, []);
      // Yield so a sandbox in this process keeps answering while a large store is seeded.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await store.endRun(runId);
  } finally {
    await store.close();
  }
}
