import type { Command } from "commander";
import {
  type FluenceApiError,
  InsufficientDataError,
  MultipleMatchesError,
  NotFoundError,
} from "../api/errors.js";
import { num as numberOf } from "../api/json-values.js";
import { withRetries } from "../api/retry-timing.js";
import type { CreditsInfo, ProfileInput, ServiceState, TierInfo } from "../api/types.js";
import { EXIT } from "../exit-codes.js";
import { CREDITS_PER_PROFILE } from "../pipeline/enrich-types.js";
import { foldLoose } from "../text/fold.js";
import type { ApiConnection, ApiFlags } from "./api-connection.js";
import { addApiOptions } from "./api-options.js";
import { setCommandExitCode } from "./command-result.js";
import { formatCount } from "./format-units.js";
import { renderFields } from "./render-fields.js";
import type { TerminalOutput } from "./terminal-output.js";

interface CommonFlags extends ApiFlags {
  json?: boolean;
  quiet?: boolean;
}

/** Runs one API command with a connection and an output, and records its exit code. */
function action<F extends CommonFlags>(
  run: (flags: F, ctx: { out: TerminalOutput; conn: ApiConnection }) => Promise<number>,
) {
  return async (flags: F) => {
    const { terminalOutput } = await import("./terminal-output.js");
    const out = await terminalOutput({ json: flags.json, quiet: flags.quiet });
    // The HTTP client (undici) and the sandbox load only once a command runs, not for --help.
    const { connectApi } = await import("./api-connection.js");
    const conn = await connectApi(flags);
    try {
      setCommandExitCode(await run(flags, { out, conn }));
    } finally {
      await conn.close();
    }
  };
}

function common(cmd: Command, examples: string): Command {
  addApiOptions(cmd)
    .option("--json", "machine output (JSON) on stdout")
    .option("--quiet", "print only errors");
  return cmd.addHelpText("after", `\nExamples:\n${examples}`);
}

export function registerAccountCommands(program: Command): void {
  common(
    program
      .command("credits")
      .description("Show the credit balance, what was used this month, the quota and the plan (free)"),
    "  $ fluence credits\n  $ fluence credits --json | jq .creditos_restantes\n  $ fluence credits --sandbox",
  ).action(
    action(async (flags, { out, conn }) => {
      const info = await withRetries(() => conn.client.credits(), { policy: { retries: 2 } });
      if (flags.json) out.json(info);
      else out.info(creditsText(info));
      return EXIT.ok;
    }),
  );

  common(
    program
      .command("tiers")
      .description("List the plans: monthly quota, rate limit and endpoints; yours is marked (free)"),
    "  $ fluence tiers\n  $ fluence tiers --json",
  ).action(
    action(async (flags, { out, conn }) => {
      const tiers = await withRetries(() => conn.client.tiers(), { policy: { retries: 2 } });
      const mine = await conn.client.credits().then(
        (c) => (typeof c.tipo_plano === "string" ? c.tipo_plano : undefined),
        () => undefined,
      );
      const marked = tiers.tiers.map((t) => ({ ...t, current: mine !== undefined && isOwnTier(t, mine) }));
      if (flags.json) out.json({ ...tiers, tiers: marked, current_plan: mine ?? null });
      else out.info(tiersText(marked, mine));
      return EXIT.ok;
    }),
  );

  for (const which of ["health", "status"] as const) {
    common(
      program
        .command(which)
        .description(
          which === "health"
            ? "Check that the API is up; exits 6 when it is not (for cron: check before a run)"
            : "Show the service status; exits 6 when it is not operational",
        ),
      `  $ fluence ${which}\n  $ fluence ${which} --quiet && fluence enrich leads.csv`,
    ).action(
      action(async (flags, { out, conn }) => {
        const state = await (which === "health" ? conn.client.health() : conn.client.status());
        if (flags.json) out.json({ healthy: state.healthy, http_status: state.httpStatus, body: state.body });
        else out.info(serviceText(which, state, out));
        if (!state.healthy && flags.quiet)
          out.warn(`fluence: the API is not healthy (HTTP ${state.httpStatus}).`);
        return state.healthy ? EXIT.ok : EXIT.unhealthy;
      }),
    );
  }

  common(
    program
      .command("lookup")
      .description("Enrich one person through /crm_basico (1 credit) or, with --complete, /crm (2 credits)")
      .requiredOption("--first <name>", "first name (primeiro_nome)")
      .requiredOption("--last <name>", "last name (ultimo_nome)")
      .requiredOption("--company <name>", "company (empresa)")
      .option("--context <text>", "additional context (contexto_adicional) to pick the right person")
      .option("--complete", "complete analysis with personality, via /crm (2 credits)"),
    '  $ fluence lookup --first Ana --last Souza --company "Natura"\n  $ fluence lookup --first João --last Silva --company "Homônimos Ltda" --context "CFO, São Paulo" --json',
  ).action(
    action<
      CommonFlags & { first: string; last: string; company: string; context?: string; complete?: boolean }
    >(async (flags, { out, conn }) => {
      const profile: ProfileInput = {
        primeiro_nome: flags.first.trim(),
        ultimo_nome: flags.last.trim(),
        empresa: flags.company.trim(),
        ...(flags.context?.trim() ? { contexto_adicional: flags.context.trim() } : {}),
      };
      try {
        const result = await withRetries(() => conn.client.lookup(profile, { complete: flags.complete }), {
          policy: { retries: 3 },
        });
        if (flags.json)
          out.json({
            found: true,
            input: profile,
            analise: result.analise,
            billing_info: result.billing ?? null,
          });
        else out.info(lookupText(profile, result.analise, result.billing, out));
        return EXIT.ok;
      } catch (error) {
        const sentence = personOutcome(error as FluenceApiError);
        if (!sentence) throw error;
        if (flags.json) {
          const e = error as FluenceApiError;
          out.json({ found: false, input: profile, error_code: e.code, error: sentence });
        } else out.warn(`fluence: ${sentence}`);
        return EXIT.ok;
      }
    }),
  );
}

