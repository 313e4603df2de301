// Several `fluence enrich` processes on one API key at once (a fleet of machines, simulated as processes),
// sharing one store (a PostgreSQL database or one SQLite file), against one logged sandbox. What the key's
// ideal is, what the fleet took, and what the sandbox saw: throttling 429s, credits paid twice.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startSandbox } from "../dist/sandbox/index.js";
import { batchesFor, idealMs, parseSandboxLogLine } from "./bench-math.mjs";
import { dataPath } from "./data-files.mjs";
import { runFluence } from "./fluence-run.mjs";
import { CSV_HEADER, personAt } from "./generate-inputs.mjs";

export const BATCH_ROUTE = "POST /crm_basico_batch";

/** bench/.data/fleet-<from>-<rows>.csv: people from..from+rows-1 of generate-inputs.mjs. */
export function peopleSlice(from, rows) {
  const file = dataPath(`fleet-${from}-${rows}.csv`);
  let text = `${CSV_HEADER.slice(0, 3).join(",")}\n`;
  for (let i = from; i < from + rows; i++) {
    const p = personAt(i);
    text += `${p.primeiro_nome},${p.ultimo_nome},${p.empresa}\n`;
  }
  writeFileSync(file, text);
  return file;
}

/**
 * @param {{ id: string, machines: number, rowsEach: number, sameFile?: boolean, store: string,
 *   env?: Record<string, string>, sandboxOptions: object, ratePerMinute: number, flags?: string[],
 *   timeoutMs?: number }} spec
 *   sameFile: every machine gets the same file of rowsEach people (else each its own rowsEach people)
 */
export async function measureFleet(spec) {
  const requests = [];
  const sandbox = await startSandbox({
    credits: 100_000_000,
    ...spec.sandboxOptions,
    log: (line) => {
      const r = parseSandboxLogLine(line, performance.now());
      if (r) requests.push(r);
    },
  });
  try {
    const inputs = Array.from({ length: spec.machines }, (_, m) =>
      peopleSlice(spec.sameFile ? 0 : m * spec.rowsEach, spec.rowsEach),
    );
    const started = performance.now();
    const runs = await Promise.all(
      inputs.map((input, m) => {
        const outDir = dataPath(`${spec.id}-m${m}`);
        mkdirSync(outDir, { recursive: true });
        return runFluence({
          sandbox,
          input,
          store: spec.store,
          outDir,
          extra: ["--rate", String(spec.ratePerMinute), ...(spec.flags ?? [])],
          env: spec.env ?? {},
          timeoutMs: spec.timeoutMs,
          countErrorRows: false,
        });
      }),
    );
    const fleetMs = performance.now() - started;
    const stats = sandbox.stats();
    const batches = requests.filter((r) => r.route === BATCH_ROUTE);
    const people = spec.sameFile ? spec.rowsEach : spec.rowsEach * spec.machines;
    const batchesNeeded = batchesFor(people);
    const meanLatencyMs =
      (spec.sandboxOptions.latencyMs ?? 0) + (spec.sandboxOptions.latencyJitterMs ?? 0) / 2;
    // The fleet's time: first child spawned to last batch answered (start-up of the first counts, the
    // summaries' writing after the last answer does not: the ideal has neither).
    const firstArrival = Math.min(...batches.map((r) => r.arrivedAt));
    const lastAnswer = Math.max(...batches.map((r) => r.answeredAt));
    const ideal = idealMs({ batches: batchesNeeded, ratePerMinute: spec.keyRatePerMinute, meanLatencyMs });
    const enrichedEach = runs.map((r) => r.summary?.enriched ?? 0);
    const complete = runs.every((r) => r.summary && r.summary.enriched + r.summary.failed === spec.rowsEach);
    const throttled = batches.filter((r) => r.status === 429).length;
    return {
      id: spec.id,
      machines: spec.machines,
      people,
      batchesNeeded,
      batchRequests: batches.length,
      throttled,
      throttledShare: throttled / Math.max(1, batches.length),
      paidTwice: stats.creditsDebited - people,
      idealMs: ideal,
      sendingMs: lastAnswer - firstArrival,
      fleetMs,
      startupMs: firstArrival - started,
      tailMs: Math.max(...runs.map((r) => r.exitedAt)) - lastAnswer,
      efficiency: ideal / (lastAnswer - firstArrival),
      wallEfficiency: ideal / fleetMs,
      exits: runs.map((r) => r.code),
      fleetRuns: runs.map((r) => r.summary?.fleet?.runs ?? null),
      ratesGot: runs.map((r) => r.summary?.fleet?.rate_per_minute ?? null),
      maxInFlight: runs.map((r) => r.summary?.max_in_flight ?? null),
      enrichedEach,
      fromStoreEach: runs.map((r) => r.summary?.from_store ?? 0),
      complete,
      command: runs[0]?.command,
      starts: batches.map((r) => r.arrivedAt).sort((a, b) => a - b),
    };
  } finally {
    await sandbox.close();
    for (let m = 0; m < spec.machines; m++)
      rmSync(dataPath(`${spec.id}-m${m}`), { recursive: true, force: true });
  }
}

/** Most batch arrivals in any window of `windowMs` (a sliding window over the sorted arrival times). */
export function maxInWindow(starts, windowMs) {
  let most = 0;
  let lo = 0;
  for (let hi = 0; hi < starts.length; hi++) {
    while (starts[hi] - starts[lo] >= windowMs) lo++;
    most = Math.max(most, hi - lo + 1);
  }
  return most;
}

export { path };
