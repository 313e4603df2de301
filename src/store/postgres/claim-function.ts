/**
 * One batch's claim in one round trip, correct under READ COMMITTED with any number of runs on any number
 * of hosts:
 * 1. Renew the caller's lease (a claim is always made under a lease that runs from now).
 * 2. Insert a claim for every fp without a fresh outcome; on conflict take it over only when it is this
 *    run's own or its lease expired. The conflict's WHERE sees the latest committed version of the claim
 *    row (it is locked first), so a live holder is never overridden, whatever this statement's snapshot.
 *    Rows are inserted in fp order, so two runs' claims lock in one order and cannot deadlock.
 * 3. A new statement takes a new snapshot: an outcome another run committed (releasing its claim) while
 *    step 2 ran is seen now; those fps are given back and returned as done, never sent twice.
 * Returns the fresh outcomes (claimed = false) and the fps now held (claimed = true); the rest are busy.
 *
 * `claim_paced` (schema v2) also, before step 2, frees the claims of holders whose session is gone (each
 * live run holds a session advisory lock on its id, which the server drops the moment the connection
 * closes: a kill -9 frees its people at once, not at the lease's end), and after it, when anyone was
 * claimed, takes the key's next start (fluence.take_slot) and returns it as one more row (fp NULL).
 */
export function claimFunctionSql(name: "claim" | "claim_paced"): string {
  const paced = name === "claim_paced";
  const serves = (alias: string, fpMatch: string) => `
        ${alias}.${fpMatch} AND ${alias}.endpoint IN (p_own, p_other) AND ${alias}.fetched_at >= p_since
        AND (${alias}.endpoint = p_own OR p_other_ok OR ${alias}.kind = 'error')`;
  return `
CREATE FUNCTION fluence.${name}(
  p_run text, p_batch text, p_own text, p_other text, p_other_ok boolean,
  p_fps text[], p_since bigint, p_lease_ms bigint${paced ? PACED_PARAMS : ""}
) RETURNS TABLE (
  fp text, claimed boolean, endpoint text, kind text, analise text, code text, message text,
  fetched_at bigint, run_id text${paced ? PACED_COLUMNS : ""}
) LANGUAGE plpgsql VOLATILE AS $claim$
#variable_conflict use_column
DECLARE
  v_lease timestamptz := now() + make_interval(secs => p_lease_ms / 1000.0);
  v_claimed text[];${paced ? "\n  v_holder text;\n  v_took boolean := false;\n  v_wait float8;\n  v_rate float8;\n  v_now float8;\n  v_quota float8;\n  v_runs integer;" : ""}
BEGIN
  UPDATE fluence.runs AS r SET lease_until = v_lease, ended_at = NULL WHERE r.id = p_run;
${paced ? RELEASE_DEAD_HOLDERS : ""}
  WITH won AS (
    INSERT INTO fluence.inflight AS i (fp, endpoint, run_id, batch_id, claimed_at, lease_until)
    SELECT w.fp, p_own, p_run, p_batch, now(), v_lease
      FROM (SELECT DISTINCT u.fp COLLATE "C" AS fp FROM unnest(p_fps) AS u(fp)) AS w
     WHERE NOT EXISTS (SELECT 1 FROM fluence.outcomes AS o WHERE ${serves("o", "fp = w.fp")})
     ORDER BY w.fp
    ON CONFLICT (fp, endpoint) DO UPDATE
       SET run_id = excluded.run_id, batch_id = excluded.batch_id,
           claimed_at = excluded.claimed_at, lease_until = excluded.lease_until
     WHERE i.run_id = p_run OR i.lease_until <= now()
    RETURNING i.fp
  )
  SELECT coalesce(array_agg(won.fp), '{}') INTO v_claimed FROM won;
${paced ? TAKE_SLOT : ""}
  RETURN QUERY
  WITH fresh AS (
    SELECT o.fp, o.endpoint, o.kind, o.analise, o.code, o.message, o.fetched_at, o.run_id
      FROM fluence.outcomes AS o
     WHERE ${serves("o", "fp = ANY (p_fps)")}
  ), given_back AS (
    DELETE FROM fluence.inflight AS i USING fresh AS f
     WHERE i.fp = f.fp AND i.endpoint = p_own AND i.run_id = p_run
  )
  SELECT f.fp::text, false, f.endpoint::text, f.kind, f.analise, f.code, f.message, f.fetched_at, f.run_id${paced ? NO_SLOT : ""}
    FROM fresh AS f
  UNION ALL
  SELECT c.fp, true, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text${paced ? NO_SLOT : ""}
    FROM unnest(v_claimed) AS c(fp)
   WHERE NOT EXISTS (SELECT 1 FROM fresh AS f WHERE f.fp = c.fp)${paced ? SLOT_ROW : ""};
END
$claim$;`;
}

const PACED_PARAMS = `,
  p_key text, p_target float8, p_recovery float8, p_healthy integer, p_min_gap float8`;

const PACED_COLUMNS = `,
  slot_wait_ms float8, slot_rate float8, store_now float8, quota_at float8, key_runs integer`;

const NO_SLOT = ", NULL::float8, NULL::float8, NULL::float8, NULL::float8, NULL::integer";

// Only runs that said they hold their lock (v2 fluence) are tested; an older fluence's claims keep the lease
// rule.
const RELEASE_DEAD_HOLDERS = `
  FOR v_holder IN
    SELECT DISTINCT i.run_id FROM fluence.inflight AS i JOIN fluence.runs AS r ON r.id = i.run_id
     WHERE i.fp = ANY (p_fps) AND i.endpoint = p_own AND i.run_id <> p_run AND i.lease_until > now()
       AND r.holds_lock
  LOOP
    IF fluence.run_gone(v_holder) THEN
      UPDATE fluence.runs AS r SET lease_until = now(),
             ended_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint
       WHERE r.id = v_holder AND r.ended_at IS NULL;
      UPDATE fluence.inflight AS i SET lease_until = now() WHERE i.run_id = v_holder;
    END IF;
  END LOOP;
`;

const TAKE_SLOT = `
  IF p_key IS NOT NULL AND cardinality(v_claimed) > 0 THEN
    SELECT t.wait_ms, t.rate, t.store_now, t.quota_at, t.runs INTO v_wait, v_rate, v_now, v_quota, v_runs
      FROM fluence.take_slot(p_key, p_target, p_recovery, p_healthy, p_min_gap) AS t;
    v_took := true;
  END IF;
`;

const SLOT_ROW = `
  UNION ALL
  SELECT NULL::text, NULL::boolean, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint,
         NULL::text, v_wait, v_rate, v_now, v_quota, v_runs
   WHERE v_took`;
