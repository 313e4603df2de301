// What hashing every input pass costs: one pass over a generated file through fluence's own InputFile
// (dist/), with the digest on (sha1, the default) and off, each in a fresh process, wall and CPU time.
// Two kinds of pass: "bytes" only reads (the hash's cost is most visible), "parse" also parses the CSV
// as the plan and write passes do. A run makes three full passes (encoding scan, plan, write).
// "path" is the reader before InputFile (fs.createReadStream on the path), for comparison. The modes
// take turns run by run, so a noisy machine's drift is shared among them.
// Usage: npm run build && node bench/input-hash-cost.mjs [rows=1000000] [runs=3]
import { execFileSync } from "node:child_process";
import { createReadStream, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === "--child") {
  const [, , , file, digest, kind] = process.argv;
  const { InputFile } = await import("../dist/csv/input-file.js");
  const { parseRecords } = await import("../dist/csv/parse-records.js");
  const input = await InputFile.open(file, file, { digest: digest === "sha1" ? "sha1" : null });
  const pass = (hwm = 256 * 1024) =>
    digest === "path" ? createReadStream(file, { start: 0, highWaterMark: hwm }) : input.pass(0, hwm);
  // The first complete pass only records the digest; a later pass also compares: time the later one.
  for await (const _ of pass()) {
  }
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let units = 0;
  if (kind === "bytes") {
    for await (const chunk of pass()) units += chunk.length;
  } else {
    const source = {
      bytes: pass,
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
const modes = ["path", "off", "sha1"];
for (const kind of ["bytes", "parse"]) {
  const samples = new Map(modes.map((m) => [m, []]));
  for (let i = 0; i < runs; i++) {
    for (const digest of modes) {
      const out = execFileSync(process.execPath, [self, "--child", file, digest, kind], { encoding: "utf8" });
      samples.get(digest).push(JSON.parse(out));
    }
  }
  for (const digest of modes) {
    const list = samples.get(digest);
    const walls = list.map((s) => s.wallMs.toFixed(0)).join(", ");
    const cpus = list.map((s) => s.cpuMs.toFixed(0)).join(", ");
    process.stdout.write(
      `${kind.padEnd(5)} ${digest.padEnd(4)}  wall ms ${walls} (median ${median(list.map((s) => s.wallMs)).toFixed(0)})  cpu ms ${cpus} (median ${median(list.map((s) => s.cpuMs)).toFixed(0)})\n`,
    );
  }
}
