// Scenario 13: one API key, many machines (issue 19). Machines are processes on this host; they share one
// store (a PostgreSQL server on loopback, or one SQLite file) and one sandbox key. The ideal for B batches
// on one key at R requests a minute and mean latency L is (B - 1) x 60/R + L, whatever the number of
// machines. Efficiency is measured over the sending (first batch's arrival to the last batch's answer, as
// the ideal counts it) and over the wall clock (the first process spawned to the last exited: start-up of
// every process and the writing of its outputs included).
import { randomUUID } from "node:crypto";
import { PostgresStore } from "../dist/store/index.js";
import { createDatabase } from "../test/helpers/postgres-server.mjs";
import { allMet, fmt, fmtPercent, markdownTable, targetRow } from "./bench-math.mjs";
import { dataPath, removeStore } from "./data-files.mjs";
import { maxInWindow, measureFleet } from "./fleet-run.mjs";
import { startBenchPostgres } from "./postgres-store.mjs";
import { commandBlock } from "./run-tables.mjs";

/** The key of issue 19's figures, scaled 10x: 1,000 requests a minute (API Gateway's token bucket), 1.5-2.1 s. */
export const FLEET_SCALED = {
  gateway: true,
  rateLimit: 100,
  rateWindowMs: 6_000,
  latencyMs: 1_500,
  latencyJitterMs: 600,
};
/** The real plan: 100 requests a minute, 16-19 s a batch. */
export const FLEET_REAL = {
  gateway: true,
  rateLimit: 100,
  rateWindowMs: 60_000,
  latencyMs: 16_000,
  latencyJitterMs: 3_000,
};
const TARGET = { efficiency: 0.9, throttled: 0.01 };

/**
 * @param {{ machines: number[], people: number, sameFileRows: number, realEach: number, sqliteEach: number,
 *   costStarts: number, quick: boolean, log: (l: string) => void }} spec
 */
export async function measureFleetScenario(spec) {
  const pg = await startBenchPostgres();
  try {
    const fresh = async (name) => pg.server.url(await createDatabase(pg.server, name));
    const run = async (id, options) => {
      const r = await measureFleet({ id, env: pg.env, ...options });
      spec.log(
        `    ${id}: ${r.machines} machine(s), sending ${fmt(r.sendingMs / 1000, 1)} s (ideal ${fmt(r.idealMs / 1000, 1)}), efficiency ${fmt(r.efficiency, 3)} / wall ${fmt(r.wallEfficiency, 3)}, ${r.throttled} x 429, ${r.paidTwice} paid twice`,
      );
      return r;
    };
    spec.log(`  ${fmt(spec.people)} people on one key at 1,000/min, each machine its own:`);
    const own = [];
    for (const n of spec.machines) {
      own.push(
        await run(`s13-own-${n}`, {
          machines: n,
          rowsEach: Math.round(spec.people / n),
          store: await fresh(`own_${n}`),
          sandboxOptions: FLEET_SCALED,
          ratePerMinute: 1000,
          keyRatePerMinute: 1000,
        }),
      );
    }
    spec.log(`  ${fmt(spec.sameFileRows)} people, every machine on the same file:`);
    const same = [];
    for (const n of spec.machines) {
      same.push(
        await run(`s13-same-${n}`, {
          machines: n,
          rowsEach: spec.sameFileRows,
          sameFile: true,
          store: await fresh(`same_${n}`),
          sandboxOptions: FLEET_SCALED,
          ratePerMinute: 1000,
          keyRatePerMinute: 1000,
        }),
      );
    }
    spec.log(`  two processes on one SQLite file, ${fmt(spec.sqliteEach)} people each:`);
    const sqliteFile = dataPath("s13-shared.sqlite");
    removeStore(sqliteFile);
    const sqlite = await run("s13-sqlite", {
      machines: 2,
      rowsEach: spec.sqliteEach,
      store: sqliteFile,
      sandboxOptions: FLEET_SCALED,
      ratePerMinute: 1000,
      keyRatePerMinute: 1000,
    });
    removeStore(sqliteFile);
    spec.log(
      "  the cost of a start: the claim with and without the key's slot, on PostgreSQL over loopback...",
    );
    const cost = await startCost(await fresh("cost"), pg.env, spec.costStarts);
    spec.log(
      `    claim p50 ${fmt(cost.plain.p50, 3)} ms / with slot ${fmt(cost.paced.p50, 3)} ms; p95 ${fmt(cost.plain.p95, 3)} / ${fmt(cost.paced.p95, 3)} ms`,
    );
    spec.log(`  the real plan (100/min, 16-19 s), 4 machines x ${fmt(spec.realEach)} people (minutes)...`);
    const real = await run("s13-real", {
      machines: 4,
      rowsEach: spec.realEach,
      store: await fresh("real"),
      sandboxOptions: FLEET_REAL,
      ratePerMinute: 100,
      keyRatePerMinute: 100,
      timeoutMs: 30 * 60_000,
    });
    return { own, same, sqlite, real, cost, quick: spec.quick };
  } finally {
    await pg.stop();
  }
}

