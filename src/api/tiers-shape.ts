import { isRecord } from "./json-values.js";
import type { TierInfo, TiersInfo } from "./types.js";

/**
 * The /tiers-disponiveis body as TiersInfo. The documented shape is only assumed, so also accepted:
 * a bare array, a `tiers` object keyed by tier name, and tiers given as plain names. Unknown fields are
 * kept. Returns undefined when the body is not an object or array at all.
 */
export function summarizeTiers(body: unknown): TiersInfo | undefined {
  if (Array.isArray(body)) return { tiers: toTierList(body) };
  if (!isRecord(body)) return undefined;
  const { tiers } = body;
  if (Array.isArray(tiers)) return { ...body, tiers: toTierList(tiers) };
  if (isRecord(tiers)) {
    const named = Object.entries(tiers).map(([nome, value]) =>
      isRecord(value) ? { nome, ...value } : { nome, value },
    );
    return { ...body, tiers: named };
  }
  return { ...body, tiers: [] };
}

function toTierList(items: unknown[]): TierInfo[] {
  return items.flatMap((item): TierInfo[] => {
    if (isRecord(item)) return [item as TierInfo];
    if (typeof item === "string") return [{ nome: item }];
    return [];
  });
}
