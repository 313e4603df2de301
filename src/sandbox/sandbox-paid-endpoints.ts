import type { ProfileInput } from "../api/types.js";
import { buildAnalise, buildHostileAnalise } from "./sandbox-analysis.js";
import type { Ledger } from "./sandbox-ledger.js";
import type { SandboxPlan } from "./sandbox-plans.js";
import { OUTCOME_ERRORS, outcomeFor } from "./sandbox-rules.js";
import type { StatsRecorder } from "./sandbox-stats.js";
import { checkProfile, type JsonParse } from "./sandbox-validate.js";

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface PaidContext {
  key: string;
  plan: SandboxPlan;
  ledger: Ledger;
  stats: StatsRecorder;
  /** Milliseconds since the request arrived, for processing_time_ms. */
  elapsedMs: () => number;
}

export const invalid = (message: string, extra: Record<string, unknown> = {}): Reply => ({
  status: 400,
  body: { error: "Invalid request", message, ...extra },
});

export const INVALID_JSON = "Body must be valid JSON";

export function insufficientCredits(ctx: PaidContext, profiles: number, perProfile: number): Reply {
  const available = ctx.ledger.balance(ctx.key);
  const unit = profiles === 1 ? "Request" : "Batch";
  return {
    status: 402,
    body: {
      error: "Insufficient credits",
      message: `${unit} requires ${profiles * perProfile} credits but you have ${available}`,
      profiles_requested: profiles,
      credits_per_profile: perProfile,
      credits_available: available,
    },
  };
}

export function charge(ctx: PaidContext, credits: number): void {
  ctx.ledger.debit(ctx.key, credits);
  ctx.stats.data.creditsDebited += credits;
}

export function analiseFor(profile: ProfileInput, complete: boolean, hostile: boolean) {
  return hostile ? buildHostileAnalise(profile, { complete }) : buildAnalise(profile, { complete });
}

/** POST /crm_basico (1 credit) and POST /crm (2 credits, the complete analysis). */
export function handleSingle(ctx: PaidContext, parsed: JsonParse, complete: boolean): Reply {
  const cost = complete ? 2 : 1;
  if (!parsed.ok) return invalid(INVALID_JSON);
  const check = checkProfile(parsed.value, "");
  if (!check.ok) return invalid(check.message);
  if (check.blankField) return invalid(`${check.blankField} must not be empty`);
  if (ctx.ledger.balance(ctx.key) < cost) return insufficientCredits(ctx, 1, cost);

  ctx.stats.data.profilesReceived += 1;
  const outcome = outcomeFor(check.profile.empresa, check.profile.contexto_adicional);
  if (outcome === "success" || outcome === "hostile") {
    charge(ctx, cost);
    ctx.stats.data.profilesSucceeded += 1;
    if (complete) ctx.stats.data.completeProfilesSucceeded += 1;
    return {
      status: 200,
      body: {
        analise: analiseFor(check.profile, complete, outcome === "hostile"),
        billing_info: billing(ctx, cost),
      },
    };
  }
  const failure = OUTCOME_ERRORS[outcome];
  if (failure.charged) charge(ctx, cost);
  const body: Record<string, unknown> = {
    error: failure.error,
    error_code: failure.error_code,
    message: failure.message,
  };
  if (failure.charged) body.billing_info = billing(ctx, cost);
  return { status: failure.status, body };
}

export function billing(ctx: PaidContext, used: number): Record<string, unknown> {
  return {
    creditos_utilizados: used,
    creditos_restantes: ctx.ledger.balance(ctx.key),
    tipo_plano: ctx.plan.tipoPlano,
  };
}
