/**
 * Version 1 of the PostgreSQL store, all in the schema `fluence` so that a team can use a database it
 * already has. Fingerprints and endpoints compare bytewise (COLLATE "C"): they are ASCII, "C" is the
 * fastest btree order, and every statement that locks claims in order uses that same order.
 *
 * Times: fetched_at, started_at and ended_at are the client's clock in ms, like SQLite's and like the
 * --max-age cutoff the same client computes. Leases are the server's clock (timestamptz, now()), so that
 * skew between the machines of a team cannot make a live run's claims look expired.
 */
export const SCHEMA_V1 = `
CREATE TABLE fluence.outcomes (
  fp text COLLATE "C" NOT NULL,
  endpoint text COLLATE "C" NOT NULL,
  kind text NOT NULL CHECK (kind IN ('ok', 'error')),
  analise text,
  code text,
  message text,
  fetched_at bigint NOT NULL,
  run_id text NOT NULL,
  PRIMARY KEY (fp, endpoint),
  CONSTRAINT outcomes_kind_fields
    CHECK ((kind = 'ok' AND analise IS NOT NULL) OR (kind = 'error' AND code IS NOT NULL))
);
-- No index on fetched_at: with one, the planner ANDed a scan of the whole of it into every lookup by
-- fingerprint (30 ms instead of 6 ms per 1,000 fps); prune and stats read the whole table anyway.

CREATE TABLE fluence.runs (
  id text PRIMARY KEY,
  host text NOT NULL,
  pid integer NOT NULL,
  started_at bigint NOT NULL,
  ended_at bigint,
  lease_until timestamptz NOT NULL
);

-- One row per person a live run is sending. A claim is held while its lease (renewed by its run's
-- heartbeat) has not expired; an expired one is stale: its run died and the person may have been charged.
CREATE TABLE fluence.inflight (
  fp text COLLATE "C" NOT NULL,
  endpoint text COLLATE "C" NOT NULL,
  run_id text NOT NULL,
  batch_id text NOT NULL,
  claimed_at timestamptz NOT NULL,
  lease_until timestamptz NOT NULL,
  PRIMARY KEY (fp, endpoint)
);
CREATE INDEX inflight_run ON fluence.inflight (run_id);
CREATE INDEX inflight_lease ON fluence.inflight (lease_until);

${claimFunctionSql()}
`;

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
 */
function claimFunctionSql(): string {
  const serves = (alias: string, fpMatch: string) => `
        ${alias}.${fpMatch} AND ${alias}.endpoint IN (p_own, p_other) AND ${alias}.fetched_at >= p_since
        AND (${alias}.endpoint = p_own OR p_other_ok OR ${alias}.kind = 'error')`;
  return `
CREATE FUNCTION fluence.claim(
  p_run text, p_batch text, p_own text, p_other text, p_other_ok boolean,
  p_fps text[], p_since bigint, p_lease_ms bigint
) RETURNS TABLE (
  fp text, claimed boolean, endpoint text, kind text, analise text, code text, message text,
  fetched_at bigint, run_id text
) LANGUAGE plpgsql VOLATILE AS $claim$
#variable_conflict use_column
DECLARE
  v_lease timestamptz := now() + make_interval(secs => p_lease_ms / 1000.0);
  v_claimed text[];
BEGIN
  UPDATE fluence.runs AS r SET lease_until = v_lease, ended_at = NULL WHERE r.id = p_run;

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

  RETURN QUERY
  WITH fresh AS (
    SELECT o.fp, o.endpoint, o.kind, o.analise, o.code, o.message, o.fetched_at, o.run_id
      FROM fluence.outcomes AS o
     WHERE ${serves("o", "fp = ANY (p_fps)")}
  ), given_back AS (
    DELETE FROM fluence.inflight AS i USING fresh AS f
     WHERE i.fp = f.fp AND i.endpoint = p_own AND i.run_id = p_run
  )
  SELECT f.fp::text, false, f.endpoint::text, f.kind, f.analise, f.code, f.message, f.fetched_at, f.run_id
    FROM fresh AS f
  UNION ALL
  SELECT c.fp, true, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text
    FROM unnest(v_claimed) AS c(fp)
   WHERE NOT EXISTS (SELECT 1 FROM fresh AS f WHERE f.fp = c.fp);
END
$claim$;`;
}
