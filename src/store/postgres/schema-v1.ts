import { claimFunctionSql } from "./claim-function.js";

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

${claimFunctionSql("claim")}
`;
