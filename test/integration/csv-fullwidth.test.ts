import { afterEach, describe, expect, it } from "vitest";
import type { SandboxHandle } from "../../src/sandbox/index.js";
import { readCsv, runCli, sandboxEnv, tempDir, writeCsv } from "../helpers/cli-harness.js";

describe("full-width formula triggers from the API", () => {
  let sandbox: SandboxHandle | undefined;
  const tmp = tempDir();
  afterEach(async () => {
    await sandbox?.close();
    tmp.cleanup();
  });

  it("neutralizes ＝ ＋ － ＠ at the start of API cells, and keeps the user's values", async () => {
    const started = await sandboxEnv({}, tmp.file("store.sqlite"));
    sandbox = started.sandbox;
    const input = writeCsv(tmp.file("leads.csv"), [
      ["primeiro_nome", "ultimo_nome", "empresa", "contexto_adicional", "nota"],
      ["Isabela", "Farias", "Hostil Dados S.A.", "fullwidth", "＝SUM(A1)"],
    ]);
    const run = await runCli(["enrich", input, "--delay", "0", "--rate", "6000"], { env: started.env });
    expect(run.code, run.stderr).toBe(0);
    const [header, row] = readCsv(tmp.file("leads.enriched.csv"));
    const cell = (name: string) => row![header!.indexOf(name)]!;
    expect(cell("nota")).toBe("＝SUM(A1)"); // user input: untouched under the default "api"
    expect(cell("fluence_cargo")).toBe(`'＝HYPERLINK("http://evil.example","CEO")`);
    expect(cell("fluence_dores").startsWith("'＋cmd")).toBe(true);
    expect(cell("fluence_ganhos_procurados").startsWith("'－2+3")).toBe(true);
    expect(cell("fluence_linguagem_impacto").startsWith("'＠SUM")).toBe(true);
    expect(JSON.parse(cell("fluence_analise")).cargo).toBe('＝HYPERLINK("http://evil.example","CEO")');
  });
});
