import type { Command } from "commander";
import { positiveNumber } from "./flag-parsers.js";

/** The flags every command that talks to the API shares. */
export function addApiOptions(cmd: Command): Command {
  return cmd
    .option("--sandbox", "use a local simulation of the API (no key, no network)")
    .option("--base-url <url>", "API base URL (default: FLUENCE_BASE_URL or https://api.fluenceinsights.com)")
    .option("--api-key-file <path>", "read the API key from this file (default: FLUENCE_API_KEY)")
    .option("--timeout <ms>", "per-request timeout in ms (default 60000)", positiveNumber)
    .option(
      "--debug",
      "show stack traces for internal errors, and every failed request with its x-amzn-RequestId",
    );
}
