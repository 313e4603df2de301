// Generated inputs and seeded stores under bench/.data/ (gitignored), reused across runs when a marker
// says they were completed by the same generator version, so a re-run does not pay for seeding again.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writePeopleCsv } from "./generate-inputs.mjs";
import { seedStore } from "./seed-store.mjs";

export const DATA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), ".data");

/** Bump when generate-inputs.mjs or seed-store.mjs change what they write. */
const GENERATOR_VERSION = 2;
/** A seeded store older than this is rebuilt: fluence only reuses outcomes younger than --max-age (30d). */
const MAX_REUSE_AGE_MS = 7 * 24 * 3600 * 1000;

export function dataPath(name) {
  mkdirSync(DATA_DIR, { recursive: true });
  return path.join(DATA_DIR, name);
}

function reusable(file, rows) {
  const marker = `${file}.done.json`;
  if (!existsSync(file) || !existsSync(marker)) return false;
  try {
    const m = JSON.parse(readFileSync(marker, "utf8"));
    return m.version === GENERATOR_VERSION && m.rows === rows && Date.now() - m.createdAt < MAX_REUSE_AGE_MS;
  } catch {
    return false;
  }
}

function markDone(file, rows) {
  writeFileSync(
    `${file}.done.json`,
    JSON.stringify({ version: GENERATOR_VERSION, rows, createdAt: Date.now() }),
  );
}

/** bench/.data/people-<rows>.csv, generated unless a complete one exists. Returns { file, reused }. */
export async function ensurePeopleCsv(rows) {
  const file = dataPath(`people-${rows}.csv`);
  if (reusable(file, rows)) return { file, reused: true };
  await writePeopleCsv(file, rows);
  markDone(file, rows);
  return { file, reused: false };
}

/** A store holding an "ok" outcome for each of the first `rows` people. Returns { file, reused, seedMs }. */
export async function ensureSeededStore(rows) {
  const file = dataPath(`seeded-${rows}.sqlite`);
  if (reusable(file, rows)) return { file, reused: true, seedMs: 0 };
  removeStore(file);
  const started = performance.now();
  await seedStore(file, rows);
  markDone(file, rows);
  return { file, reused: false, seedMs: performance.now() - started };
}

export function removeStore(file) {
  for (const suffix of ["", "-wal", "-shm", "-journal", ".done.json"])
    rmSync(`${file}${suffix}`, { force: true });
}

/** A fresh, empty store path for one run. */
export function freshStorePath(name) {
  const file = dataPath(`${name}.sqlite`);
  removeStore(file);
  return file;
}
