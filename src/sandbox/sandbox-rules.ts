import { foldLoose } from "../text/fold.js";

/** Company words that force an outcome (matched on the accent- and case-folded company, as a substring). */
export const SANDBOX_RESERVED = {
  /** PROFILE_NOT_FOUND (404 on single endpoints, charged). */
  notFound: "fantasma",
  /** MULTIPLE_MATCHES (409, charged) unless contexto_adicional is non-empty. */
  multipleMatches: "homonimos",
  /** INSUFFICIENT_DATA (422, not charged). */
  insufficientData: "sigilosa",
  /** Success, with formula-like and control-character text in the analysis. */
  hostile: "hostil",
} as const;

export type ProfileOutcome = "success" | "hostile" | "not_found" | "multiple_matches" | "insufficient_data";

/** The forced outcome of a profile; the first matching word wins, in the order of SANDBOX_RESERVED. */
export function outcomeFor(empresa: string, contextoAdicional: string | undefined): ProfileOutcome {
  const company = foldLoose(empresa);
  if (company.includes(SANDBOX_RESERVED.notFound)) return "not_found";
  if (company.includes(SANDBOX_RESERVED.multipleMatches)) {
    return foldLoose(contextoAdicional) === "" ? "multiple_matches" : "success";
  }
  if (company.includes(SANDBOX_RESERVED.insufficientData)) return "insufficient_data";
  if (company.includes(SANDBOX_RESERVED.hostile)) return "hostile";
  return "success";
}

export interface OutcomeError {
  status: number;
  error: string;
  error_code: string;
  message: string;
  charged: boolean;
}

/** HTTP status, body text and charging of each failing outcome (overview: "Credit Refund Policy"). */
export const OUTCOME_ERRORS: Record<"not_found" | "multiple_matches" | "insufficient_data", OutcomeError> = {
  not_found: {
    status: 404,
    error: "Profile not found",
    error_code: "PROFILE_NOT_FOUND",
    message: "No professional profile matches this name and company.",
    charged: true,
  },
  multiple_matches: {
    status: 409,
    error: "Multiple matches found",
    error_code: "MULTIPLE_MATCHES",
    message: "Several people match this name and company; add contexto_adicional to tell them apart.",
    charged: true,
  },
  insufficient_data: {
    status: 422,
    error: "Insufficient data",
    error_code: "INSUFFICIENT_DATA",
    message: "Not enough public data to analyse this profile.",
    charged: false,
  },
};
