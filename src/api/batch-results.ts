import { z } from "zod";
import { ProtocolError } from "./errors.js";
import { isRecord, str } from "./json-values.js";
import type { Analise, BillingInfo, ProfileResult } from "./types.js";

// Only what the mapping relies on is checked; every other field passes through untouched.
const batchEnvelope = z.looseObject({
  results: z.array(z.unknown()),
  billing_info: z.unknown().optional(),
});

const NO_USABLE_RESULT = "The API response had no usable result for this profile.";

/**
 * Turns a 200 batch body into exactly `profileCount` results in request order, matched by
 * `profile_index` (never by the echoed `input`, which may be partial). A row the body does not answer
 * usably becomes a retryable PROTOCOL_ERROR; a body without a `results` array is a ProtocolError.
 */
export function mapBatchResponse(
  body: unknown,
  profileCount: number,
): { results: ProfileResult[]; billing: BillingInfo | undefined } {
  const envelope = batchEnvelope.safeParse(body);
  if (!envelope.success) {
    throw new ProtocolError(
      "The API answered the batch without a results list; the batch may have been charged.",
      {
        status: 200,
        body,
        cause: envelope.error,
      },
    );
  }
  const slots: (ProfileResult | undefined)[] = new Array(profileCount).fill(undefined);
  for (const item of envelope.data.results) {
    const index = isRecord(item) ? item.profile_index : undefined;
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= profileCount) continue;
    if (slots[index] !== undefined) continue; // a duplicate: the first usable answer stands
    slots[index] = toResult(item as Record<string, unknown>, index);
  }
  const results = slots.map(
    (slot, index): ProfileResult =>
      slot ?? { index, ok: false, code: "PROTOCOL_ERROR", message: NO_USABLE_RESULT, retryable: true },
  );
  const billing = isRecord(envelope.data.billing_info)
    ? (envelope.data.billing_info as BillingInfo)
    : undefined;
  return { results, billing };
}

/** One result item, or undefined when it is neither a success with an analysis nor a failure. */
function toResult(item: Record<string, unknown>, index: number): ProfileResult | undefined {
  const failed =
    item.success === false || (item.success === undefined && !isRecord(item.analise) && isFailure(item));
  if (failed) {
    return {
      index,
      ok: false,
      code: str(item.error_code) ?? "UNKNOWN_ERROR",
      message:
        str(item.error) ??
        str(item.message) ??
        "The API reported a failure for this profile without a reason.",
      retryable: false,
    };
  }
  if (isRecord(item.analise)) return { index, ok: true, analise: item.analise as Analise };
  return undefined;
}

function isFailure(item: Record<string, unknown>): boolean {
  return str(item.error_code) !== undefined || str(item.error) !== undefined;
}
