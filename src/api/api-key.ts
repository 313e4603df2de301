import { readFileSync } from "node:fs";
import { EXIT } from "../exit-codes.js";
import { UserError } from "../user-error.js";

// The overview documents keys as "40 alphanumeric characters".
const KEY_FORMAT = /^[A-Za-z0-9]{40}$/;

/** Throws a UserError (exit 2) unless `key` is 40 ASCII letters/digits. The message never shows the key. */
export function validateApiKey(key: string): void {
  if (!KEY_FORMAT.test(key)) {
    throw new UserError(
      "The API key is not in the documented format (40 letters and digits); check FLUENCE_API_KEY.",
      EXIT.usage,
    );
  }
}

/** "…" followed by the last 4 characters; just "…" for keys shorter than 8, where 4 would reveal too much. */
export function redactKey(key: string): string {
  return key.length < 8 ? "…" : `…${key.slice(-4)}`;
}

/**
 * Loads and validates the API key: from `file` when given (its first line, trimmed), otherwise from
 * `env.FLUENCE_API_KEY`. `env` defaults to `process.env`. Every failure is a UserError (exit 2).
 */
export function loadApiKey(source: { env?: NodeJS.ProcessEnv; file?: string }): string {
  const key = source.file !== undefined ? readKeyFile(source.file) : readKeyEnv(source.env ?? process.env);
  validateApiKey(key);
  return key;
}

function readKeyFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new UserError(`Cannot read the API key file ${file} (${code}); check --api-key-file.`, EXIT.usage, {
      cause: error,
    });
  }
  const firstLine = text.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? "";
  const key = firstLine.trim();
  if (key === "") {
    throw new UserError(
      `The API key file ${file} is empty; put the key on its first line or set FLUENCE_API_KEY.`,
      EXIT.usage,
    );
  }
  return key;
}

function readKeyEnv(env: NodeJS.ProcessEnv): string {
  const key = env.FLUENCE_API_KEY?.trim() ?? "";
  if (key === "") {
    throw new UserError(
      "No API key: set FLUENCE_API_KEY or pass --api-key-file <path> (the --sandbox mode needs no key).",
      EXIT.usage,
    );
  }
  return key;
}
