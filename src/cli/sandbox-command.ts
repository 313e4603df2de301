import type { Command } from "commander";
import type { GatewayOptions, LatencySpell, SandboxOptions } from "../sandbox/index.js";
import { parseStage } from "../sandbox/sandbox-gateway.js";
import { UserError } from "../user-error.js";

/** Raw option values as commander hands them over (strings, or true for --gateway / --unhealthy / --log). */
export interface SandboxFlags {
  port?: string;
  host?: string;
  latency?: string;
  latencyPerProfile?: string;
  latencyJitter?: string;
  latencySpell?: string[];
  credits?: string;
  rateLimit?: string;
  rateWindow?: string;
  maxConcurrent?: string;
  gateway?: boolean;
  stage?: string;
  burst?: string;
  quota?: string;
  integrationTimeout?: string;
  fail500?: string;
  fail429?: string;
  failDrop?: string;
  failMalformed?: string;
  fail502?: string;
  fail503?: string;
  seed?: string;
  unhealthy?: boolean;
  log?: boolean;
}

/** SandboxOptions as the command takes them: `log` is a switch, lines go to the command's output. */
export type SandboxCommandOptions = Omit<SandboxOptions, "log"> & { log?: boolean };

export interface SandboxCommandIo {
  out: (line: string) => void;
  /** Stops the sandbox when aborted. Default: SIGINT or SIGTERM. */
  stop?: AbortSignal;
}

/** The port when --port is not given. */
export const SANDBOX_DEFAULT_PORT = 8787;

