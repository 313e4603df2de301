import path from "node:path";
import { type Command, Option } from "commander";
import { EXIT } from "../exit-codes.js";
import { exitNow } from "../fs/exit-cleanup.js";
import { IoFailure } from "../fs/io-errors.js";
import { DEFAULT_ENRICH_SETTINGS, type EnrichOptions, runEnrich } from "../pipeline/index.js";
import { defaultStorePath, parseAge } from "../store/index.js";
import { type ApiFlags, connectApi } from "./api-connection.js";
import { addApiOptions } from "./api-options.js";
import { setCommandExitCode } from "./command-result.js";
import { progressDisplay } from "./enrich-progress.js";
import { dryRunText, enrichSummaryText } from "./enrich-summary-text.js";
import { collectMap, concurrency, delimiter, intIn, nonNegativeInt, positiveNumber } from "./flag-parsers.js";
import { terminalOutput } from "./terminal-output.js";

interface EnrichFlags extends ApiFlags {
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

const EXAMPLES = `
Examples:
  $ fluence enrich leads.csv --sandbox                 try it on the local sandbox, no key needed
  $ FLUENCE_API_KEY=... fluence enrich leads.csv        enrich for real; writes leads.enriched.csv,
                                                        leads.errors.csv and leads.summary.json
  $ fluence enrich export.csv --map primeiro_nome=Nome --map empresa="Razão Social"
  $ fluence enrich leads.csv --dry-run                  what a run would send and could cost
  $ fluence enrich leads.csv --complete                 personality and playbooks too (2 credits a person)
  $ crm-export | fluence enrich - --out-dir out/ --json > out/summary.json
  $ fluence enrich leads.errors.csv                     retry the rows that failed (fluence_* columns are ignored)

Exit codes: 0 every row resolved, 2 usage or input error, 3 key or plan refused,
4 stopped for credits or a spent request quota, 5 retryable failures remain (run again later),
7 a file or the store could not be written (disk full, read-only, permission, store unreachable),
8 another run holds these outputs or the store, 130 interrupted (SIGINT, SIGTERM or SIGHUP).`;

/** Ctrl-C, a stopping service or cron (SIGTERM), a closed terminal (SIGHUP): all stop the same way. */
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export function registerEnrichCommand(program: Command): void {
  const cmd = program
    .command("enrich")
    .description(
      "Enrich every row of a CSV of people; write <name>.enriched.csv, <name>.errors.csv and <name>.summary.json",
    )
    .argument("<input>", 'CSV or Excel (.xlsx, .xlsm) file to enrich, or "-" for stdin')
    .option("--out-dir <dir>", "directory for the outputs (default: beside the input)")
    .option("--enriched <file>", "path of the enriched output")
    .option("--errors <file>", "path of the errors output")
    .option("--summary <file>", "path of the summary JSON")
    .addOption(
      new Option("--format <format>", "output format (default: xlsx for a workbook input, else csv)").choices(
        ["csv", "jsonl", "xlsx"],
      ),
    )
    .option("--json", "print the summary as JSON on stdout (human output goes to stderr)")
    .option("--quiet", "print only errors")
    .option(
      "--complete",
      "the complete analysis (personality, playbooks) through /crm_batch: 2 credits per enriched person",
    )
    .option("--batch-size <n>", "profiles per request, 1-10", intIn(1, 10), DEFAULT_ENRICH_SETTINGS.batchSize)
    .option(
      "--concurrency <n|auto>",
      "batches in flight (auto: what the rate needs at the measured latency; n: a fixed ceiling)",
      concurrency,
      "auto",
    )
    .option(
      "--max-concurrency <n>",
      "hard ceiling of --concurrency auto",
      intIn(1, 256),
      DEFAULT_ENRICH_SETTINGS.maxConcurrency,
    )
    .option(
      "--delay <ms>",
      "minimum gap between batch starts (default 0: the rate's own spacing)",
      nonNegativeInt,
      DEFAULT_ENRICH_SETTINGS.delayMs,
    )
    .option(
      "--rate <n>",
      "requests per minute ceiling (the plans allow 100)",
      positiveNumber,
      DEFAULT_ENRICH_SETTINGS.ratePerMinute,
    )
    .option(
      "--retries <n>",
      "retries per batch for 429, 5xx, timeouts and network errors",
      intIn(0, 20),
      DEFAULT_ENRICH_SETTINGS.retries,
    )
    .option(
      "--store <file|url>",
      "past results: a SQLite file or postgres://user@host:port/db shared by a team (default: FLUENCE_STORE or the user cache dir)",
    )
    .option("--no-store", "do not read or keep results between runs")
    .option(
      "--max-age <age>",
      "reuse stored results younger than this (e.g. 30d, 12h; 0 = always ask)",
      "30d",
    )
    .option("--refresh", "ask the API again for everyone (same as --max-age 0)")
    .option("--dry-run", "show what a run would send and could cost; send and write nothing")
    .option(
      "--max-credits <n>",
      "never send more profiles than this many credits could pay for",
      nonNegativeInt,
    )
    .option("--encoding <name>", "input encoding (default: detect UTF-8/UTF-16/Windows-1252)")
    .option("--delimiter <char>", "input delimiter (default: detect , ; tab |)", delimiter)
    .option("--out-delimiter <char>", "output delimiter (default: the input's)", delimiter)
    .option("--map <field=Column>", "use this input column for a field (repeatable)", collectMap)
    .option(
      "--full-name-column <column>",
      "split a full-name column into first name / rest (default: detected when there is no surname column)",
    )
    .option("--sheet <name>", "sheet of an .xlsx/.xlsm workbook to read (default: the first)")
    .option(
      "--header-row <n>",
      "line of the column names (default: the first row naming a person and a company)",
      intIn(1, 1_000_000),
    )
    .option("--bom", "start CSV outputs with a UTF-8 BOM so Excel shows accents")
    .addOption(
      new Option("--escape-formulas <which>", "neutralize cells that Excel would run as formulas")
        .choices(["all", "api", "none"])
        .default("api"),
    );
  addApiOptions(cmd);
  cmd.addHelpText("after", EXAMPLES).action(async (input: string, flags: EnrichFlags) => {
    setCommandExitCode(await enrichAction(input, flags));
  });
}

async function enrichAction(input: string, flags: EnrichFlags): Promise<number> {
  const out = terminalOutput({ json: flags.json, quiet: flags.quiet });
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
    const options: EnrichOptions = {
      input,
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
      storePath,
      maxAgeMs,
      maxCredits: flags.maxCredits,
      dryRun: flags.dryRun,
      signal: controller.signal,
    };
    const result = await runEnrich(options, progress.events).catch((error: unknown) => {
      // With --no-store nothing paid for is kept: the sentence must not promise a free re-run.
      throw flags.store === false && error instanceof IoFailure ? error.withoutStore() : error;
    });
    progress.stop();
    if ("dry_run" in result) {
      out.info(dryRunText(result));
    } else {
      out.info(enrichSummaryText(result, out));
      if (result.stop_message) out.warn(`fluence: ${result.stop_message}`);
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
