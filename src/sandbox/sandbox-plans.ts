import type { SandboxPlanId } from "./sandbox-types.js";

export interface SandboxPlan {
  id: SandboxPlanId;
  /** Usage plan name as the overview documents it. */
  name: string;
  /** Value of `tipo_plano` in billing_info and /creditos; also `current_tier` in a 403. */
  tipoPlano: string;
  /** Word used in the 403 message: "Your professional tier API key ...". */
  tierWord: string;
  monthlyQuota: number;
  /**
   * The CRM tier: "complete" may call every CRM endpoint, "basic" all but /crm_batch, null none (platform
   * plans). Which plan has which tier is not published; this is the sandbox's documented rule.
   */
  tier: CrmTier | null;
}

export type CrmTier = "basic" | "complete";

export const UTILITY_ENDPOINTS = ["/health", "/status", "/creditos", "/tiers-disponiveis"] as const;
export const CRM_ENDPOINTS = ["/crm_basico", "/crm", "/crm_basico_batch", "/crm_batch"] as const;
export type CrmEndpoint = (typeof CRM_ENDPOINTS)[number];

/** The tier each CRM endpoint needs; a "complete" plan has everything a "basic" one has. */
const REQUIRED_TIER: Record<CrmEndpoint, CrmTier> = {
  "/crm_basico": "basic",
  "/crm": "basic",
  "/crm_basico_batch": "basic",
  "/crm_batch": "complete",
};
export const RATE_LIMIT_PER_MINUTE = 100;
export const UPGRADE_URL = "https://tryfluence.tech/upgrade";
/** `required_tier` of a 403, by the tier the endpoint needs. */
const REQUIRED_TIER_NAME: Record<CrmTier, string> = { basic: "crm_business", complete: "crm_enterprise" };
const TIER_LABEL: Record<CrmTier, string> = { basic: "CRM", complete: "Complete" };

export const SANDBOX_PLANS: readonly SandboxPlan[] = [
  {
    id: "enterprise",
    name: "CRM-Enterprise-Plan",
    tipoPlano: "enterprise_crm",
    tierWord: "enterprise",
    monthlyQuota: 10_000,
    tier: "complete",
  },
  {
    id: "business",
    name: "CRM-Business-Plan",
    tipoPlano: "business_crm",
    tierWord: "business",
    monthlyQuota: 5_000,
    tier: "basic",
  },
  {
    id: "professional",
    name: "Platform-Users-Professional",
    tipoPlano: "platform_professional",
    tierWord: "professional",
    monthlyQuota: 500,
    tier: null,
  },
  {
    id: "essentials",
    name: "Platform-Users-Essentials",
    tipoPlano: "platform_essentials",
    tierWord: "essentials",
    monthlyQuota: 100,
    tier: null,
  },
];

// A fixed alphanumeric tail so keys are 40 characters, recognisable by their "sbx<Plan>" prefix,
// and identical on every start (the README can print them).
const KEY_TAIL = "SandboxKey0123456789abcdefghijklmnopqrstuvwxyz";

/** The deterministic 40-character key of a plan, e.g. "sbxEnterpriseSandboxKey0123456789abcdefg". */
export function sandboxKeyFor(id: SandboxPlanId): string {
  const label = id.charAt(0).toUpperCase() + id.slice(1);
  return `sbx${label}${KEY_TAIL}`.slice(0, 40);
}

export const SANDBOX_KEYS: Record<SandboxPlanId, string> = {
  enterprise: sandboxKeyFor("enterprise"),
  business: sandboxKeyFor("business"),
  professional: sandboxKeyFor("professional"),
  essentials: sandboxKeyFor("essentials"),
};

/** The plan behind a key, or undefined for an unknown key. */
export function planForKey(key: string | undefined): SandboxPlan | undefined {
  if (!key) return undefined;
  return SANDBOX_PLANS.find((plan) => SANDBOX_KEYS[plan.id] === key);
}

/** Body of GET /tiers-disponiveis. */
export function tiersBody(): {
  tiers: { nome: string; cota_mensal: number; rate_limit_por_minuto: number; endpoints: string[] }[];
} {
  return {
    tiers: SANDBOX_PLANS.map((plan) => ({
      nome: plan.name,
      cota_mensal: plan.monthlyQuota,
      rate_limit_por_minuto: RATE_LIMIT_PER_MINUTE,
      endpoints: [...CRM_ENDPOINTS.filter((path) => canCall(plan, path)), ...UTILITY_ENDPOINTS],
    })),
  };
}

/** Whether the plan's tier covers the endpoint. */
export function canCall(plan: SandboxPlan, path: CrmEndpoint): boolean {
  return plan.tier === "complete" || (plan.tier === "basic" && REQUIRED_TIER[path] === "basic");
}

/**
 * The documented access-denied body (overview, "Access Denied Response Example"), for a plan whose tier
 * does not cover the endpoint. The sentence names the tier the endpoint needs.
 */
export function accessDeniedBody(plan: SandboxPlan, path: CrmEndpoint): Record<string, string> {
  const required = REQUIRED_TIER[path];
  return {
    error: `Access denied. Your ${plan.tierWord} tier API key cannot access ${path}. Upgrade to ${TIER_LABEL[required]} tier for access.`,
    error_code: "ACCESS_DENIED",
    current_tier: plan.tipoPlano,
    required_tier: REQUIRED_TIER_NAME[required],
    upgrade_url: UPGRADE_URL,
  };
}
