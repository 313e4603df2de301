import type { Ledger } from "./sandbox-ledger.js";
import type { Reply } from "./sandbox-paid-endpoints.js";
import { CRM_ENDPOINTS, type SandboxPlan, tiersBody, UTILITY_ENDPOINTS } from "./sandbox-plans.js";

export const SANDBOX_VERSION = "sandbox-1.0.0";

export interface UtilityContext {
  key: string;
  plan: SandboxPlan;
  ledger: Ledger;
  unhealthy: boolean;
  uptimeSeconds: number;
  /** Gateway mode: the key's usage-plan quota and the requests counted against it (this one included). */
  quota?: { limit: number; used: number };
}

export type UtilityPath = (typeof UTILITY_ENDPOINTS)[number];

export function handleUtility(path: UtilityPath, ctx: UtilityContext): Reply {
  switch (path) {
    case "/health":
      return ctx.unhealthy
        ? { status: 503, body: { status: "degraded", message: "Analysis backend is degraded" } }
        : { status: 200, body: { status: "ok" } };
    case "/status": {
      const state = ctx.unhealthy ? "degraded" : "operational";
      const endpoints = Object.fromEntries(
        [...CRM_ENDPOINTS, ...UTILITY_ENDPOINTS].map((name) => [name, state]),
      );
      return {
        status: ctx.unhealthy ? 503 : 200,
        body: { status: state, version: SANDBOX_VERSION, uptime_s: ctx.uptimeSeconds, endpoints },
      };
    }
    case "/creditos": {
      const body: Record<string, unknown> = {
        creditos_restantes: ctx.ledger.balance(ctx.key),
        creditos_utilizados: ctx.ledger.used(ctx.key),
        cota_mensal: ctx.quota?.limit ?? ctx.plan.monthlyQuota,
        tipo_plano: ctx.plan.tipoPlano,
      };
      // Assumed field name: the vendor does not publish how /creditos reports requests used against the
      // usage plan's quota, only that quotas count requests.
      if (ctx.quota) body.requisicoes_utilizadas = ctx.quota.used;
      return { status: 200, body };
    }
    case "/tiers-disponiveis":
      return { status: 200, body: tiersBody() };
  }
}
