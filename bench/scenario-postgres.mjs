// Scenario 8: a re-run served entirely from a PostgreSQL store on loopback against the same from SQLite
// (issue 15): the same 100,000-row input and the same seeded outcomes, runs alternating between backends.
import { rmSync } from "node:fs";
import { startSandbox } from "../dist/sandbox/index.js";
import { fmt, markdownTable, median } from "./bench-math.mjs";
import { dataPath, ensurePeopleCsv, ensureSeededStore } from "./data-files.mjs";
import { rel, runFluence } from "./fluence-run.mjs";
import { seededPostgresStore, startBenchPostgres } from "./postgres-store.mjs";

/**
 * @param {{ rows: number, runs: number, cpuProfDir?: string, log: (line: string) => void }} spec
 */
export async function measurePostgresRerun(spec) {
  const csv = await ensurePeopleCsv(spec.rows);
  const sqlite = await ensureSeededStore(spec.rows);
  spec.log(
    `  ${fmt(spec.rows)} rows; SQLite store ${sqlite.reused ? "reused" : "seeded"}: ${rel(sqlite.file)}`,
  );
  const pg = await startBenchPostgres();
  const sandbox = await startSandbox({ credits: 100_000_000 });
  try {
    const seeded = await seededPostgresStore(pg.server, spec.rows);
    spec.log(`  PostgreSQL ${pg.server.version ?? ""} store seeded in ${fmt(seeded.seedMs / 1000, 1)} s`);
    const backends = [
      { name: "SQLite", store: sqlite.file, env: {} },
      { name: "PostgreSQL", store: seeded.spec, env: pg.env },
    ];
    const runs = [];
    for (let i = 1; i <= spec.runs; i++) {
      for (const backend of backends) {
        sandbox.resetStats();
        const outDir = dataPath("pg-rerun-out");
        const r = await runFluence({
          sandbox,
          input: csv.file,
          store: backend.store,
          env: backend.env,
          outDir,
          cpuProfDir: spec.cpuProfDir,
          countErrorRows: false,
        });
        rmSync(outDir, { recursive: true, force: true });
        const batchRequests = r.stats.requests["POST /crm_basico_batch"] ?? 0;
        if (r.code !== 0 || batchRequests !== 0 || r.summary?.from_store !== spec.rows) {
          throw new Error(
            `the ${backend.name} re-run was not served from the store: exit ${r.code}, ${batchRequests} batch requests, from_store ${r.summary?.from_store}`,
          );
        }
        const run = {
          backend: backend.name,
          run: i,
          wallMs: r.wallMs,
          durationMs: r.summary.duration_ms,
          cpuS: r.cpuS,
          maxRSSMB: r.maxRSSMB,
          command: r.command,
        };
        runs.push(run);
        spec.log(
          `    run ${i}/${spec.runs} ${backend.name}: ${fmt(run.wallMs / 1000, 2)} s wall, ${fmt(run.cpuS, 1)} CPU s, ${fmt(run.maxRSSMB)} MB`,
        );
      }
    }
    return { rows: spec.rows, runs, seedMs: seeded.seedMs, version: pg.server.version };
  } finally {
    await sandbox.close();
    await pg.stop();
  }
}

/** Scenario 8's Markdown block: medians per backend and the ratio PostgreSQL / SQLite. */
export function postgresSection(m) {
  const of = (name, key) => median(m.runs.filter((r) => r.backend === name).map((r) => r[key]));
  const ratio = of("PostgreSQL", "wallMs") / of("SQLite", "wallMs");
  const table = markdownTable(
    ["backend", "run", "wall s", "duration_ms", "CPU s", "peak RSS MB"],
    [
      ...m.runs.map((r) => [
        r.backend,
        String(r.run),
        fmt(r.wallMs / 1000, 2),
        fmt(r.durationMs),
        fmt(r.cpuS, 1),
        fmt(r.maxRSSMB),
      ]),
      ...["SQLite", "PostgreSQL"].map((name) => [
        `**${name}**`,
        "median",
        fmt(of(name, "wallMs") / 1000, 2),
        fmt(of(name, "durationMs")),
        fmt(of(name, "cpuS"), 1),
        fmt(of(name, "maxRSSMB")),
      ]),
    ],
  );
  const pgRun = m.runs.find((r) => r.backend === "PostgreSQL");
  const markdown = [
    `Input: \`${fmt(m.rows)}\`-row bench file, every person already in the store (seeded through \`openStore\`, the sandbox's analyses); the PostgreSQL server (${m.version ?? "the tests' harness"}) runs on loopback in a temp dir with fsync off, started by \`bench/postgres-store.mjs\`; seeding it took ${fmt(m.seedMs / 1000, 1)} s. Each run is asserted to send no batch and to serve every row from the store. Runs alternate between the backends.`,
    "",
    "```sh",
    pgRun?.command ?? "",
    "```",
    "",
    table,
    "",
    `- Wall-time ratio PostgreSQL / SQLite (medians): **${fmt(ratio, 2)}**. No target is set; the issue asks for the comparison.`,
  ].join("\n");
  return {
    targets: [
      {
        scenario: "8",
        target: "PostgreSQL re-run vs SQLite (no target)",
        figure: `${fmt(ratio, 2)}x wall`,
        verdict: "REPORTED",
      },
    ],
    markdown,
  };
}
