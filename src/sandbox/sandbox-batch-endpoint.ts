import {
  analiseFor,
  billing,
  charge,
  INVALID_JSON,
  insufficientCredits,
  invalid,
  type PaidContext,
  type Reply,
} from "./sandbox-paid-endpoints.js";
import { OUTCOME_ERRORS, outcomeFor } from "./sandbox-rules.js";
import { checkProfile, isPlainObject, type JsonParse, MAX_BATCH_SIZE } from "./sandbox-validate.js";

/**
 * POST /crm_basico_batch (1 credit per successful profile) and POST /crm_batch (`complete`: 2 credits per
 * successful profile, the complete analysis): all-or-nothing validation, then pay-per-success results.
 */
export function handleBatch(ctx: PaidContext, parsed: JsonParse, complete: boolean): Reply {
  const perProfile = complete ? 2 : 1;
  if (!parsed.ok) return invalid(INVALID_JSON);
  if (!isPlainObject(parsed.value)) return invalid("Body must be a JSON object");
  const profiles = parsed.value.profiles;
  if (!Array.isArray(profiles)) return invalid("profiles must be an array");
  ctx.stats.data.batchSizes.push(profiles.length);
  if (complete) ctx.stats.data.completeBatchSizes.push(profiles.length);
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
  if (ctx.ledger.balance(ctx.key) < profiles.length * perProfile) {
    return insufficientCredits(ctx, profiles.length, perProfile);
  }

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
      return { success: true, ...base, analise: analiseFor(profile, complete, outcome === "hostile") };
    }
    const failure = OUTCOME_ERRORS[outcome];
    return { success: false, ...base, error: failure.error, error_code: failure.error_code };
  });
  const successful = results.filter((result) => result.success).length;
  charge(ctx, successful * perProfile);
  ctx.stats.data.profilesSucceeded += successful;
  if (complete) ctx.stats.data.completeProfilesSucceeded += successful;
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
        creditos_por_perfil: perProfile,
        perfis_processados: successful,
        ...billing(ctx, successful * perProfile),
      },
    },
  };
}
