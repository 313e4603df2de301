import { runEnrich } from "../pipeline/enrich.js";
import type { DryRunReport, EnrichEvents, EnrichOptions, EnrichSummary } from "../pipeline/enrich-types.js";
import { defaultStorePath } from "../store/default-store-path.js";

export interface EnrichFileOptions extends Omit<EnrichOptions, "input" | "storePath">, EnrichEvents {
  /** SQLite file or postgres:// URL; null: a throw-away store. Default: FLUENCE_STORE or the user cache dir. */
  storePath?: string | null;
}

/**
 * What `fluence enrich <path>` does: reads the CSV (or "-" for stdin), writes <name>.enriched.csv,
 * <name>.errors.csv and <name>.summary.json beside it (or where the options say), and returns the summary
 * (with `dryRun`, the plan instead). The summary's exit_code is the one the CLI would exit with.
 */
export async function enrichFile(
  path: string,
  options: EnrichFileOptions & { dryRun: true },
): Promise<DryRunReport>;
export async function enrichFile(
  path: string,
  options: EnrichFileOptions & { dryRun?: false },
): Promise<EnrichSummary>;
export async function enrichFile(
  path: string,
  options: EnrichFileOptions,
): Promise<EnrichSummary | DryRunReport>;
export async function enrichFile(
  path: string,
  options: EnrichFileOptions,
): Promise<EnrichSummary | DryRunReport> {
  const { onPlanned, onProgress, onEvent, onNotice, onRequestFailed, storePath, ...rest } = options;
  return runEnrich(
    {
      ...rest,
      input: path,
      storePath: storePath === undefined ? defaultStorePath(process.env) : storePath,
    },
    { onPlanned, onProgress, onEvent, onNotice, onRequestFailed },
  );
}