function integer(flag: string, raw: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER) {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(value) || value < min || value > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`;
    throw new UserError(`${flag} must be ${range}, got "${raw}".`);
  }
  return value;
}

function probability(flag: string, raw: string | undefined) {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new UserError(`${flag} must be a probability between 0 and 1, got "${raw}".`);
  }
  return value;
}

const SPELL_FORMAT =
  "AT,RAMP,HOLD,FALL,EXTRA (ms after start, ms rising, ms held, ms falling, ms per profile)";

/** --latency-spell 30000,0,7000,0,1300: a step of +1.3 s per profile, 30 s in, for 7 s. */
function latencySpell(raw: string): LatencySpell {
  const parts = raw.split(",").map((p) => Number(p.trim()));
  if (parts.length !== 5 || parts.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new UserError(`--latency-spell must be ${SPELL_FORMAT}, got "${raw}".`);
  }
  const [atMs, rampMs, holdMs, fallMs, extraPerProfileMs] = parts as [number, number, number, number, number];
  return { atMs, rampMs, holdMs, fallMs, extraPerProfileMs };
}

/** Validates the flags and maps them to options; throws UserError with one sentence on a bad value. */
export function sandboxOptionsFromFlags(flags: SandboxFlags): SandboxCommandOptions {
  const host = flags.host ?? "127.0.0.1";
  if (host.trim() === "") throw new UserError("--host must not be empty.");
  // Options left undefined fall back to startSandbox's defaults.
  const options: SandboxCommandOptions = {
    port: integer("--port", flags.port, 0, 65_535) ?? SANDBOX_DEFAULT_PORT,
    host,
    latencyMs: integer("--latency", flags.latency, 0),
    latencyPerProfileMs: integer("--latency-per-profile", flags.latencyPerProfile, 0),
    latencyJitterMs: integer("--latency-jitter", flags.latencyJitter, 0),
    latencySpells: flags.latencySpell?.map(latencySpell),
    credits: integer("--credits", flags.credits, 0),
    rateLimit: integer("--rate-limit", flags.rateLimit, 1),
    rateWindowMs: integer("--rate-window", flags.rateWindow, 1),
    maxConcurrentBatches: integer("--max-concurrent", flags.maxConcurrent, 1),
    seed: integer("--seed", flags.seed, 0, 0xffff_ffff),
    unhealthy: flags.unhealthy === true,
    log: flags.log === true,
  };
  const faults = {
    error500: probability("--fail-500", flags.fail500),
    error429: probability("--fail-429", flags.fail429),
    drop: probability("--fail-drop", flags.failDrop),
    malformed: probability("--fail-malformed", flags.failMalformed),
    error502: probability("--fail-502", flags.fail502),
    error503: probability("--fail-503", flags.fail503),
  };
  if (Object.values(faults).some((value) => value !== undefined)) options.faults = faults;
  const gateway = gatewayFromFlags(flags);
  if (gateway) options.gateway = gateway;
  return options;
}

const GATEWAY_FLAGS = [
  ["--stage", "stage"],
  ["--burst", "burst"],
  ["--quota", "quota"],
  ["--integration-timeout", "integrationTimeout"],
] as const;

function gatewayFromFlags(flags: SandboxFlags): GatewayOptions | true | undefined {
  if (flags.gateway !== true) {
    const stray = GATEWAY_FLAGS.find(([, name]) => flags[name] !== undefined);
    if (stray) throw new UserError(`${stray[0]} only applies to gateway mode: add --gateway.`);
    return undefined;
  }
  const gateway: GatewayOptions = {};
  if (flags.stage !== undefined) {
    const stage = parseStage(flags.stage);
    if (!stage) throw new UserError(`--stage must be a path such as /prod, got "${flags.stage}".`);
    gateway.stage = stage;
  }
  const burst = integer("--burst", flags.burst, 1);
  if (burst !== undefined) gateway.burst = burst;
  const quota = integer("--quota", flags.quota, 0);
  if (quota !== undefined) gateway.quota = quota;
  const timeout = integer("--integration-timeout", flags.integrationTimeout, 1);
  if (timeout !== undefined) gateway.integrationTimeoutMs = timeout;
  return Object.keys(gateway).length > 0 ? gateway : true;
}

function waitForStop(stop: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      stop?.removeEventListener("abort", done);
      resolve();
    };
    if (stop?.aborted) return resolve();
    stop?.addEventListener("abort", done);
    if (!stop) {
      process.on("SIGINT", done);
      process.on("SIGTERM", done);
    }
  });
}

/** Starts the sandbox, prints how to use it, serves until stopped, then closes cleanly. */
export async function runSandboxCommand(opts: SandboxCommandOptions, io: SandboxCommandIo): Promise<void> {
  const { log, ...rest } = opts;
  // The simulation (and zod, which it validates with) loads only when the command runs.
  const { startSandbox } = await import("../sandbox/sandbox-server.js");
  const { sandboxBanner } = await import("./sandbox-banner.js");
  const handle = await startSandbox(log ? { ...rest, log: io.out } : rest);
  for (const line of sandboxBanner(handle, rest)) io.out(line);
  io.out("Press Ctrl-C to stop.");
  await waitForStop(io.stop);
  await handle.close();
  io.out("Sandbox stopped.");
}

const EXAMPLES = `
Examples:
  $ fluence sandbox
  $ fluence sandbox --port 0 --latency 200 --latency-per-profile 50
  $ fluence sandbox --latency 5000 --latency-per-profile 1000 --latency-jitter 2000
  $ fluence sandbox --fail-500 0.05 --fail-drop 0.02 --seed 7 --log
  $ fluence sandbox --credits 25 --rate-limit 10 --rate-window 1000
  $ fluence sandbox --max-concurrent 2 --fail-502 0.05 --fail-503 0.05
  $ fluence sandbox --gateway --stage /prod --burst 5 --quota 200 --integration-timeout 29000
  $ fluence sandbox --gateway --latency 5000 --latency-per-profile 1300 --latency-spell 60000,0,70000,0,600
      (a slow spell: from 60 s in, each profile takes 0.6 s more for 70 s; a batch of 10 takes 24 s)

Reserved company words force outcomes: "fantasma" (not found), "homonimos" (multiple matches unless
contexto_adicional is given), "sigilosa" (insufficient data), "hostil" (formula-like text in the analysis).
Tiers: CRM-Enterprise-Plan has the Complete tier (every CRM endpoint, /crm_batch included);
CRM-Business-Plan has the Basic tier (403 ACCESS_DENIED on /crm_batch); platform plans: utility endpoints only.`;

/** Adds `fluence sandbox`: a local, deterministic simulation of the Fluence API. */
export function registerSandboxCommand(program: Command): void {
  program
    .command("sandbox")
    .description(
      "run a local simulation of the Fluence API (keys, credits, rate limits, faults, API Gateway)",
    )
    .option("--port <n>", `TCP port, 0 for a random one (default ${SANDBOX_DEFAULT_PORT})`)
    .option("--host <addr>", "interface to bind (default 127.0.0.1)")
    .option("--latency <ms>", "latency per paid request (default 0)")
    .option("--latency-per-profile <ms>", "latency added per profile (default 0)")
    .option("--latency-jitter <ms>", "random extra latency per paid request, 0 to <ms>, seeded (default 0)")
    .option(
      "--latency-spell <spec>",
      `a slow spell of the service, repeatable: ${SPELL_FORMAT}`,
      (value: string, all: string[] = []) => [...all, value],
    )
    .option("--credits <n>", "starting balance of every key (default: the plan's monthly quota)")
    .option("--rate-limit <n>", "requests per window per key (default 100)")
    .option("--rate-window <ms>", "rate-limit window (default 60000)")
    .option("--max-concurrent <n>", "batch requests processed at once; more get 503 (default unlimited)")
    .option("--gateway", "answer as AWS API Gateway in front of the service does")
    .option("--stage <path>", "with --gateway: serve every route under this stage, e.g. /prod (default none)")
    .option("--burst <n>", "with --gateway: token-bucket burst per key (default 10)")
    .option("--quota <n>", "with --gateway: requests per key before 429 Limit Exceeded (default: plan quota)")
    .option("--integration-timeout <ms>", "with --gateway: 504 past this processing time (default 29000)")
    .option("--fail-500 <p>", "probability of a 500 on a paid request (default 0)")
    .option("--fail-429 <p>", "probability of an injected 429 (default 0)")
    .option("--fail-drop <p>", "probability of charging then dropping the connection (default 0)")
    .option("--fail-malformed <p>", "probability of charging then answering truncated JSON (default 0)")
    .option("--fail-502 <p>", "probability of charging then answering 502 (default 0)")
    .option("--fail-503 <p>", "probability of an uncharged 503 (default 0)")
    .option("--seed <n>", "seed of the fault and jitter generators (default 1)")
    .option("--unhealthy", "report a degraded service on /health and /status")
    .option("--log", "print one line per request")
    .addHelpText("after", EXAMPLES)
    .action(async (flags: SandboxFlags) => {
      await runSandboxCommand(sandboxOptionsFromFlags(flags), {
        out: (line) => process.stdout.write(`${line}\n`),
      });
    });
}
