import type { CrmEndpoint } from "./sandbox-plans.js";
import type { UtilityPath } from "./sandbox-utility-endpoints.js";

export interface PaidRoute {
  kind: "paid";
  path: CrmEndpoint;
  /** A batch endpoint: body `{"profiles":[...]}`, subject to maxConcurrentBatches. */
  batch: boolean;
  /** The complete analysis, 2 credits per profile. */
  complete: boolean;
}

export type Route = { kind: "utility"; path: UtilityPath } | PaidRoute;

/** Every route of the API, by "METHOD /path" (below the gateway stage, if any). */
export const ROUTES: Record<string, Route> = {
  "GET /health": { kind: "utility", path: "/health" },
  "GET /status": { kind: "utility", path: "/status" },
  "GET /creditos": { kind: "utility", path: "/creditos" },
  "GET /tiers-disponiveis": { kind: "utility", path: "/tiers-disponiveis" },
  "POST /crm_basico": { kind: "paid", path: "/crm_basico", batch: false, complete: false },
  "POST /crm": { kind: "paid", path: "/crm", batch: false, complete: true },
  "POST /crm_basico_batch": { kind: "paid", path: "/crm_basico_batch", batch: true, complete: false },
  "POST /crm_batch": { kind: "paid", path: "/crm_batch", batch: true, complete: true },
};
