import { describe, expect, it } from "vitest";
import { BatchSizer, GROW_AFTER, PROBE_AFTER } from "../../src/send/batch-sizer.js";

function healthy(s: BatchSizer, n: number, size = s.size): void {
  for (let i = 0; i < n; i++) s.onHealthy(size);
}

describe("BatchSizer", () => {
  it("keeps the size after one gateway timeout, halves toward 5 when they recur, then fewer", () => {
    const s = new BatchSizer(10);
    expect(s.onGatewayTimeout(10)).toBe(false);
    expect(s.size).toBe(10);
    expect(s.onGatewayTimeout(10)).toBe(true);
    expect(s.size).toBe(5);
    // Batches of 10 still in flight when it shrank say nothing about 5.
    expect(s.onGatewayTimeout(10)).toBe(false);
    s.onGatewayTimeout(5);
    s.onGatewayTimeout(5);
    expect(s.size).toBe(3);
    s.onGatewayTimeout(3);
    s.onGatewayTimeout(3);
    expect(s.size).toBe(2);
    s.onGatewayTimeout(2);
    s.onGatewayTimeout(2);
    expect(s.size).toBe(1);
    s.onGatewayTimeout(1);
    s.onGatewayTimeout(1);
    expect(s.size).toBe(1);
  });

  it("grows back by one per run of healthy answers, up to one below the size that timed out", () => {
    const s = new BatchSizer(10);
    s.onGatewayTimeout(10);
    s.onGatewayTimeout(10);
    expect(s.size).toBe(5);
    healthy(s, GROW_AFTER - 1);
    expect(s.size).toBe(5);
    healthy(s, 1);
    expect(s.size).toBe(6);
    // A smaller batch (the file's last) does not count toward growing.
    healthy(s, GROW_AFTER, 2);
    expect(s.size).toBe(6);
    for (let size = 6; size < 9; size++) healthy(s, GROW_AFTER);
    expect(s.size).toBe(9);
    // 10 timed out: it is probed again only after a long healthy run.
    healthy(s, GROW_AFTER * 5);
    expect(s.size).toBe(9);
    healthy(s, PROBE_AFTER);
    expect(s.size).toBe(10);
  });

  it("one timeout while probing a bigger size steps straight back and makes that size the ceiling", () => {
    const s = new BatchSizer(10);
    s.onGatewayTimeout(10);
    s.onGatewayTimeout(10);
    healthy(s, GROW_AFTER);
    expect(s.size).toBe(6);
    expect(s.onGatewayTimeout(6)).toBe(true);
    expect(s.size).toBe(5);
    healthy(s, GROW_AFTER * 3);
    expect(s.size).toBe(5);
    healthy(s, PROBE_AFTER);
    expect(s.size).toBe(6);
    // 6 held through its probe: the ceiling is lifted and growth goes on at the usual pace.
    healthy(s, GROW_AFTER);
    expect(s.size).toBe(7);
  });

  it("two timeouts far apart are not recurring", () => {
    const s = new BatchSizer(10);
    s.onGatewayTimeout(10);
    healthy(s, 25);
    s.onGatewayTimeout(10);
    expect(s.size).toBe(10);
  });
});
