import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
// The package's own name, resolved through package.json "exports" to dist/ (built by `npm test`): these
// tests see exactly what a user's `import` sees, and nothing that is not exported.
import {
  createClient,
  type EnrichOutcome,
  enrich,
  type FluenceClient,
  type Person,
  type SandboxHandle,
  startSandbox,
  UserError,
} from "fluence-enrich";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fillDisk, mountTinyDisk, SKIP_MOUNT_TESTS } from "../helpers/machine-failures.js";

let sandbox: SandboxHandle;
let client: FluenceClient;
let dir: string;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0 });
  client = createClient({ baseUrl: sandbox.url, apiKey: sandbox.keys.enterprise });
  dir = mkdtempSync(path.join(os.tmpdir(), "fluence-lib-"));
});

afterEach(async () => {
  await client.close();
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

const people = (n: number, from = 0): Person[] =>
  Array.from({ length: n }, (_, i) => ({
    primeiro_nome: `Pessoa${from + i}`,
    ultimo_nome: "Teste",
    empresa: "Empresa Exemplo",
    crm_id: from + i,
  }));

async function collect<P extends Person>(iterable: AsyncIterable<EnrichOutcome<P>>) {
  const out: EnrichOutcome<P>[] = [];
  for await (const outcome of iterable) out.push(outcome);
  return out;
}

describe("enrich() from the package", () => {
  it("yields one outcome per person in input order, carrying the caller's fields, with invalid and duplicate people", async () => {
    const input = [
      ...people(3),
      { primeiro_nome: " ", ultimo_nome: "Sem Nome", empresa: "X", crm_id: "bad" },
      people(1)[0]!,
      { primeiro_nome: "Fulano", ultimo_nome: "de Tal", empresa: "fantasma", crm_id: "ghost" },
    ];
    const store = path.join(dir, "store.sqlite");
    const outcomes = await collect(enrich(input, { client, storePath: store }));
    expect(outcomes.map((o) => [o.index, o.status, o.person.crm_id])).toEqual([
      [0, "enriched", 0],
      [1, "enriched", 1],
      [2, "enriched", 2],
      [3, "invalid", "bad"],
      [4, "enriched", 0],
      [5, "failed", "ghost"],
    ]);
    expect(outcomes[4]!.duplicate).toBe(true);
    const ghost = outcomes[5]!;
    expect(ghost.status === "failed" && ghost.code).toBe("PROFILE_NOT_FOUND");
    const first = outcomes[0]!;
    expect(first.status === "enriched" && typeof first.analise).toBe("object");
    // Four distinct valid people were sent once each (the duplicate was not).
    expect(sandbox.stats().profilesReceived).toBe(4);

    // Again, with the same store: every answer comes from the store, no request is made.
    sandbox.resetStats();
    const again = await collect(enrich(input, { client, storePath: store }));
    expect(again.filter((o) => o.status !== "invalid").every((o) => o.fromStore)).toBe(true);
    expect(again.map((o) => o.status)).toEqual(outcomes.map((o) => o.status));
    expect(sandbox.stats().profilesReceived).toBe(0);
  });

  it("reads no further ahead than readAhead while the consumer is slow, and closes the input when the consumer stops", async () => {
    let pulled = 0;
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; i < 10_000; i++) {
          pulled++;
          yield people(1, i)[0]!;
        }
      } finally {
        closed = true;
      }
    }
    const seen: number[] = [];
    for await (const outcome of enrich(source(), { client, storePath: null, readAhead: 25 })) {
      seen.push(outcome.index);
      // Nothing is read beyond what the consumer has taken plus the read-ahead.
      expect(pulled).toBeLessThanOrEqual(seen.length + 25);
      if (seen.length === 30) break;
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(pulled).toBeLessThan(100);
    expect(closed).toBe(true);
  });

  it("stops on an AbortSignal: the iteration throws the signal's reason and sends nothing more", async () => {
    const controller = new AbortController();
    const got: number[] = [];
    const iterate = async () => {
      for await (const outcome of enrich(people(200), {
        client,
        storePath: null,
        batchSize: 5,
        signal: controller.signal,
      })) {
        got.push(outcome.index);
        if (got.length === 3) controller.abort(new Error("stopped by the caller"));
      }
    };
    await expect(iterate()).rejects.toThrow("stopped by the caller");
    expect(got).toEqual([0, 1, 2]);
    // Everything sent had answered before the iteration ended; no batch leaves afterwards.
    const received = sandbox.stats().profilesReceived;
    expect(received).toBeLessThan(200);
    await new Promise((r) => setImmediate(r));
    expect(sandbox.stats().profilesReceived).toBe(received);
  });

  it("sizes batches under gatewayTimeoutMs: one 504 (the first batch, before any answer), then sizes that fit", async () => {
    // 10 profiles take 50 + 10 x 17 = 220 ms, past this gateway's 200 ms; 7 take 169 ms.
    const gateway = await startSandbox({
      port: 0,
      gateway: { integrationTimeoutMs: 200 },
      latencyMs: 50,
      latencyPerProfileMs: 17,
      rateLimit: 100_000,
    });
    const slowClient = createClient({ baseUrl: gateway.url, apiKey: gateway.keys.enterprise });
    try {
      const outcomes = await collect(
        enrich(people(200), {
          client: slowClient,
          storePath: null,
          concurrency: 1,
          ratePerMinute: 60_000,
          delayMs: 0,
          gatewayTimeoutMs: 200,
        }),
      );
      expect(outcomes.filter((o) => o.status === "enriched")).toHaveLength(200);
      expect(gateway.stats().gatewayTimeouts).toBe(1);
    } finally {
      await slowClient.close();
      await gateway.close();
    }
  });

  it("stops sending when the credits run out and reports every person left as INSUFFICIENT_CREDITS", async () => {
    sandbox.setBalance(sandbox.keys.enterprise, 4);
    const outcomes = await collect(enrich(people(12), { client, storePath: null, batchSize: 2 }));
    expect(outcomes).toHaveLength(12);
    expect(outcomes.filter((o) => o.status === "enriched")).toHaveLength(4);
    const rest = outcomes.filter((o) => o.status === "failed");
    expect(new Set(rest.map((o) => o.status === "failed" && o.code))).toEqual(
      new Set(["INSUFFICIENT_CREDITS"]),
    );
    expect(outcomes.map((o) => o.index)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it.skipIf(SKIP_MOUNT_TESTS)(
    "a store that fails mid-run: every person still gets an outcome, the late answers are journaled, and the iteration ends with the store's failure",
    async () => {
      const disk = mountTinyDisk(2048);
      const cache = process.env.XDG_CACHE_HOME;
      process.env.XDG_CACHE_HOME = path.join(dir, "cache");
      try {
        const slow = await startSandbox({ port: 0, latencyMs: 300 });
        const slowClient = createClient({ baseUrl: slow.url, apiKey: slow.keys.enterprise });
        const store = path.join(disk.dir, "store.sqlite");
        const outcomes: EnrichOutcome<Person>[] = [];
        let failure: unknown;
        try {
          const run = enrich(people(200), {
            client: slowClient,
            storePath: store,
            // ~3 batches in flight whenever the disk fills: the late answers are there to be journaled.
            concurrency: 4,
            batchSize: 5,
            ratePerMinute: 600,
            delayMs: 0,
          });
          for await (const outcome of run) {
            outcomes.push(outcome);
            // The first batches are in the store: now its disk has no room left for the next ones.
            if (outcomes.length === 20) expect(fillDisk(disk.dir)).toBe(0);
          }
        } catch (error) {
          failure = error;
        } finally {
          await slowClient.close();
          await slow.close();
        }
        expect(failure).toBeInstanceOf(UserError);
        expect((failure as UserError).exitCode).toBe(7);
        expect((failure as UserError).message).toMatch(
          /^No space left on the device holding the store .+ answered (person was|people were) kept in this machine's journal/u,
        );
        expect(outcomes.map((o) => o.index)).toEqual(Array.from({ length: 200 }, (_, i) => i));
        const enriched = outcomes.filter((o) => o.status === "enriched").length;
        expect(enriched).toBe(slow.stats().profilesSucceeded);
        const unsent = outcomes.filter((o) => o.status === "failed");
        expect(unsent.length).toBe(200 - enriched);
        expect(new Set(unsent.map((o) => o.status === "failed" && o.code))).toEqual(
          new Set(["STORE_UNAVAILABLE"]),
        );
        expect(readdirSync(path.join(dir, "cache", "fluence", "journal"), { recursive: true }).length).toBe(
          2,
        );
      } finally {
        if (cache === undefined) delete process.env.XDG_CACHE_HOME;
        else process.env.XDG_CACHE_HOME = cache;
        disk.release();
      }
    },
  );
});
