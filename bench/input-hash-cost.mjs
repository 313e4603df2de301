// What hashing every input pass costs: one pass over a generated file through fluence's own InputFile
// (dist/), with the digest on (sha1, the default) and off, each in a fresh process, wall and CPU time.
// Two kinds of pass: "bytes" only reads (the hash's cost is most visible), "parse" also parses the CSV
// as the plan and write passes do. A run makes three full passes (encoding scan, plan, write).
// Usage: npm run build && node bench/input-hash-cost.mjs [rows=1000000] [runs=3]
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === "--child") {
  const [, , , file, digest, kind] = process.argv;
  const { InputFile } = await import("../dist/csv/input-file.js");
  const { parseRecords } = await import("../dist/csv/parse-records.js");
  const input = await InputFile.open(file, file, { digest: digest === "off" ? null : digest });
  // The first complete pass only records the digest; a later pass also compares: time the later one.
  for await (const _ of input.pass(0)) {
  }
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let units = 0;
  if (kind === "bytes") {
    for await (const chunk of input.pass(0)) units += chunk.length;
  } else {
    const source = {
      bytes: (hwm) => input.pass(0, hwm),
      displayName: file,
      encoding: "utf-8",
      delimiter: ",",
    };
    for await (const _ of parseRecords(source)) units++;
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  await input.close();
  process.stdout.write(JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, units }));
  process.exit(0);
}

const rows = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.argv[3] ?? 3);
const { ensurePeopleCsv } = await import("./data-files.mjs");
const { file } = await ensurePeopleCsv(rows);
const mb = statSync(file).size / 1e6;
process.stdout.write(`${rows.toLocaleString("en-US")} rows, ${mb.toFixed(1)} MB (${file})\n`);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const kind of ["bytes", "parse"]) {
  for (const digest of ["off", "sha1"]) {
    const samples = [];
    for (let i = 0; i < runs; i++) {
      const out = execFileSync(process.execPath, [self, "--child", file, digest, kind], { encoding: "utf8" });
      samples.push(JSON.parse(out));
    }
    const walls = samples.map((s) => s.wallMs.toFixed(0)).join(", ");
    const cpus = samples.map((s) => s.cpuMs.toFixed(0)).join(", ");
    process.stdout.write(
      `${kind.padEnd(5)} digest ${digest.padEnd(4)}  wall ms ${walls} (median ${median(samples.map((s) => s.wallMs)).toFixed(0)})  cpu ms ${cpus} (median ${median(samples.map((s) => s.cpuMs)).toFixed(0)})\n`,
    );
  }
}
