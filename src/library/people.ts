import type { Analise, ProfileInput } from "../api/types.js";

/** One person to enrich, plus whatever the caller wants carried along to its outcome. */
export interface Person {
  primeiro_nome: string;
  ultimo_nome: string;
  empresa: string;
  contexto_adicional?: string | undefined;
  [extra: string]: unknown;
}

/** What is common to every outcome: the person as given, and how the run knew the answer. */
interface OutcomeBase<P> {
  person: P;
  /** Position of the person in the input, from 0. */
  index: number;
  /** The answer came from the store (an earlier run paid for it): no request, no credit. */
  fromStore: boolean;
  /** The same person (same fingerprint) appeared earlier in this input; no second request was made. */
  duplicate: boolean;
}

export interface EnrichedOutcome<P> extends OutcomeBase<P> {
  status: "enriched";
  analise: Analise;
}

export interface FailedOutcome<P> extends OutcomeBase<P> {
  status: "failed";
  /** The same codes the CLI writes to the errors file, e.g. PROFILE_NOT_FOUND, INSUFFICIENT_CREDITS. */
  code: string;
  message: string;
  /** Trying again later may succeed. */
  retryable: boolean;
  /** The request carrying this person may have been charged without an answer. */
  inDoubt: boolean;
}

export interface InvalidOutcome<P> extends OutcomeBase<P> {
  status: "invalid";
  code: "INVALID_ROW";
  message: string;
}

export type EnrichOutcome<P extends Person = Person> =
  | EnrichedOutcome<P>
  | FailedOutcome<P>
  | InvalidOutcome<P>;

const REQUIRED = ["primeiro_nome", "ultimo_nome", "empresa"] as const;

/**
 * The profile the API is sent, trimmed as the CLI trims CSV cells, so a person fingerprints the same
 * whether it came from a file or from code and the store serves both; or why the person cannot be sent.
 */
export function profileOf(person: Person): { profile: ProfileInput } | { invalid: string } {
  if (person === null || typeof person !== "object") {
    return { invalid: "Not an object with primeiro_nome, ultimo_nome and empresa; the person was not sent." };
  }
  const text = (value: unknown) => (typeof value === "string" ? value.trim() : "");
  const profile: ProfileInput = {
    primeiro_nome: text(person.primeiro_nome),
    ultimo_nome: text(person.ultimo_nome),
    empresa: text(person.empresa),
  };
  const contexto = text(person.contexto_adicional);
  if (contexto !== "") profile.contexto_adicional = contexto;
  const missing = REQUIRED.filter((key) => profile[key] === "");
  if (missing.length > 0) {
    const list = missing.join(", ");
    return {
      invalid: `Empty required field${missing.length > 1 ? "s" : ""} ${list}; the person was not sent.`,
    };
  }
  return { profile };
}
