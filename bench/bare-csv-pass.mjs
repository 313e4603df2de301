// The floor for local overhead: parse a CSV and write it back, streaming, with nothing in between.
// Usage: node bench/bare-csv-pass.mjs <in.csv> <out.csv>
import { createReadStream, createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { parse } from "csv-parse";
import { stringify } from "csv-stringify";

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  process.stderr.write("usage: node bench/bare-csv-pass.mjs <in.csv> <out.csv>\n");
  process.exit(2);
}
await pipeline(createReadStream(input), parse(), stringify(), createWriteStream(output));
