// The vendor docs' "Processing Large Datasets" loop (crm-basico-batch.txt), re-implemented as written:
// sequential batches of 10, one POST each with x-api-key, and a fixed sleep between batches.
// Usage: node bench/docs-loop.mjs <in.csv> <base-url> <sleep-ms>   (key in FLUENCE_API_KEY)
// Prints {"profiles","ok","failed_batches","duration_ms"} as JSON on stdout.
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { parse } from "csv-parse/sync";

const [input, baseUrl, sleepArg] = process.argv.slice(2);
const apiKey = process.env.FLUENCE_API_KEY;
if (!input || !baseUrl || !sleepArg || !apiKey) {
  process.stderr.write(
    "usage: FLUENCE_API_KEY=... node bench/docs-loop.mjs <in.csv> <base-url> <sleep-ms>\n",
  );
  process.exit(2);
}
const sleepMs = Number(sleepArg);
const rows = parse(readFileSync(input), { columns: true });
const profiles = rows.map((r) => ({
  primeiro_nome: r.primeiro_nome,
  ultimo_nome: r.ultimo_nome,
  empresa: r.empresa,
}));

const BATCH_SIZE = 10;
const started = performance.now();
let ok = 0;
let failedBatches = 0;
for (let i = 0; i < profiles.length; i += BATCH_SIZE) {
  const batch = profiles.slice(i, i + BATCH_SIZE);
  const response = await fetch(`${baseUrl}/crm_basico_batch`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "x-api-key": apiKey },
    body: JSON.stringify({ profiles: batch }),
  });
  const data = await response.json();
  // The docs' loop keeps going on a non-200 and simply loses that batch; count it so the bench can say so.
  if (response.status === 200) ok += data.results.filter((r) => r.success).length;
  else failedBatches++;
  await sleep(sleepMs);
}
const durationMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ profiles: profiles.length, ok, failed_batches: failedBatches, duration_ms: Math.round(durationMs) })}\n`,
);
