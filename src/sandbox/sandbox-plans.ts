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
  crm: boolean;
}

export const UTILITY_ENDPOINTS = ["/health", "/status", "/creditos", "/tiers-disponiveis"] as const;
export const CRM_ENDPOINTS = ["/crm_basico", "/crm", "/crm_basico_batch"] as const;
export const RATE_LIMIT_PER_MINUTE = 100;
export const UPGRADE_URL = "https://tryfluence.tech/upgrade";
export const REQUIRED_CRM_TIER = "crm_business";

export const SANDBOX_PLANS: readonly SandboxPlan[] = [
  {
    id: "enterprise",
    name: "CRM-Enterprise-Plan",
    tipoPlano: "enterprise_crm",
    tierWord: "enterprise",
    monthlyQuota: 10_000,
    crm: true,
  },
  {
    id: "business",
    name: "CRM-Business-Plan",
    tipoPlano: "business_crm",
    tierWord: "business",
    monthlyQuota: 5_000,
    crm: true,
  },
  {
    id: "professional",
    name: "Platform-Users-Professional",
    tipoPlano: "platform_professional",
    tierWord: "professional",
    monthlyQuota: 500,
    crm: false,
  },
  {
    id: "essentials",
    name: "Platform-Users-Essentials",
    tipoPlano: "platform_essentials",
    tierWord: "essentials",
    monthlyQuota: 100,
    crm: false,
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
      endpoints: plan.crm ? [...CRM_ENDPOINTS, ...UTILITY_ENDPOINTS] : [...UTILITY_ENDPOINTS],
    })),
  };
}

/** The documented access-denied body for a platform key calling a CRM endpoint. */
export function accessDeniedBody(plan: SandboxPlan, path: string): Record<string, string> {
  return {
    error: `Access denied. Your ${plan.tierWord} tier API key cannot access ${path}. Upgrade to CRM tier for access.`,
    error_code: "ACCESS_DENIED",
    current_tier: plan.tipoPlano,
    required_tier: REQUIRED_CRM_TIER,
    upgrade_url: UPGRADE_URL,
  };
}
