import { Command } from "commander";

export { CommanderError } from "commander";

import { registerAccountCommands } from "./account-commands.js";
import { registerEnrichCommand } from "./enrich-command.js";
import { registerSandboxCommand } from "./sandbox-command.js";
import { registerStoreCommand } from "./store-command.js";
import { VERSION } from "./version.js";

export function buildProgram(): Command {
  const program = new Command()
    .name("fluence")
    .description("Bulk-enrich CSV files of people through the Fluence CRM-intelligence API.")
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .addHelpText(
      "after",
      `
Examples:
  $ fluence enrich fixtures/leads.csv --sandbox     try it: no key, no network
  $ export FLUENCE_API_KEY=...                        your 40-character key
  $ fluence credits                                   balance and plan
  $ fluence enrich leads.csv --dry-run                what a run would send and cost
  $ fluence enrich leads.csv                          writes leads.enriched.csv, leads.errors.csv, leads.summary.json

Run "fluence <command> --help" for a command's options and exit codes.`,
    );
  registerEnrichCommand(program);
  registerAccountCommands(program);
  registerStoreCommand(program);
  registerSandboxCommand(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}