/**
 * One start's round trips in the store, timed in this process: the claim of 10 fresh people as a lone run
 * makes it (no key), and with the key's slot folded in. Same statement count (one); the figure is the
 * time the slot adds. Also the re-read of the schedule a machine makes after a wait of 250 ms or more.
 */
async function startCost(url, env, starts) {
  const withPassword = url.replace(
    "postgres://fluence@",
    `postgres://fluence:${encodeURIComponent(env.PGPASSWORD)}@`,
  );
  const store = await PostgresStore.open(withPassword, { heartbeatMs: 3_600_000 });
  try {
    const { runId } = await store.beginRun("bench-key");
    const slot = {
      keyId: "bench-key",
      targetPerMinute: 1e9,
      floorPerMinute: 1e8,
      recoveryPerMinute: 1e7,
      healthy: 1,
      minGapMs: 0,
    };
    const plain = [];
    const paced = [];
    const reread = [];
    for (let i = 0; i < starts; i++) {
      for (const [times, ask] of [
        [plain, undefined],
        [paced, slot],
      ]) {
        const fps = Array.from({ length: 10 }, () => randomUUID());
        const t0 = performance.now();
        await store.claim(runId, `b${i}`, "basic", fps, 0, ask);
        times.push(performance.now() - t0);
        await store.release(runId, "basic", fps);
      }
      const t0 = performance.now();
      await store.keyShare("bench-key");
      reread.push(performance.now() - t0);
    }
    await store.endRun(runId);
    return { starts, plain: quantiles(plain), paced: quantiles(paced), reread: quantiles(reread) };
  } finally {
    await store.close();
  }
}

function quantiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p95: at(0.95) };
}

const ok = (r) => r.complete && r.exits.every((code) => code === 0);
const meets = (r) =>
  ok(r) && r.efficiency >= TARGET.efficiency && r.throttledShare <= TARGET.throttled && r.paidTwice === 0;

function fleetRow(r) {
  return [
    fmt(r.machines),
    fmt(r.people),
    `${fmt(r.idealMs / 1000, 1)} s`,
    `${fmt(r.sendingMs / 1000, 1)} s`,
    `**${fmt(r.efficiency, 3)}**`,
    `${fmt(r.fleetMs / 1000, 1)} s`,
    fmt(r.wallEfficiency, 3),
    `${fmt(r.startupMs / 1000, 1)} / ${fmt(r.tailMs / 1000, 1)} s`,
    `${fmt(r.throttled)} of ${fmt(r.batchRequests)}`,
    fmt(r.paidTwice),
    `${maxInWindow(r.starts, 6_000)} / ${maxInWindow(r.starts, 60_000)}`,
    r.ratesGot.map((x) => fmt(x ?? Number.NaN)).join(", "),
    r.maxInFlight.join(", "),
    `${r.complete ? "yes" : "NO"}, exit ${[...new Set(r.exits)].join("/")}`,
  ];
}

const HEADER = [
  "machines",
  "people",
  "ideal",
  "sending",
  "efficiency",
  "wall",
  "wall eff.",
  "start-up / tail",
  "429s",
  "paid twice",
  "most starts in 6 s / 60 s",
  "rate each got (/min)",
  "max in flight each",
  "outputs complete",
];

