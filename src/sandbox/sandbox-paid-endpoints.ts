import type { ProfileInput } from "../api/types.js";
import { buildAnalise, buildHostileAnalise } from "./sandbox-analysis.js";
import type { Ledger } from "./sandbox-ledger.js";
import type { SandboxPlan } from "./sandbox-plans.js";
import { OUTCOME_ERRORS, outcomeFor } from "./sandbox-rules.js";
import type { StatsRecorder } from "./sandbox-stats.js";
import { checkProfile, isPlainObject, type JsonParse, MAX_BATCH_SIZE } from "./sandbox-validate.js";

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

const invalid = (message: string, extra: Record<string, unknown> = {}): Reply => ({
  status: 400,
  body: { error: "Invalid request", message, ...extra },
});

const INVALID_JSON = "Body must be valid JSON";

function insufficientCredits(ctx: PaidContext, profiles: number, perProfile: number): Reply {
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

function charge(ctx: PaidContext, credits: number): void {
  ctx.ledger.debit(ctx.key, credits);
  ctx.stats.data.creditsDebited += credits;
}

function analiseFor(profile: ProfileInput, complete: boolean, hostile: boolean) {
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

function billing(ctx: PaidContext, used: number): Record<string, unknown> {
  return {
    creditos_utilizados: used,
    creditos_restantes: ctx.ledger.balance(ctx.key),
    tipo_plano: ctx.plan.tipoPlano,
  };
}

/** POST /crm_basico_batch: all-or-nothing validation, then pay-per-success results. */
export function handleBatch(ctx: PaidContext, parsed: JsonParse): Reply {
  if (!parsed.ok) return invalid(INVALID_JSON);
  if (!isPlainObject(parsed.value)) return invalid("Body must be a JSON object");
  const profiles = parsed.value.profiles;
  if (!Array.isArray(profiles)) return invalid("profiles must be an array");
  ctx.stats.data.batchSizes.push(profiles.length);
  if (profiles.length === 0) return invalid("profiles must not be empty");
  if (profiles.length > MAX_BATCH_SIZE) {
    return {
      status: 400,
      body: {
        error: "Batch size exceeds maximum",
        message: `Maximum ${MAX_BATCH_SIZE} profiles per batch, received ${profiles.length}`,
        max_batch_size: MAX_BATCH_SIZE,
        profiles_received: profiles.length,
      },
    };
  }
  const checked = [];
  for (const [index, value] of profiles.entries()) {
    const check = checkProfile(value, `profiles[${index}]`);
    if (!check.ok) return invalid(check.message, { profile_index: index });
    checked.push(check);
  }
  if (ctx.ledger.balance(ctx.key) < profiles.length) return insufficientCredits(ctx, profiles.length, 1);

  ctx.stats.data.profilesReceived += profiles.length;
  const results = checked.map(({ profile, blankField }, index) => {
    const base = { profile_index: index, input: profile };
    if (blankField) {
      return {
        success: false,
        ...base,
        error: `${blankField} must not be empty`,
        error_code: "INVALID_INPUT",
      };
    }
    const outcome = outcomeFor(profile.empresa, profile.contexto_adicional);
    if (outcome === "success" || outcome === "hostile") {
      return { success: true, ...base, analise: analiseFor(profile, false, outcome === "hostile") };
    }
    const failure = OUTCOME_ERRORS[outcome];
    return { success: false, ...base, error: failure.error, error_code: failure.error_code };
  });
  const successful = results.filter((result) => result.success).length;
  charge(ctx, successful);
  ctx.stats.data.profilesSucceeded += successful;
  return {
    status: 200,
    body: {
      success: true,
      batch_summary: {
        total_profiles: results.length,
        successful,
        failed: results.length - successful,
        processing_time_ms: Math.round(ctx.elapsedMs() * 100) / 100,
      },
      results,
      billing_info: {
        creditos_por_perfil: 1,
        perfis_processados: successful,
        ...billing(ctx, successful),
      },
    },
  };
}
