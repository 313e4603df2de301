import { claimFunctionSql } from "./claim-function.js";

/**
 * Version 2: one key, many machines. The key's shared schedule (`key_rate`, one row per hash of key and
 * base URL, never the key), which key each run paces, and whether the run holds its session advisory lock
 * (so a run whose connection is gone frees its people at once). Schedule times are ms epoch on the
 * server's clock (clock_timestamp(), not the transaction's now(): a slot is a moment, not a snapshot), so
 * machines whose clocks disagree still share one timeline. Version 1's `fluence.claim` stays for an older
 * fluence on the same database.
 */
export const SCHEMA_V2 = `
ALTER TABLE fluence.runs ADD COLUMN key_id text;
ALTER TABLE fluence.runs ADD COLUMN holds_lock boolean NOT NULL DEFAULT false;
ALTER TABLE fluence.runs ADD COLUMN session_pid integer;
CREATE INDEX runs_key_live ON fluence.runs (key_id) WHERE ended_at IS NULL;

CREATE TABLE fluence.key_rate (
  key_id text PRIMARY KEY,
  tat float8 NOT NULL,
  rate float8 NOT NULL,
  pause_until float8 NOT NULL DEFAULT 0,
  last_decrease float8 NOT NULL DEFAULT 0,
  quota_at float8
);

-- A run holds a session advisory lock on its id while its connection lives: if another session can take
-- it, the run is gone (killed, its machine lost its connection). The lock is let go at once. A run of
-- the caller's own session is alive: its lock is re-entrant there, and taking it again would succeed.
CREATE FUNCTION fluence.run_gone(p_run text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $gone$
BEGIN
  IF EXISTS (SELECT 1 FROM fluence.runs AS r WHERE r.id = p_run AND r.session_pid = pg_backend_pid()) THEN
    RETURN false;
  END IF;
  IF pg_try_advisory_lock(hashtextextended(p_run, 0)) THEN
    PERFORM pg_advisory_unlock(hashtextextended(p_run, 0));
    RETURN true;
  END IF;
  RETURN false;
END
$gone$;

${takeSlotSql()}
${claimFunctionSql("claim_paced")}
`;

/**
 * The key's next start, as key-schedule.ts does it for SQLite: the row locked, the rate recovered by the
 * healthy answers the caller saw, the slot the schedule's next free one (a late one still taken as
 * planned, a stale one restarted from now, never before a Retry-After), the schedule advanced one gap.
 */
function takeSlotSql(): string {
  return `
CREATE FUNCTION fluence.take_slot(
  p_key text, p_target float8, p_recovery float8, p_healthy integer, p_min_gap float8
) RETURNS TABLE (wait_ms float8, rate float8, store_now float8, quota_at float8, runs integer)
LANGUAGE plpgsql VOLATILE AS $slot$
#variable_conflict use_column
DECLARE
  v_now float8 := extract(epoch FROM clock_timestamp()) * 1000;
  v_row fluence.key_rate%ROWTYPE;
  v_gap float8;
  v_slot float8;
BEGIN
  INSERT INTO fluence.key_rate AS k (key_id, tat, rate) VALUES (p_key, v_now, p_target)
    ON CONFLICT (key_id) DO NOTHING;
  SELECT * INTO v_row FROM fluence.key_rate AS k WHERE k.key_id = p_key FOR UPDATE;
  v_row.rate := least(p_target, v_row.rate + p_recovery * p_healthy);
  v_gap := greatest(p_min_gap, 60000.0 / v_row.rate);
  v_slot := greatest(CASE WHEN v_now - v_row.tat <= v_gap THEN v_row.tat ELSE v_now END, v_row.pause_until);
  UPDATE fluence.key_rate AS k SET tat = v_slot + v_gap, rate = v_row.rate WHERE k.key_id = p_key;
  RETURN QUERY SELECT greatest(0, v_slot - v_now), v_row.rate, v_now, v_row.quota_at,
    (SELECT count(*)::int FROM fluence.runs AS r
      WHERE r.key_id = p_key AND r.ended_at IS NULL AND r.lease_until > now());
END
$slot$;`;
}
