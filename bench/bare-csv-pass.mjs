// The floor for local overhead: parse a CSV and write it back, streaming, with nothing in between.
// With a third argument (a file holding one analysis as JSON), every row also gets the six columns fluence
// appends, flattened from that one analysis: the same bytes out as an enriched re-run, with none of the
// work of finding each row's analysis. fluence's output is ~13x the input, so this is the fair floor.
// Usage: node bench/bare-csv-pass.mjs <in.csv> <out.csv> [analysis.json]
import { createReadStream, createWriteStream, readFileSync } from "node:fs";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parse } from "csv-parse";
import { stringify } from "csv-stringify";

const [input, output, analysisFile] = process.argv.slice(2);
if (!input || !output) {
  process.stderr.write("usage: node bench/bare-csv-pass.mjs <in.csv> <out.csv> [analysis.json]\n");
  process.exit(2);
}
const stages = [createReadStream(input), parse()];
if (analysisFile) {
  const json = readFileSync(analysisFile, "utf8").trim();
  const a = JSON.parse(json);
  const m = a.manual_comprador ?? {};
  const extra = [
    a.cargo ?? "",
    a.tipo_stakeholder ?? "",
    (m.dores ?? []).join(" | "),
    (m.ganhos_procurados ?? []).join(" | "),
    (a.linguagem_impacto ?? []).join(" | "),
    json,
  ];
  stages.push(
    new Transform({
      objectMode: true,
      transform(row, _enc, done) {
        done(null, [...row, ...extra]);
      },
    }),
  );
}
await pipeline(...stages, stringify(), createWriteStream(output));
