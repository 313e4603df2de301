import {
  SANDBOX_PLANS,
  type SandboxHandle,
  type SandboxOptions,
  type SandboxPlan,
} from "../sandbox/index.js";

const TIER_ACCESS: Record<string, string> = {
  complete: "Complete tier: every CRM endpoint, /crm_batch included",
  basic: "Basic tier: CRM endpoints except /crm_batch",
  none: "no CRM tier: utility endpoints only",
};

function gatewayLine(gateway: SandboxOptions["gateway"]): string {
  if (!gateway) return "Mode: the documented service answers (add --gateway for API Gateway's own).";
  const given = gateway === true ? {} : gateway;
  const parts = [
    `stage ${given.stage ?? "none"}`,
    `burst ${given.burst ?? 10}`,
    given.quota === undefined ? "each plan's monthly quota" : `quota ${given.quota} requests per key`,
    `integration timeout ${given.integrationTimeoutMs ?? 29_000} ms`,
  ];
  return `Mode: API Gateway in front of the service (${parts.join(", ")}).`;
}

function planLine(handle: SandboxHandle, plan: SandboxPlan, options: SandboxOptions): string {
  const credits = options.credits ?? plan.monthlyQuota;
  const quota = typeof options.gateway === "object" ? options.gateway.quota : undefined;
  const requests = options.gateway ? `, quota ${quota ?? plan.monthlyQuota} requests` : "";
  const access = TIER_ACCESS[plan.tier ?? "none"];
  return `  ${plan.id.padEnd(12)} ${handle.keys[plan.id]}  ${plan.name}, ${credits} credits${requests}, ${access}`;
}

/** What `fluence sandbox` prints once listening: URL, mode, one key per plan with its tier, examples. */
export function sandboxBanner(handle: SandboxHandle, options: SandboxOptions): string[] {
  const enterprise = handle.keys.enterprise;
  const lines = [`Fluence sandbox listening on ${handle.url}`];
  if (options.host && !["127.0.0.1", "localhost", "::1"].includes(options.host)) {
    lines.push(`Note: bound to ${options.host}, so other machines may reach it.`);
  }
  lines.push(gatewayLine(options.gateway));
  lines.push("Keys (one per plan):");
  for (const plan of SANDBOX_PLANS) lines.push(planLine(handle, plan, options));
  lines.push("Try:");
  lines.push(`  FLUENCE_BASE_URL=${handle.apiUrl} FLUENCE_API_KEY=${enterprise} fluence credits`);
  lines.push(`  curl -H "X-API-Key: ${enterprise}" ${handle.apiUrl}/creditos`);
  lines.push(`Stats: ${handle.url}/__sandbox/stats (POST ${handle.url}/__sandbox/reset to clear)`);
  return lines;
}
