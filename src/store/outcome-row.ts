import type { StoredOutcome } from "./types.js";

/** An outcomes row as SQLite returns it. */
export interface OutcomeRow {
  fp: string;
  endpoint: string;
  kind: "ok" | "error";
  analise: string | null;
  code: string | null;
  message: string | null;
  fetched_at: number;
  run_id: string;
}

export const OUTCOME_COLUMNS = "fp, endpoint, kind, analise, code, message, fetched_at, run_id";

/** Leaves absent columns out instead of carrying nulls, matching the optional fields of StoredOutcome. */
export function toOutcome(row: OutcomeRow): StoredOutcome {
  const outcome: StoredOutcome = {
    fp: row.fp,
    endpoint: row.endpoint,
    kind: row.kind,
    fetchedAt: Number(row.fetched_at),
    runId: row.run_id,
  };
  if (row.analise !== null) outcome.analise = row.analise;
  if (row.code !== null) outcome.code = row.code;
  if (row.message !== null) outcome.message = row.message;
  return outcome;
}
