import type { EnrichSummary } from "../../src/pipeline/enrich-types.js";
import type { SandboxOptions } from "../../src/sandbox/index.js";
import { type CliResult, collect, readJson, spawnCli } from "../helpers/cli-harness.js";
import { BATCH_ROUTE, type StoreWorld, storeWorld } from "./store-kit.js";

/** A request as the sandbox logged it, on this process's clock: when it arrived, when it was answered. */
export interface LoggedRequest {
  route: string;
  status: number;
  arrivedAt: number;
  answeredAt: number;
}

/** A store world whose sandbox logs every request with its arrival time (performance.now()). */
export async function loggedWorld(
  options: SandboxOptions = {},
): Promise<{ world: StoreWorld; requests: LoggedRequest[] }> {
  const requests: LoggedRequest[] = [];
  const world = await storeWorld({
    ...options,
    log: (line) => {
      const m = /^([A-Z]+) (\S+) (\d{3}) (\d+)ms$/u.exec(line);
      if (!m) return;
      const now = performance.now();
      requests.push({
        route: `${m[1]} ${m[2]}`,
        status: Number(m[3]),
        arrivedAt: now - Number(m[4]),
        answeredAt: now,
      });
    },
  });
  return { world, requests };
}

/** Batch requests, in order of arrival. */
export function batches(requests: LoggedRequest[]): LoggedRequest[] {
  return requests.filter((r) => r.route === BATCH_ROUTE).sort((a, b) => a.arrivedAt - b.arrivedAt);
}

/** Most batch arrivals inside any window of `windowMs`. */
export function mostInWindow(requests: LoggedRequest[], windowMs: number): number {
  const starts = batches(requests).map((r) => r.arrivedAt);
  let most = 0;
  for (let lo = 0, hi = 0; hi < starts.length; hi++) {
    while (starts[hi]! - starts[lo]! >= windowMs) lo++;
    most = Math.max(most, hi - lo + 1);
  }
  return most;
}

/** The summary every run prints with --json. */
export type FleetSummary = EnrichSummary;

/** `fluence enrich` of every input at once, as separate processes (machines), each with `flags`. */
export async function runFleet(
  world: StoreWorld,
  inputs: string[],
  flags: string[],
  timeoutMs = 60_000,
): Promise<Array<CliResult & { summary: FleetSummary }>> {
  const results = await Promise.all(
    inputs.map((input, i) =>
      collect(
        spawnCli(["enrich", input, "--out-dir", world.file(`out-${i}`), "--json", ...flags], {
          env: world.env,
          cwd: world.dir,
        }),
        { timeoutMs },
      ),
    ),
  );
  return results.map((result) => {
    let summary: FleetSummary;
    try {
      summary = JSON.parse(result.stdout) as FleetSummary;
    } catch {
      throw new Error(`no summary (exit ${result.code}): ${result.stderr}`);
    }
    return { ...result, summary };
  });
}

export { readJson };
