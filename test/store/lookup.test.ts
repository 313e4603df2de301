import { expect, it } from "vitest";
import { ENDPOINT_OF } from "../../src/store/index.js";
import { describeBackends } from "./backends.js";

const ok = (fp: string, analise = "{}") => ({ fp, kind: "ok" as const, analise });
const notFound = (fp: string) => ({ fp, kind: "error" as const, code: "PROFILE_NOT_FOUND", message: "nope" });

describeBackends("lookup", (kit) => {
  it("returns only outcomes fetched at or after freshSince", async () => {
    const store = await kit.open();
    await store.commitBatch("r", "basic", [ok("old")], ["old"]);
    kit.clock.advance(1_000);
    const edge = kit.clock.now();
    await store.commitBatch("r", "basic", [notFound("new")], []);

    const found = await store.lookup(["old", "new", "missing"], "basic", edge);
    expect([...found.keys()]).toEqual(["new"]);
    expect(found.get("new")).toEqual({
      fp: "new",
      endpoint: ENDPOINT_OF.basic,
      kind: "error",
      code: "PROFILE_NOT_FOUND",
      message: "nope",
      fetchedAt: edge,
      runId: "r",
    });
    expect((await store.lookup(["old"], "basic", 0)).get("old")).toEqual({
      fp: "old",
      endpoint: ENDPOINT_OF.basic,
      kind: "ok",
      analise: "{}",
      fetchedAt: edge - 1_000,
      runId: "r",
    });
    expect((await store.lookup([], "basic", 0)).size).toBe(0);
  });

  it("serves a basic run from a complete analysis, never a complete run from a basic one", async () => {
    const store = await kit.open();
    await store.commitBatch("r", "complete", [ok("full", '{"complete":true}')], []);
    await store.commitBatch("r", "basic", [ok("basic-only", '{"basic":true}')], []);

    const forBasic = await store.lookup(["full", "basic-only"], "basic", 0);
    expect(forBasic.get("full")).toMatchObject({
      endpoint: ENDPOINT_OF.complete,
      analise: '{"complete":true}',
    });
    expect(forBasic.get("basic-only")).toMatchObject({ endpoint: ENDPOINT_OF.basic });

    const forComplete = await store.lookup(["full", "basic-only"], "complete", 0);
    expect([...forComplete.keys()]).toEqual(["full"]);
  });

  it("serves a terminal error of either endpoint to both analyses", async () => {
    const store = await kit.open();
    await store.commitBatch("r", "basic", [notFound("a")], []);
    await store.commitBatch("r", "complete", [notFound("b")], []);
    for (const analysis of ["basic", "complete"] as const) {
      const found = await store.lookup(["a", "b"], analysis, 0);
      expect(found.get("a")).toMatchObject({ kind: "error", endpoint: ENDPOINT_OF.basic });
      expect(found.get("b")).toMatchObject({ kind: "error", endpoint: ENDPOINT_OF.complete });
    }
  });

  it("prefers the run's own endpoint when both have a fresh outcome", async () => {
    const store = await kit.open();
    await store.commitBatch("r", "basic", [ok("x", '{"from":"basic"}'), notFound("y")], []);
    await store.commitBatch(
      "r",
      "complete",
      [ok("x", '{"from":"complete"}'), ok("y", '{"from":"complete"}')],
      [],
    );
    const basic = await store.lookup(["x", "y"], "basic", 0);
    expect(basic.get("x")?.analise).toBe('{"from":"basic"}');
    expect(basic.get("y")).toMatchObject({ kind: "error", endpoint: ENDPOINT_OF.basic });
    const complete = await store.lookup(["x", "y"], "complete", 0);
    expect(complete.get("x")?.analise).toBe('{"from":"complete"}');
    expect(complete.get("y")?.analise).toBe('{"from":"complete"}');
  });

  it("falls back to the other endpoint when the own one is stale", async () => {
    const store = await kit.open();
    await store.commitBatch("r", "basic", [ok("x", '{"from":"basic"}')], []);
    kit.clock.advance(10);
    await store.commitBatch("r", "complete", [ok("x", '{"from":"complete"}')], []);
    expect((await store.lookup(["x"], "basic", kit.clock.now())).get("x")?.analise).toBe(
      '{"from":"complete"}',
    );
  });

  it("handles far more fps than one query takes, with duplicates", async () => {
    const store = await kit.open();
    const fps = Array.from({ length: 12_345 }, (_, i) => `fp-${i}`);
    const stored = fps.filter((_, i) => i % 3 === 0);
    await store.commitBatch(
      "r",
      "basic",
      stored.map((fp) => ok(fp, `{"n":"${fp}"}`)),
      [],
    );
    const found = await store.lookup([...fps, "fp-0", "fp-3"], "basic", 0);
    expect(found.size).toBe(stored.length);
    expect(found.get("fp-12342")?.analise).toBe('{"n":"fp-12342"}');
    expect(found.has("fp-1")).toBe(false);
  });

  it("keeps outcomes across close and reopen, byte for byte", async () => {
    const analise = '{"cargo":"Diretora de Operações","nota":"✓ \\u00e9 \\"citado\\"","n":1.50}';
    const first = await kit.open();
    await first.commitBatch("r1", "complete", [ok("x", analise)], ["x"]);
    await first.close();
    const second = await kit.open();
    expect((await second.lookup(["x"], "complete", 0)).get("x")).toMatchObject({ kind: "ok", analise });
  });
});
