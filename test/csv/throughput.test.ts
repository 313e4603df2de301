import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { createCsvOutput, openCsvInput } from "../../src/csv/index.js";
import { makeTempDir } from "./helpers.js";

const temp = makeTempDir();
afterAll(temp.cleanup);

const ROWS = 200_000;

// A sanity log, not a timed assertion: the real benchmark lives in bench/.
it(`reads and writes ${ROWS} generated rows`, async () => {
  const lines = ["Nome;Sobrenome;Empresa;E-mail;Telefone"];
  for (let i = 0; i < ROWS; i++) {
    lines.push(
      `João ${i};Conceição;"Ação, Ltda";joao${i}@example.com.br;+55 11 9${String(i).padStart(8, "0")}`,
    );
  }
  const source = join(temp.dir, "big.csv");
  writeFileSync(source, `${lines.join("\r\n")}\r\n`);

  const started = performance.now();
  const input = await openCsvInput(source);
  const output = await createCsvOutput({
    path: join(temp.dir, "out.csv"),
    format: "csv",
    header: [...input.info.header, "cargo"],
    apiColumnsFrom: input.info.header.length,
  });
  let count = 0;
  for await (const record of input.records()) {
    await output.write([...record.fields, "=Diretor"]);
    count++;
  }
  await output.commit();
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `csv throughput: ${ROWS} rows in ${seconds.toFixed(2)} s = ${Math.round(ROWS / seconds)} rows/s`,
  );
  expect(count).toBe(ROWS);
});
