import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { onExitUndo } from "../fs/exit-cleanup.js";
import { asStoreFailure } from "../fs/io-errors.js";
import { defaultStorePath } from "../store/default-store-path.js";
import { openStore } from "../store/open-store.js";
import type { OutcomeStore } from "../store/types.js";

export interface RunStore {
  store: OutcomeStore;
  close(): Promise<void>;
}

/**
 * The store a library call reads and fills: the one named, the CLI's default (FLUENCE_STORE or the user
 * cache dir) when none is, or with null a throw-away one removed on close (and at exit, if killed).
 */
export async function openRunStore(spec: string | null | undefined): Promise<RunStore> {
  if (spec !== null) {
    const location = spec ?? defaultStorePath(process.env);
    const store = await openStore(location).catch((error: unknown) => {
      throw asStoreFailure(error, location);
    });
    return { store, close: () => store.close() };
  }
  const scratch = path.join(
    os.tmpdir(),
    `fluence-lib-${process.pid}-${randomBytes(6).toString("hex")}.sqlite`,
  );
  const remove = () => {
    for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${scratch}${suffix}`, { force: true });
  };
  const forget = onExitUndo(remove);
  const store = await openStore(scratch);
  return {
    store,
    close: async () => {
      await store.close();
      remove();
      forget();
    },
  };
}
