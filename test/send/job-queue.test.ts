import { describe, expect, it } from "vitest";
import { type Job, JobQueue } from "../../src/send/job-queue.js";
import type { PersonEntry } from "../../src/send/send-ledger.js";

let seq = 0;
function people(n: number): PersonEntry[] {
  return Array.from({ length: n }, () => {
    seq++;
    return { fp: `fp${seq}`, seq, profile: { primeiro_nome: `P${seq}`, ultimo_nome: "S", empresa: "C" } };
  });
}
const seqs = (job: Job | undefined) => job?.people.map((p) => p.seq);

describe("JobQueue", () => {
  it("re-sends the retries of a wave of 504s as full batches of the new size, not as 6 + 4", () => {
    const q = new JobQueue();
    const a = people(10);
    const b = people(10);
    q.push(
      { people: a, attempt: 1, notBefore: 100, firstSentAt: 50, mergeable: true },
      { people: b, attempt: 1, notBefore: 120, firstSentAt: 40, mergeable: true },
    );
    expect(q.takeReady(99, 6)).toBeUndefined();
    const first = q.takeReady(200, 6);
    expect(seqs(first)).toEqual(a.slice(0, 6).map((p) => p.seq));
    const second = q.takeReady(200, 6);
    expect(seqs(second)).toEqual([...a.slice(6), ...b.slice(0, 2)].map((p) => p.seq));
    // The earlier first attempt of the two: a throttling verdict must not be drawn from the later one.
    expect(second?.firstSentAt).toBe(40);
    expect(seqs(q.takeReady(200, 6))).toEqual(b.slice(2, 8).map((p) => p.seq));
    expect(seqs(q.takeReady(200, 6))).toEqual(b.slice(8).map((p) => p.seq));
    expect(q.takeReady(200, 6)).toBeUndefined();
  });

  it("never merges a batch split to isolate a bad profile, another attempt, or a job not yet due", () => {
    const q = new JobQueue();
    const retry = people(3);
    const later = people(3);
    const third = people(3);
    const split = people(2);
    q.push(
      { people: retry, attempt: 1, notBefore: 0, mergeable: true },
      { people: later, attempt: 1, notBefore: 500, mergeable: true },
      { people: third, attempt: 2, notBefore: 0, mergeable: true },
    );
    q.unshift({ people: split, attempt: 1, notBefore: 0, mergeable: false });
    expect(seqs(q.takeReady(10, 10))).toEqual(split.map((p) => p.seq));
    expect(seqs(q.takeReady(10, 10))).toEqual(retry.map((p) => p.seq));
    expect(seqs(q.takeReady(10, 10))).toEqual(third.map((p) => p.seq));
    expect(q.takeReady(10, 10)).toBeUndefined();
    expect(q.nextAt()).toBe(500);
    expect(q.drain().map((p) => p.seq)).toEqual(later.map((p) => p.seq));
  });
});
