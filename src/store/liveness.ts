import { hostname } from "node:os";
import { pidAlive } from "../fs/pid-alive.js";

export interface RunRow {
  pid: number;
  host: string;
  heartbeat_at: number;
  ended_at: number | null;
}

/**
 * A run is dead when it ended, when its pid is gone on this host, or when its heartbeat is stale.
 * The heartbeat rule also applies on this host because a pid freed by kill -9 can be reused by an
 * unrelated process, which would otherwise hold the dead run's claims forever.
 */
export function runIsDead(run: RunRow | undefined, now: number, staleAfterMs: number): boolean {
  if (!run || run.ended_at !== null) return true;
  if (run.host === hostname() && !pidAlive(run.pid)) return true;
  return run.heartbeat_at < now - staleAfterMs;
}
