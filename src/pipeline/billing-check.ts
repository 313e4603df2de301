import type { BillingCheck } from "./enrich-types.js";

/**
 * Users pay for every credit: compare what the API said it charged with what the successes should have
 * cost (each answer's creditos_por_perfil: 1 basic, 2 complete), and with how far the balance moved.
 * Another process using the same key in the meantime also shows up as a mismatch.
 */
export function checkBilling(input: {
  creditsReported: number;
  successes: number;
  /** What the successes should have cost, in credits. */
  expectedCharge: number;
  inDoubt: number;
  balanceBefore: number | undefined;
  balanceAfter: number | undefined;
}): BillingCheck {
  const problems: string[] = [];
  if (input.creditsReported !== input.expectedCharge) {
    problems.push(
      `the API reported ${input.creditsReported} credits used for ${input.successes} successful profiles, which should cost ${input.expectedCharge}`,
    );
  }
  const drop =
    input.balanceBefore !== undefined && input.balanceAfter !== undefined
      ? input.balanceBefore - input.balanceAfter
      : undefined;
  if (drop !== undefined && drop !== input.creditsReported) {
    const why =
      input.inDoubt > 0 ? ` (${input.inDoubt} profiles were in doubt: sent, but the answer was lost)` : "";
    problems.push(
      `the balance dropped by ${drop} while the responses account for ${input.creditsReported}${why}`,
    );
  }
  return {
    ok: problems.length === 0,
    credits_reported: input.creditsReported,
    successes: input.successes,
    balance_before: input.balanceBefore ?? null,
    balance_after: input.balanceAfter ?? null,
    balance_drop: drop ?? null,
    mismatch: problems.length > 0 ? `${problems.join("; ")}.` : null,
  };
}
