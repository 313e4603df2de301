// Scenario 10: the same 100,000 people as CSV in/CSV out and as .xlsx in/.xlsx out, each a re-run served
// from a seeded store (no API waiting), so the figures are the workbook reader's and writer's own cost.
import { createReadStream, existsSync, renameSync, statSync } from "node:fs";
import { parse } from "csv-parse";
import { startSandbox } from "../dist/sandbox/index.js";
import { createWorkbookOutput } from "../dist/xlsx/index.js";
import { fmt, markdownTable, verdict } from "./bench-math.mjs";
import { dataPath, ensurePeopleCsv, ensureSeededStore } from "./data-files.mjs";
import { rel, runFluence } from "./fluence-run.mjs";

const RSS_TARGET_MB = 300;
const RATIO_TARGET = 3;

/** bench/.data/people-<rows>.xlsx: the CSV's rows in a workbook (written by fluence's own writer). */
async function ensurePeopleXlsx(csvFile, rows) {
  const file = dataPath(`people-${rows}.xlsx`);
  if (existsSync(file)) return file;
  const parser = createReadStream(csvFile).pipe(parse({ relax_column_count: true }));
  let out;
  for await (const record of parser) {
    if (out === undefined) {
      out = await createWorkbookOutput({ path: `${file}.part`, header: record });
      continue;
    }
    await out.write(record);
  }
  await out.commit();
  renameSync(`${file}.part`, file);
  return file;
}

/** @param {{ rows: number, runs: number, log: (line: string) => void }} spec */
export async function measureXlsx(spec) {
  const csv = await ensurePeopleCsv(spec.rows);
  const xlsx = await ensurePeopleXlsx(csv.file, spec.rows);
  const seeded = await ensureSeededStore(spec.rows);
  spec.log(
    `  inputs: ${rel(csv.file)} (${fmt(statSync(csv.file).size / 1e6, 1)} MB), ${rel(xlsx)} (${fmt(statSync(xlsx).size / 1e6, 1)} MB)`,
  );
  const sandbox = await startSandbox({ credits: 100_000_000 });
  const runs = [];
  try {
    for (let i = 1; i <= spec.runs; i++) {
      for (const [kind, input] of [
        ["csv", csv.file],
        ["xlsx", xlsx],
      ]) {
        spec.log(`    run ${i}/${spec.runs}: ${kind} in and out...`);
        const r = await runFluence({
          sandbox,
          input,
          store: seeded.file,
          outDir: dataPath(`xlsx-out-${kind}`),
          countErrorRows: false,
        });
        if (r.code !== 0 || r.summary.enriched !== spec.rows) {
          throw new Error(`${kind} run: exit ${r.code}, enriched ${r.summary?.enriched} of ${spec.rows}`);
        }
        runs.push({
          kind,
          wallMs: r.wallMs,
          maxRSSMB: r.maxRSSMB,
          outBytes: statSync(r.summary.outputs.enriched).size,
          command: r.command,
        });
      }
    }
  } finally {
    await sandbox.close();
  }
  return { rows: spec.rows, runs };
}

export function xlsxSection(m) {
  const best = (kind, key) => Math.min(...m.runs.filter((r) => r.kind === kind).map((r) => r[key]));
  const csvWall = best("csv", "wallMs");
  const xlsxWall = best("xlsx", "wallMs");
  const xlsxRss = Math.max(...m.runs.filter((r) => r.kind === "xlsx").map((r) => r.maxRSSMB));
  const ratio = xlsxWall / csvWall;
  const targets = [
    {
      scenario: "10",
      target: `.xlsx in and out, ${fmt(m.rows)} rows: peak RSS < ${RSS_TARGET_MB} MB`,
      figure: `${fmt(xlsxRss, 0)} MB`,
      verdict: verdict(xlsxRss, RSS_TARGET_MB, { atLeast: false, strict: true }),
    },
    {
      scenario: "10",
      target: `.xlsx wall time within ${RATIO_TARGET}x of the CSV path`,
      figure: `${fmt(ratio, 2)}x (${fmt(xlsxWall / 1000, 1)} s vs ${fmt(csvWall / 1000, 1)} s)`,
      verdict: verdict(ratio, RATIO_TARGET, { atLeast: false }),
    },
  ];
  const markdown = markdownTable(
    ["input and output", "wall (s)", "peak RSS (MB)", "enriched output (MB)", "command"],
    m.runs.map((r) => [
      r.kind,
      fmt(r.wallMs / 1000, 1),
      fmt(r.maxRSSMB, 0),
      fmt(r.outBytes / 1e6, 1),
      `\`${r.command}\``,
    ]),
  );
  return { targets, markdown };
}
