import { rmSync } from "node:fs";

/**
 * What the run must undo if it exits at once (a second Ctrl-C / SIGTERM / SIGHUP): its temp files, its
 * output locks, a throw-away store. Each owner registers a synchronous undo while the thing exists and
 * forgets it when it has cleaned up normally; `process.exit` runs what is left ('exit' handlers must be
 * synchronous). A SIGKILL runs nothing: the next run takes over what is left (dead-pid rules).
 */
const undos = new Set<() => void>();
let installed = false;

function runUndos(): void {
  for (const undo of [...undos]) {
    undos.delete(undo);
    try {
      undo();
    } catch {
      // Exiting anyway; one failed removal must not keep the others from running.
    }
  }
}

/** Registers `undo` to run if the process exits before the returned `forget` is called. */
export function onExitUndo(undo: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on("exit", runUndos);
  }
  undos.add(undo);
  return () => {
    undos.delete(undo);
  };
}

/** Registers the removal of a file or directory (recursively) at exit; returns `forget`. */
export function removeOnExit(file: string): () => void {
  return onExitUndo(() => rmSync(file, { recursive: true, force: true }));
}

let publishing = 0;
let exitWhenPublished: number | undefined;

/**
 * Runs the renames that publish a run's outputs as one step an immediate exit waits for: exitNow()
 * during it exits right after, so a second signal never leaves a new enriched file beside an old errors file.
 */
export async function asOnePublish<T>(publish: () => Promise<T>): Promise<T> {
  publishing++;
  try {
    return await publish();
  } finally {
    publishing--;
    if (publishing === 0 && exitWhenPublished !== undefined) process.exit(exitWhenPublished);
  }
}

/** Exits at once with `code` (after the registered undos), or right after a publish in progress. */
export function exitNow(code: number): void {
  if (publishing > 0) {
    exitWhenPublished = code;
    return;
  }
  process.exit(code);
}
