import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** Every module of src/ (relative path, .ts) and the src/ modules it imports, type-only imports included. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  for (const file of files) {
    const text = readFileSync(path.join(SRC, file), "utf8");
    const targets: string[] = [];
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
      const resolved = path.normalize(path.join(path.dirname(file), match[1]!)).replace(/\.js$/, ".ts");
      targets.push(resolved);
    }
    graph.set(path.normalize(file), targets);
  }
  return graph;
}

function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next) && graph.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe("the shape of src/", () => {
  const graph = importGraph();

  it("reads every module (the graph is not empty by accident)", () => {
    expect(graph.size).toBeGreaterThan(80);
    expect(graph.get(path.normalize("send/send-batches.ts"))).toContain(
      path.normalize("send/batch-answers.ts"),
    );
  });

  it("has no import cycle", () => {
    expect(cycles(graph).map((cycle) => cycle.join(" -> "))).toEqual([]);
  });

  it("keeps the send stage free of the pipeline and the CLI: it depends on api/, store/ and itself", () => {
    const reachingUp = [...graph]
      .filter(([file]) => file.startsWith(`send${path.sep}`))
      .flatMap(([file, targets]) =>
        targets
          .filter((t) => !/^(send|api|store)[\\/]|^exit-codes\.ts$/.test(t))
          .map((t) => `${file} -> ${t}`),
      );
    expect(reachingUp).toEqual([]);
  });
});
