import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OutcomeJournal, pendingJournal, replayJournals } from "../../src/store/journal.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { NewOutcome } from "../../src/store/types.js";
import { deadPid, makeTempDir } from "./temp-dir.js";

let temp: ReturnType<typeof makeTempDir>;
let dir = "";
const stores: SqliteStore[] = [];
beforeEach(() => {
  temp = makeTempDir();
  dir = path.join(temp.dir, "journal");
});
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

function store(): SqliteStore {
  const opened = SqliteStore.open(path.join(temp.dir, "store.sqlite"));
  stores.push(opened);
  return opened;
}

const ok = (fp: string): NewOutcome => ({ fp, kind: "ok", analise: `{"who":"${fp}"}` });

/** Makes this process's journal file look like one left by a run that is gone. */
function orphan(journal: OutcomeJournal): string {
  const name = path.basename(journal.file).replace(/^\d+-/u, `${deadPid()}-`);
  const file = path.join(dir, name);
  renameSync(journal.file, file);
  return file;
}

describe("the journal of paid outcomes", () => {
  it("is owner-only, flushes every record, and empties itself whenever the store has everything", async () => {
    const journal = await OutcomeJournal.create(dir, "run-1");
    expect(statSync(journal.file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const a = await journal.record("basic", "run-1", [ok("a"), ok("b")]);
    const b = await journal.record("basic", "run-1", [ok("c")]);
    expect(journal.pendingOutcomes).toBe(3);
    expect(readFileSync(journal.file, "utf8").split("\n").filter(Boolean)).toHaveLength(2);
    await journal.committed(a);
    expect(journal.pendingOutcomes).toBe(1);
    await journal.committed(b);
    expect(journal.pendingOutcomes).toBe(0);
    expect(readFileSync(journal.file, "utf8")).toBe("");
    await journal.close();
    // Nothing left for the next run: the file and the store's directory go.
    expect(existsSync(dir)).toBe(false);
  });

  it("keeps what the store never got, and the next run stores exactly that, once", async () => {
    const journal = await OutcomeJournal.create(dir, "run-1");
    const first = await journal.record("basic", "run-1", [ok("a"), ok("b")]);
    await journal.record("basic", "run-1", [
      ok("c"),
      { fp: "d", kind: "error", code: "PROFILE_NOT_FOUND", message: "no" },
    ]);
    await journal.record("complete", "run-1", [ok("e")]);
    await journal.committed(first);
    await journal.close();
    const left = orphan(journal);
    expect(await pendingJournal(dir)).toEqual({ files: 1, outcomes: 3 });

    const s = store();
    expect(await replayJournals(dir, s)).toBe(3);
    expect(existsSync(left)).toBe(false);
    const basic = await s.lookup(["a", "b", "c", "d"], "basic", 0);
    expect([...basic.keys()].sort()).toEqual(["c", "d"]);
    expect(basic.get("d")).toMatchObject({ kind: "error", code: "PROFILE_NOT_FOUND", runId: "run-1" });
    expect((await s.lookup(["e"], "complete", 0)).get("e")).toMatchObject({
      kind: "ok",
      endpoint: "crm_batch",
    });
    // Nothing is replayed twice.
    expect(await replayJournals(dir, s)).toBe(0);
    expect(await pendingJournal(dir)).toEqual({ files: 0, outcomes: 0 });
  });

  it("ignores a line torn by a crash mid-write, and the journals of runs still alive", async () => {
    const dead = await OutcomeJournal.create(dir, "dead");
    await dead.record("basic", "dead", [ok("a")]);
    await dead.close();
    const file = orphan(dead);
    writeFileSync(file, `${readFileSync(file, "utf8")}{"b":2,"a":"basic","r":"dead","o":[{"fp":"b","ki`);
    const alive = await OutcomeJournal.create(dir, "alive");
    await alive.record("basic", "alive", [ok("z")]);
    const s = store();
    expect(await replayJournals(dir, s)).toBe(1);
    expect((await s.lookup(["a", "b", "z"], "basic", 0)).size).toBe(1);
    // This process's own journal is in use: never replayed under it.
    expect(readdirSync(dir)).toEqual([path.basename(alive.file)]);
    await alive.close();
  });

  it("a replay cut short leaves the rest to the next one, which stores each batch once", async () => {
    const journal = await OutcomeJournal.create(dir, "r");
    for (let i = 0; i < 5; i++) await journal.record("basic", "r", [ok(`p${i}`)]);
    await journal.close();
    const file = orphan(journal);
    // As if a replaying run was killed after its second batch: its pid is gone, two batches are marked.
    const cut = path.join(dir, `${deadPid()}-replay-${path.basename(file).replace(/^\d+-/u, "")}`);
    renameSync(file, cut);
    writeFileSync(cut, `${readFileSync(cut, "utf8")}{"c":1}\n{"c":2}\n`);
    const s = store();
    expect(await replayJournals(dir, s)).toBe(3);
    expect((await s.lookup(["p0", "p1", "p2", "p3", "p4"], "basic", 0)).size).toBe(3);
  });

  it("two runs starting at once never both replay one file", async () => {
    const files = [];
    for (let i = 0; i < 4; i++) {
      const journal = await OutcomeJournal.create(dir, `r${i}`);
      await journal.record("basic", `r${i}`, [ok(`a${i}`), ok(`b${i}`)]);
      await journal.close();
      files.push(orphan(journal));
    }
    const s = store();
    const counts = await Promise.all([replayJournals(dir, s), replayJournals(dir, s)]);
    expect(counts[0]! + counts[1]!).toBe(8);
  });

  it("cannot be created where the directory cannot be written: the caller is told", async () => {
    writeFileSync(path.join(temp.dir, "a-file"), "");
    await expect(OutcomeJournal.create(path.join(temp.dir, "a-file", "journal"), "r")).rejects.toThrow(
      /ENOTDIR|EEXIST/u,
    );
  });
});
