import type { QueryConfig } from "pg";

/**
 * Every statement of the PostgreSQL store. Each is one round trip and one implicit transaction; named, so
 * the server parses and plans it once per connection.
 */
const ms = (param: string) => `make_interval(secs => ${param}::bigint / 1000.0)`;

const OUTCOME_COLUMNS = "fp, endpoint, kind, analise, code, message, fetched_at, run_id";

export const SQL = {
  beginRun: {
    name: "fluence_begin_run",
    // Runs whose lease expired are marked ended; claims whose lease expired are what they left in flight.
    // The claims are locked in key order, as claims take them, before they are deleted.
    text: `WITH me AS (
             INSERT INTO fluence.runs (id, host, pid, started_at, lease_until)
             VALUES ($1, $2, $3, $4, now() + ${ms("$5")})
           ), dead AS (
             UPDATE fluence.runs SET ended_at = $4 WHERE ended_at IS NULL AND lease_until <= now() RETURNING 1
           ), expired AS (
             SELECT fp, endpoint FROM fluence.inflight WHERE lease_until <= now()
              ORDER BY fp, endpoint FOR UPDATE
           ), stale AS (
             DELETE FROM fluence.inflight AS i USING expired AS e
              WHERE i.fp = e.fp AND i.endpoint = e.endpoint RETURNING 1
           )
           SELECT (SELECT count(*) FROM stale)::int AS stale_inflight,
                  (SELECT count(*) FROM dead)::int AS stale_runs`,
  },
  peekStale: {
    name: "fluence_peek_stale",
    text: "SELECT count(*)::int AS n FROM fluence.inflight WHERE lease_until <= now()",
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
    name: "fluence_claim",
    text: "SELECT * FROM fluence.claim($1, $2, $3, $4, $5, $6::text[], $7, $8)",
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
    text: `WITH released AS (DELETE FROM fluence.inflight WHERE run_id = $1)
           UPDATE fluence.runs SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL`,
  },
  stats: {
    name: "fluence_stats",
    text: `SELECT count(*)::bigint AS outcomes,
                  count(*) FILTER (WHERE kind = 'ok')::bigint AS ok,
                  count(*) FILTER (WHERE kind = 'error')::bigint AS errors,
                  min(fetched_at) AS oldest, max(fetched_at) AS newest,
                  (SELECT count(*) FROM fluence.inflight)::bigint AS inflight,
                  (SELECT count(*) FROM fluence.runs)::bigint AS runs,
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
