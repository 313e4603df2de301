import path from "node:path";
import { EXIT } from "../exit-codes.js";
import { exitNow } from "../fs/exit-cleanup.js";
import { IoFailure } from "../fs/io-errors.js";
import { type EnrichFileOptions, enrichFile } from "../library/enrich-file.js";
import { defaultStorePath } from "../store/default-store-path.js";
import { parseAge } from "../store/parse-age.js";
import { type ApiFlags, connectApi } from "./api-connection.js";
import { progressDisplay } from "./enrich-progress.js";
import { dryRunText, enrichSummaryText } from "./enrich-summary-text.js";
import { terminalOutput } from "./terminal-output.js";

/** The flags as commander hands them over (defaults applied). */
export interface EnrichFlags extends ApiFlags {
  outDir?: string;
  enriched?: string;
  errors?: string;
  summary?: string;
  format?: "csv" | "jsonl" | "xlsx";
  json?: boolean;
  quiet?: boolean;
  complete?: boolean;
  batchSize: number;
  concurrency: number | "auto";
  maxConcurrency: number;
  delay: number;
  rate: number;
  retries: number;
  gatewayTimeout: number;
  store?: string | false;
  maxAge: string;
  refresh?: boolean;
  dryRun?: boolean;
  maxCredits?: number;
  encoding?: string;
  delimiter?: string;
  outDelimiter?: string;
  map?: Record<string, string>;
  fullNameColumn?: string;
  headerRow?: number;
  sheet?: string;
  bom?: boolean;
  escapeFormulas: "all" | "api" | "none";
}

/** Ctrl-C, a stopping service or cron (SIGTERM), a closed terminal (SIGHUP): all stop the same way. */
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export async function enrichAction(input: string, flags: EnrichFlags): Promise<number> {
  const out = await terminalOutput({ json: flags.json, quiet: flags.quiet });
  const maxAgeMs = flags.refresh ? 0 : parseAge(flags.maxAge);
  const storePath = flags.store === false ? null : (flags.store ?? storePathFor(flags.sandbox));
  const conn = await connectApi(flags);
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) {
      out.warn(
        flags.store === false
          ? "fluence: quitting at once; with --no-store nothing of this run is kept."
          : "fluence: quitting at once: every batch that landed is kept in the store; run again to write the outputs (it pays only for what did not land).",
      );
      // Removes this run's temp and lock files on the way out (they registered for it).
      exitNow(EXIT.interrupted);
      return;
    }
    controller.abort();
    const again = signal === "SIGINT" ? "Ctrl-C" : signal;
    out.warn(
      `fluence: stopping: no new batches; waiting for those in flight, then writing everything (${again} again to quit at once).`,
    );
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  const progress = progressDisplay(out, { debug: flags.debug === true });
  try {
    const options: EnrichFileOptions = {
      outDir: flags.outDir,
      enrichedPath: flags.enriched,
      errorsPath: flags.errors,
      summaryPath: flags.summary,
      format: flags.format,
      read: {
        encoding: flags.encoding,
        delimiter: flags.delimiter,
        headerRow: flags.headerRow,
        sheet: flags.sheet,
      },
      mapping: { map: flags.map, fullNameColumn: flags.fullNameColumn },
      outDelimiter: flags.outDelimiter,
      bom: flags.bom,
      escapeFormulas: flags.escapeFormulas,
      client: conn.client,
      complete: flags.complete,
      batchSize: flags.batchSize,
      concurrency: flags.concurrency,
      maxConcurrency: flags.maxConcurrency,
      delayMs: flags.delay,
      ratePerMinute: flags.rate,
      retries: flags.retries,
      gatewayTimeoutMs: flags.gatewayTimeout * 1000,
      storePath,
      maxAgeMs,
      maxCredits: flags.maxCredits,
      dryRun: flags.dryRun,
      signal: controller.signal,
    };
    // The CLI is one user of the library's enrichFile(), with a terminal for its events.
    const result = await enrichFile(input, { ...options, ...progress.events }).catch((error: unknown) => {
      // With --no-store nothing paid for is kept: the sentence must not promise a free re-run.
      throw flags.store === false && error instanceof IoFailure ? error.withoutStore() : error;
    });
    progress.stop();
    if ("dry_run" in result) {
      out.info(dryRunText(result));
    } else {
      out.info(enrichSummaryText(result, out));
      // A failed store has a sentence of its own (what failed, what was kept): it says more than the stop's.
      const last = result.store_failure ?? result.stop_message;
      if (last) out.warn(`fluence: ${last}`);
    }
    if (flags.json) out.json(result);
    return result.exit_code;
  } finally {
    progress.stop();
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    await conn.close();
  }
}

/**
 * --store (handled by the caller), else FLUENCE_STORE, else the cache dir. Sandbox results get a store of
 * their own beside the cache dir's, never FLUENCE_STORE (a team's shared PostgreSQL store, a cron job's
 * file), so made-up analyses can never be served to a real run.
 */
function storePathFor(sandbox: boolean | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (!sandbox) return defaultStorePath(env);
  const { FLUENCE_STORE: _real, ...rest } = env;
  return path.join(path.dirname(defaultStorePath(rest)), "sandbox-store.sqlite");
}
