import { hostname } from "node:os";

export interface RunRow {
  pid: number;
  host: string;
  heartbeat_at: number;
  ended_at: number | null;
}

/** True unless the OS says the process does not exist (EPERM means it exists but is not ours). */
export function pidAlive(pid: number): boolean {
  // kill(0 or negative) would signal a whole process group: never a valid run pid.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
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
