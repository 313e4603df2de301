import { realpathSync } from "node:fs";
import path from "node:path";
import { UserError } from "../user-error.js";

export interface OutputPaths {
  enriched: string;
  errors: string;
  summary: string;
}

/** `<name>.enriched.csv`, `<name>.errors.csv`, `<name>.summary.json` beside the input, or in outDir. */
export function resolveOutputPaths(options: {
  input: string;
  outDir?: string | undefined;
  enrichedPath?: string | undefined;
  errorsPath?: string | undefined;
  summaryPath?: string | undefined;
  format: "csv" | "jsonl" | "xlsx";
  cwd?: string;
}): OutputPaths {
  const cwd = options.cwd ?? process.cwd();
  const stdin = options.input === "-";
  const base = stdin ? "stdin" : path.basename(options.input).replace(/\.(csv|tsv|txt|xlsx|xlsm)$/i, "");
  const dir = path.resolve(cwd, options.outDir ?? (stdin ? "." : path.dirname(options.input)));
  const ext = options.format;
  const paths: OutputPaths = {
    enriched: path.resolve(cwd, options.enrichedPath ?? path.join(dir, `${base}.enriched.${ext}`)),
    errors: path.resolve(cwd, options.errorsPath ?? path.join(dir, `${base}.errors.${ext}`)),
    summary: path.resolve(cwd, options.summaryPath ?? path.join(dir, `${base}.summary.json`)),
  };
  const seen = new Map<string, string>();
  const inputReal = stdin ? undefined : real(path.resolve(cwd, options.input));
  for (const [kind, file] of Object.entries(paths)) {
    const key = real(file);
    if (key === inputReal) {
      throw new UserError(
        `The ${kind} output ${file} is the input file; choose another path so the input is not overwritten.`,
      );
    }
    const other = seen.get(key);
    if (other)
      throw new UserError(
        `The ${other} and ${kind} outputs are the same file (${file}); give them different paths.`,
      );
    seen.set(key, kind);
  }
  return paths;
}

function real(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    try {
      return path.join(realpathSync(path.dirname(file)), path.basename(file));
    } catch {
      return file;
    }
  }
}
