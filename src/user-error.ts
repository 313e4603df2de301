import { EXIT } from "./exit-codes.js";

/**
 * A run-level failure the user can act on: the CLI prints its message as one sentence and exits with
 * its code. Anything that is not a UserError reaching the CLI boundary is a bug (exit 1).
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.usage, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UserError";
    this.exitCode = exitCode;
  }
}
