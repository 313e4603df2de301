import type { Analysis } from "./types.js";

/** The endpoint a run of each analysis sends to, which is also the key its outcomes are stored under. */
export const ENDPOINT_OF: Readonly<Record<Analysis, string>> = Object.freeze({
  basic: "crm_basico_batch",
  complete: "crm_batch",
});

/**
 * Which stored outcomes serve a run. A complete analysis contains the basic one, so it serves a basic run;
 * a basic analysis never serves a complete run. A terminal failure (not found, several matches) is about the
 * person, not the analysis, so it serves both. Both backends build their queries from this one rule.
 */
export interface ServingRule {
  /** Outcomes of any kind stored under this endpoint serve the run; preferred when both exist. */
  own: string;
  /** The other endpoint, and whether its successes serve too (else only its terminal failures). */
  other: string;
  otherOk: boolean;
}

export function servingRule(analysis: Analysis): ServingRule {
  return analysis === "basic"
    ? { own: ENDPOINT_OF.basic, other: ENDPOINT_OF.complete, otherOk: true }
    : { own: ENDPOINT_OF.complete, other: ENDPOINT_OF.basic, otherOk: false };
}

/** The outcome to use when both endpoints have one for a person: the run's own. */
export function preferOwn<T extends { endpoint: string }>(rule: ServingRule, a: T | undefined, b: T): T {
  if (a === undefined) return b;
  return b.endpoint === rule.own ? b : a;
}
