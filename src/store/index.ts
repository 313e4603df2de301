export { defaultStorePath } from "./default-store-path.js";
export { fingerprint } from "./fingerprint.js";
export { OutcomeStore } from "./outcome-store.js";
export { parseAge } from "./parse-age.js";
export type { ClaimResult, OpenStoreOptions, RunStart, StoredOutcome, StoreStats } from "./types.js";
