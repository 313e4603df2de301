import type { SlotRequest, ThrottleReport } from "./types.js";

/**
 * The key's shared schedule, in the manner of GCRA (virtual scheduling): one theoretical arrival time (tat)
 * that every start of every run advances by one gap, so that the fleet together starts at most the key's
 * rate and each start takes the next free slot. The same rules run as SQL in PostgreSQL (schema-v2.ts);
 * this is SQLite's, on this host's clock, inside the claim's transaction.
 */
export interface KeyRateRow {
  /** ms epoch: the next free slot. */
  tat: number;
  /** The shared rate now, starts per minute. */
  rate: number;
  /** No start before this (a Retry-After). */
  pauseUntil: number;
  /** When the rate last dropped: one drop per round of requests. */
  lastDecrease: number;
  quotaAt: number | null;
}

/**
 * Takes the next start. A slot already in the past by less than a gap is still taken as planned (a late
 * timer is absorbed rather than stretching every later gap, as the local pacer does), so no window ever
 * holds more starts than the rate allows; after an idle spell the schedule restarts from now.
 */
export function takeSlot(
  found: KeyRateRow | undefined,
  request: SlotRequest,
  now: number,
): { row: KeyRateRow; slot: number; gapMs: number } {
  const row: KeyRateRow = found
    ? { ...found }
    : { tat: now, rate: request.targetPerMinute, pauseUntil: 0, lastDecrease: 0, quotaAt: null };
  row.rate = Math.min(request.targetPerMinute, row.rate + request.recoveryPerMinute * request.healthy);
  const gapMs = Math.max(request.minGapMs, 60_000 / row.rate);
  const planned = now - row.tat <= gapMs ? row.tat : now;
  const slot = Math.max(planned, row.pauseUntil);
  row.tat = slot + gapMs;
  return { row, slot, gapMs };
}

/** A throttling answer: the shared rate drops once per round; a Retry-After holds every start. */
export function throttleRow(found: KeyRateRow, report: ThrottleReport, now: number): KeyRateRow {
  const row = { ...found };
  if (report.startedAt >= row.lastDecrease) {
    row.rate = Math.max(report.floorPerMinute, row.rate * report.decreaseRatio);
    row.lastDecrease = now;
  }
  if (report.retryAfterMs !== undefined) row.pauseUntil = Math.max(row.pauseUntil, now + report.retryAfterMs);
  return row;
}
