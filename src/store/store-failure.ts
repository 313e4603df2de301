import { asStoreFailure } from "../fs/io-errors.js";
import { UserError } from "../user-error.js";

/**
 * A store call's failure as the run should treat it: the store's own UserError (PostgreSQL), or SQLite's
 * I/O trouble worded for the user; undefined for anything else (a bug, which must not pass for the store).
 */
export function storeFailureOf(error: unknown, location: string): UserError | undefined {
  const worded = asStoreFailure(error, location);
  return worded instanceof UserError ? worded : undefined;
}
