export { defaultStorePath } from "./default-store-path.js";
export { fingerprint } from "./fingerprint.js";
export { isPostgresSpec, openStore } from "./open-store.js";
export { parseAge } from "./parse-age.js";
export { PostgresStore, type PostgresStoreOptions } from "./postgres/postgres-store.js";
export { ENDPOINT_OF, servingRule } from "./serving-rule.js";
export { SqliteStore } from "./sqlite-store.js";
export type {
  ActiveRun,
  Analysis,
  ClaimResult,
  KeyShare,
  NewOutcome,
  OpenStoreOptions,
  OutcomeStore,
  RunStart,
  SlotGrant,
  SlotRequest,
  StoreBackend,
  StoredOutcome,
  StoreStats,
  ThrottleReport,
} from "./types.js";
