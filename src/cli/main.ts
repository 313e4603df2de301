import { FluenceApiError } from "../api/errors.js";
import { EXIT } from "../exit-codes.js";
import { ioFailure } from "../fs/io-errors.js";
import { UserError } from "../user-error.js";
import { tolerateBrokenStdio } from "./broken-stdio.js";
import { takeCommandExitCode } from "./command-result.js";
import { VERSION } from "./version.js";

/**
 * The one error boundary: a known failure prints one sentence and exits with its documented code
 * (an I/O failure of the machine, such as a full disk, is one: exit 7); anything else is a bug (exit 1),
 * with the stack only under --debug.
 */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes("--debug");
  // `fluence --version` alone answers before commander loads: cron jobs and shells call it often.
  if (argv.length === 3 && (argv[2] === "--version" || argv[2] === "-V")) {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  tolerateBrokenStdio();
  // commander and every command's flags load only now, after the --version shortcut.
  const { buildProgram, CommanderError } = await import("./program.js");
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return takeCommandExitCode() ?? EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT.ok;
      if (error.code === "commander.help") return EXIT.ok;
      return EXIT.usage;
    }
    const known = error instanceof UserError ? error : ioFailure(error);
    if (known) {
      process.stderr.write(`fluence: ${known.message}\n`);
      if (debug && known.cause)
        process.stderr.write(`${String((known.cause as Error).stack ?? known.cause)}\n`);
      return known.exitCode;
    }
    if (error instanceof FluenceApiError) {
      process.stderr.write(`fluence: ${error.message}\n`);
      if (debug && error.requestId) process.stderr.write(`x-amzn-RequestId: ${error.requestId}\n`);
      if (debug) process.stderr.write(`${error.stack}\n`);
      // Loaded only on this path: the stop table pulls in the whole API client.
      const { exitForApiError } = await import("../send/stop-reasons.js");
      return exitForApiError(error);
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `fluence: internal error: ${message}. This is a bug; please report it${debug ? "" : " (run with --debug for details)"}.\n`,
    );
    if (debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return EXIT.bug;
  }
}