/** 404/409/422 are answers about the person, not failures of the tool: one sentence each. */
function personOutcome(error: FluenceApiError): string | undefined {
  if (error instanceof NotFoundError)
    return "No such person was found at that company (404); check the spelling of the name and company.";
  if (error instanceof MultipleMatchesError) {
    return "Several people match that name at that company (409); add --context (role, city, e-mail) to pick the right one.";
  }
  if (error instanceof InsufficientDataError) {
    return "The API found too little public data to analyse this person (422); no credit was charged.";
  }
  return undefined;
}

export function creditsText(info: CreditsInfo): string {
  const known = [
    "creditos_restantes",
    "creditos_utilizados",
    "cota_mensal",
    "tipo_plano",
    "requisicoes_utilizadas",
  ];
  const num = (v: unknown) =>
    typeof v === "number" ? formatCount(v) : v === undefined ? "unknown" : String(v);
  // Quotas count requests (one batch of up to 10 people is one request), not credits.
  const requestsUsed = numberOf(info.requisicoes_utilizadas) ?? null;
  const quota =
    info.cota_mensal === undefined
      ? "unknown"
      : `${num(info.cota_mensal)} requests${requestsUsed === null ? "" : ` (${formatCount(requestsUsed)} used this period)`}`;
  const lines = [
    `Balance:         ${num(info.creditos_restantes)} credits`,
    `Used this month: ${num(info.creditos_utilizados)} credits`,
    `Monthly quota:   ${quota}`,
    `Plan:            ${info.tipo_plano ?? "unknown"}`,
    `Costs:           basic analysis (enrich) ${CREDITS_PER_PROFILE.basic} credit a person, complete (enrich --complete) ${CREDITS_PER_PROFILE.complete}; only successes are charged`,
  ];
  const extra = Object.fromEntries(Object.entries(info).filter(([k]) => !known.includes(k)));
  if (Object.keys(extra).length > 0) lines.push("Other fields:", ...renderFields(extra));
  return lines.join("\n");
}

/** "enterprise_crm" is the plan called "CRM-Enterprise-Plan": every word of one appears in the other. */
export function isOwnTier(tier: TierInfo, tipoPlano: string): boolean {
  const name = foldLoose(typeof tier.nome === "string" ? tier.nome : "");
  const plan = foldLoose(tipoPlano);
  if (!name || !plan) return false;
  if (name === plan) return true;
  const generic = new Set(["plan", "users", "tier"]);
  const words = plan.split(" ").filter((w) => !generic.has(w));
  return words.length > 0 && words.every((w) => name.split(" ").includes(w));
}

export function tiersText(tiers: Array<TierInfo & { current: boolean }>, mine: string | undefined): string {
  const rows = tiers.map((t) => [
    `${t.current ? "*" : " "} ${String(t.nome ?? "?")}`,
    typeof t.cota_mensal === "number" ? formatCount(t.cota_mensal) : String(t.cota_mensal ?? "?"),
    t.rate_limit_por_minuto === undefined ? "?" : `${t.rate_limit_por_minuto}/min`,
    Array.isArray(t.endpoints) ? t.endpoints.join(", ") : String(t.endpoints ?? ""),
  ]);
  const head = ["  Plan", "Monthly quota", "Rate limit", "Endpoints"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  const lines = [fmt(head), ...rows.map(fmt)];
  lines.push(mine ? `* your plan (${mine})` : "Your plan could not be determined.");
  const known = ["nome", "cota_mensal", "rate_limit_por_minuto", "endpoints", "current"];
  for (const t of tiers) {
    const extra = Object.fromEntries(Object.entries(t).filter(([k]) => !known.includes(k)));
    if (Object.keys(extra).length > 0) lines.push(`${String(t.nome ?? "?")}:`, ...renderFields(extra));
  }
  return lines.join("\n");
}

function serviceText(which: string, state: ServiceState, out: TerminalOutput): string {
  const mark = state.healthy ? out.color.green("✔ healthy") : out.color.red("✖ not healthy");
  return [`${which}: ${mark} (HTTP ${state.httpStatus})`, ...renderFields(state.body)].join("\n");
}

function lookupText(
  profile: ProfileInput,
  analise: Record<string, unknown>,
  billing: Record<string, unknown> | undefined,
  out: TerminalOutput,
): string {
  const who = `${profile.primeiro_nome} ${profile.ultimo_nome} (${profile.empresa})`;
  const lines = [out.color.bold(who), ...renderFields(analise)];
  if (billing) {
    const used = billing.creditos_utilizados ?? "?";
    const left = billing.creditos_restantes ?? "?";
    lines.push(out.color.dim(`Credits: ${used} used, ${left} remaining.`));
  }
  return lines.join("\n");
}
