// A throwaway PostgreSQL server for benchmarks (the tests' own harness, test/helpers/postgres-server.mjs)
// and stores seeded in it. Run directly to get a seeded server to time `fluence enrich` against by hand:
//   node bench/postgres-store.mjs 100000     (prints FLUENCE_STORE and PGPASSWORD, stops on Ctrl-C)
import { fileURLToPath } from "node:url";
import { createDatabase, startPostgres } from "../test/helpers/postgres-server.mjs";
import { seedStore } from "./seed-store.mjs";

/**
 * Starts a server on a random loopback port in a temp dir; `stop()` removes it all.
 * @param {(line: string) => void} [log]
 */
export async function startBenchPostgres(log, options = {}) {
  const server = await startPostgres({ log, ...options });
  return {
    server,
    /** What a child `fluence` needs besides FLUENCE_STORE: the password, never in the URL it prints. */
    env: { PGPASSWORD: server.password },
    stop: () => server.stop(),
  };
}

/**
 * A new database of `server` holding an "ok" outcome for each of the first `rows` people of
 * generate-inputs.mjs, seeded through openStore like the SQLite stores of data-files.mjs.
 * Returns { spec, seedMs }: spec is the URL without the password (give it PGPASSWORD).
 */
export async function seededPostgresStore(server, rows) {
  const database = await createDatabase(server, `seeded_${rows}`);
  const withPassword = `postgres://${server.user}:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/${database}`;
  const started = performance.now();
  await seedStore(withPassword, rows);
  return { spec: server.url(database), seedMs: performance.now() - started };
}

async function main() {
  const rows = Number(process.argv[2] ?? 100_000);
  const pg = await startBenchPostgres((line) => process.stderr.write(`${line}\n`));
  try {
    const store = await seededPostgresStore(pg.server, rows);
    process.stderr.write(
      `seeded ${rows.toLocaleString("en-US")} outcomes in ${(store.seedMs / 1000).toFixed(1)} s\n`,
    );
    process.stdout.write(`FLUENCE_STORE=${store.spec}\nPGPASSWORD=${pg.server.password}\n`);
    process.stderr.write("Ctrl-C stops the server and removes it.\n");
    await new Promise((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
  } finally {
    await pg.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
