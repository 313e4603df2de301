import type { QueryConfig } from "pg";

/**
 * Every statement of the PostgreSQL store. Each is one round trip and one implicit transaction; named, so
 * the server parses and plans it once per connection.
 */
const ms = (param: string) => `make_interval(secs => ${param}::bigint / 1000.0)`;

/** The server's clock now, in ms epoch: schedule times are on it, whatever the machines' clocks say. */
const CLOCK_MS = "(extract(epoch FROM clock_timestamp()) * 1000)::float8";

const OUTCOME_COLUMNS = "fp, endpoint, kind, analise, code, message, fetched_at, run_id";

export const SQL = {
  beginRun: {
    name: "fluence_begin_run",
    // The run holds a session advisory lock on its id for as long as its connection lives: another run
    // that can take it knows this one is gone (fluence.run_gone). Runs whose lease expired or whose lock
    // is free are marked ended; their claims, and any whose lease expired, are what they left in flight.
    // The claims are locked in key order, as claims take them, before they are deleted.
    text: `WITH me AS (
             INSERT INTO fluence.runs (id, host, pid, started_at, lease_until, key_id, holds_lock, session_pid)
             VALUES ($1, $2, $3, $4, now() + ${ms("$5")}, $6, true, pg_backend_pid())
           ), dead AS (
             UPDATE fluence.runs SET ended_at = $4
              WHERE ended_at IS NULL AND (lease_until <= now() OR (holds_lock AND id <> $1 AND fluence.run_gone(id)))
             RETURNING id
           ), expired AS (
             SELECT fp, endpoint FROM fluence.inflight
              WHERE lease_until <= now() OR run_id IN (SELECT id FROM dead)
              ORDER BY fp, endpoint FOR UPDATE
           ), stale AS (
             DELETE FROM fluence.inflight AS i USING expired AS e
              WHERE i.fp = e.fp AND i.endpoint = e.endpoint RETURNING 1
           )
           SELECT (SELECT count(*) FROM stale)::int AS stale_inflight,
                  (SELECT count(*) FROM dead)::int AS stale_runs,
                  pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`,
  },
  peekStale: {
    name: "fluence_peek_stale",
    text: `SELECT count(*)::int AS n FROM fluence.inflight
            WHERE lease_until <= now()
               OR run_id IN (SELECT id FROM fluence.runs WHERE ended_at IS NULL AND holds_lock AND fluence.run_gone(id))`,
  },
  heartbeat: {
    name: "fluence_heartbeat",
    // A run another process marked dead while it was merely slow is alive after all: ended_at is cleared.
    text: `WITH run AS (
             UPDATE fluence.runs SET lease_until = now() + ${ms("$2")}, ended_at = NULL WHERE id = $1
           ), mine AS (
             SELECT fp, endpoint FROM fluence.inflight WHERE run_id = $1 ORDER BY fp, endpoint FOR UPDATE
           )
           UPDATE fluence.inflight AS i SET lease_until = now() + ${ms("$2")}
             FROM mine WHERE i.fp = mine.fp AND i.endpoint = mine.endpoint AND i.run_id = $1`,
  },
  lookup: {
    name: "fluence_lookup",
    // The serving rule (serving-rule.ts): the run's own endpoint, or the other one's outcomes of an allowed
    // kind; both probed through the primary key (fp, endpoint).
    text: `SELECT ${OUTCOME_COLUMNS} FROM fluence.outcomes
            WHERE fp = ANY ($1::text[]) AND endpoint IN ($2, $3) AND fetched_at >= $5
              AND (endpoint = $2 OR $4::boolean OR kind = 'error')`,
  },
  claim: {
    name: "fluence_claim_paced",
    text: "SELECT * FROM fluence.claim_paced($1, $2, $3, $4, $5, $6::text[], $7, $8, $9, $10, $11, $12, $13)",
  },
  keyShare: {
    name: "fluence_key_share",
    text: `SELECT k.rate, k.quota_at, coalesce(k.pause_until, 0) AS pause_until, ${CLOCK_MS} AS store_now,
                  (SELECT count(*)::int FROM fluence.runs AS r
                    WHERE r.key_id = $1 AND r.ended_at IS NULL AND r.lease_until > now()) AS runs
             FROM (SELECT 1) AS one LEFT JOIN fluence.key_rate AS k ON k.key_id = $1`,
  },
  keyThrottled: {
    name: "fluence_key_throttled",
    // key-schedule.ts's throttleRow: one drop per round of requests, a Retry-After holds every start.
    text: `UPDATE fluence.key_rate AS k SET
             rate = CASE WHEN $2::float8 >= k.last_decrease THEN greatest($5::float8, k.rate * $4::float8)
                         ELSE k.rate END,
             last_decrease = CASE WHEN $2::float8 >= k.last_decrease THEN c.now ELSE k.last_decrease END,
             pause_until = greatest(k.pause_until, c.now + coalesce($3::float8, 0))
             FROM (SELECT ${CLOCK_MS} AS now) AS c
            WHERE k.key_id = $1`,
  },
  keyQuotaSpent: {
    name: "fluence_key_quota_spent",
    text: `UPDATE fluence.key_rate SET quota_at = ${CLOCK_MS} WHERE key_id = $1`,
  },
  fleetRuns: {
    name: "fluence_fleet_runs",
    // Runs on the key whose span overlapped this one's, on the runs' own clocks (started_at, ended_at).
    text: `SELECT count(*)::int AS n FROM fluence.runs AS r, fluence.runs AS me
            WHERE me.id = $2 AND r.key_id = $1
              AND (r.id = me.id OR (r.started_at <= $3 AND coalesce(r.ended_at, $3) >= me.started_at))`,
  },
  commitBatch: {
    name: "fluence_commit_batch",
    // Outcomes stored and this run's claims released in one statement, so atomically; in key order, so
    // two runs committing the same people cannot deadlock.
    text: `WITH batch AS (
             SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                        AS b(fp, kind, analise, code, message)
           ), stored AS (
             INSERT INTO fluence.outcomes AS o (${OUTCOME_COLUMNS})
             SELECT b.fp, $1, b.kind, b.analise, b.code, b.message, $8, $2 FROM batch AS b
              ORDER BY b.fp COLLATE "C"
             ON CONFLICT (fp, endpoint) DO UPDATE SET
               kind = excluded.kind, analise = excluded.analise, code = excluded.code,
               message = excluded.message, fetched_at = excluded.fetched_at, run_id = excluded.run_id
             RETURNING 1
           ), released AS (
             DELETE FROM fluence.inflight WHERE endpoint = $1 AND run_id = $2 AND fp = ANY ($9::text[])
             RETURNING 1
           )
           SELECT (SELECT count(*) FROM stored)::int AS stored, (SELECT count(*) FROM released)::int AS released`,
  },
  release: {
    name: "fluence_release",
    text: "DELETE FROM fluence.inflight WHERE endpoint = $1 AND run_id = $2 AND fp = ANY ($3::text[])",
  },
  endRun: {
    name: "fluence_end_run",
    text: `WITH released AS (DELETE FROM fluence.inflight WHERE run_id = $1),
                ended AS (UPDATE fluence.runs SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL)
           SELECT pg_advisory_unlock(hashtextextended($1, 0)) AS unlocked`,
  },
  stats: {
    name: "fluence_stats",
    text: `SELECT count(*)::bigint AS outcomes,
                  count(*) FILTER (WHERE kind = 'ok')::bigint AS ok,
                  count(*) FILTER (WHERE kind = 'error')::bigint AS errors,
                  min(fetched_at) AS oldest, max(fetched_at) AS newest,
                  (SELECT count(*) FROM fluence.inflight)::bigint AS inflight,
                  (SELECT count(*) FROM fluence.runs)::bigint AS runs,
                  (SELECT coalesce(json_agg(json_build_object('id', r.id, 'host', r.host, 'pid', r.pid,
                                   'started_at', r.started_at, 'key_id', r.key_id) ORDER BY r.started_at), '[]')
                     FROM fluence.runs AS r WHERE r.ended_at IS NULL AND r.lease_until > now()) AS active,
                  (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class AS c
                     JOIN pg_namespace AS n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'fluence' AND c.relkind = 'r')::bigint AS size_bytes
             FROM fluence.outcomes`,
  },
  prune: {
    name: "fluence_prune",
    text: `WITH runs_gone AS (
             DELETE FROM fluence.runs WHERE ended_at IS NOT NULL AND ended_at < $1
           ), gone AS (
             DELETE FROM fluence.outcomes WHERE fetched_at < $1 RETURNING 1
           )
           SELECT count(*)::int AS deleted FROM gone`,
  },
} satisfies Record<string, QueryConfig>;