export function fleetSection(m) {
  const ownV = allMet(m.own.map(meets));
  const sameV = allMet(m.same.map(meets));
  const realV = allMet([meets(m.real)]);
  const sqliteV = allMet([meets(m.sqlite)]);
  const range = (runs) =>
    `efficiency ${runs.map((r) => `${r.machines}: ${fmt(r.efficiency, 3)}`).join(", ")}; ${runs.reduce((a, r) => a + r.throttled, 0)} x 429; ${runs.reduce((a, r) => a + r.paidTwice, 0)} paid twice`;
  return {
    targets: [
      targetRow(
        13,
        "1/2/4/8 machines on one key and one PostgreSQL store, own people: efficiency >= 0.90, 429s <= 1%, 0 paid twice",
        range(m.own),
        ownV,
      ),
      targetRow(
        13,
        "the same, every machine on one file: >= 0.90, <= 1%, 0 paid twice, outputs complete",
        range(m.same),
        sameV,
      ),
      targetRow(
        13,
        "the real plan (100/min, 16-19 s), 4 machines x 1,000 people: >= 0.90",
        range([m.real]),
        realV,
      ),
      targetRow(13, "two processes sharing one SQLite store: >= 0.90", range([m.sqlite]), sqliteV),
      targetRow(
        13,
        "the cost of a start on PostgreSQL over loopback (p50/p95)",
        `claim ${fmt(m.cost.plain.p50, 2)} -> ${fmt(m.cost.paced.p50, 2)} ms p50, ${fmt(m.cost.plain.p95, 2)} -> ${fmt(m.cost.paced.p95, 2)} ms p95; 0 added round trips (the slot rides on the claim)`,
        "MEASURED",
      ),
    ],
    markdown: [
      "Machines are `fluence enrich` processes on this host, all started at once, every one told `--rate` = the key's whole rate; they share the key through the store (`src/send/shared-pace.ts`, `src/store/key-schedule.ts`, `fluence.take_slot` in PostgreSQL). Ideal = (B - 1) x 60/R + L for the fleet's B batches. **Efficiency** is over the sending (first batch's arrival at the sandbox to the last batch's answer), as the ideal counts; **wall** is the first process spawned to the last one exited: with N processes starting together on this 2-core host, start-up (Node, the store's connection, the free `/creditos` preflight) takes longer as N grows, and the tail is each machine writing its outputs (on the same file, waiting for people another machine holds to be committed). On separate machines start-up runs in parallel. Paid twice = credits the sandbox debited minus distinct people. Starts in 6 s: the key allows 100 (plus API Gateway's burst of 10).",
      "",
      commandBlock(FLEET_SCALED, [
        "# each machine (N at once), FLUENCE_STORE the same postgres:// URL (PGPASSWORD in the environment):",
        m.own[0]?.command ?? "",
      ]),
      "",
      "Each machine its own people (2,400 in all):",
      "",
      markdownTable(HEADER, m.own.map(fleetRow)),
      "",
      `Every machine on the same file of ${fmt(m.same[0]?.people ?? 0)} people (every machine's outputs hold all of them; people another machine enriched come from the store):`,
      "",
      markdownTable(HEADER, m.same.map(fleetRow)),
      "",
      "Two processes on one host sharing one SQLite file (the default store of two cron jobs):",
      "",
      markdownTable(HEADER, [fleetRow(m.sqlite)]),
      "",
      "The real plan at the real latency, 4 machines:",
      "",
      commandBlock(FLEET_REAL, ["# 4 machines at once, each with --rate 100"]),
      "",
      markdownTable(HEADER, [fleetRow(m.real)]),
      "",
      `The cost of a start (${fmt(m.cost.starts)} starts each, PostgreSQL on loopback, in-process): the claim of 10 people as one statement without the key's slot p50 ${fmt(m.cost.plain.p50, 3)} ms / p95 ${fmt(m.cost.plain.p95, 3)} ms; with the slot folded in (still one statement) p50 ${fmt(m.cost.paced.p50, 3)} ms / p95 ${fmt(m.cost.paced.p95, 3)} ms. A machine that waited 250 ms or more for its slot reads the schedule once more before sending (p50 ${fmt(m.cost.reread.p50, 3)} ms / p95 ${fmt(m.cost.reread.p95, 3)} ms), and each run reads it once when it joins.`,
      "",
      `- Verdicts: own people **${ownV}**, same file **${sameV}**, real plan **${realV}**, SQLite **${sqliteV}**.${m.quick ? " (--quick: fewer people; not the figures the targets are set for.)" : ""}`,
      `- Throttling share: ${[...m.own, ...m.same, m.sqlite, m.real].map((r) => fmtPercent(r.throttledShare, 1)).join(", ")} of batches.`,
    ].join("\n"),
  };
}
