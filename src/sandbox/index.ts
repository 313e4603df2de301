export { parseStage } from "./sandbox-gateway.js";
export {
  type CrmTier,
  SANDBOX_KEYS,
  SANDBOX_PLANS,
  type SandboxPlan,
  sandboxKeyFor,
} from "./sandbox-plans.js";
export { SANDBOX_RESERVED } from "./sandbox-rules.js";
export { startSandbox } from "./sandbox-server.js";
export type {
  GatewayOptions,
  LatencySpell,
  SandboxFaults,
  SandboxHandle,
  SandboxOptions,
  SandboxPlanId,
  SandboxStats,
} from "./sandbox-types.js";
