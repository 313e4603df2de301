import { describe, expect, it } from "vitest";
import { BatchSizer, GROW_AFTER } from "../../src/send/batch-sizer.js";

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

  it("grows back by one after a run of healthy answers at the current size", () => {
    const s = new BatchSizer(10);
    s.onGatewayTimeout(10);
    s.onGatewayTimeout(10);
    expect(s.size).toBe(5);
    for (let i = 0; i < GROW_AFTER - 1; i++) s.onHealthy(5);
    expect(s.size).toBe(5);
    s.onHealthy(5);
    expect(s.size).toBe(6);
    // A smaller batch (the file's last) does not count toward growing.
    for (let i = 0; i < GROW_AFTER; i++) s.onHealthy(2);
    expect(s.size).toBe(6);
    for (let size = 6; size < 10; size++) for (let i = 0; i < GROW_AFTER; i++) s.onHealthy(size);
    expect(s.size).toBe(10);
    for (let i = 0; i < 100; i++) s.onHealthy(10);
    expect(s.size).toBe(10);
  });

  it("two timeouts far apart are not recurring", () => {
    const s = new BatchSizer(10);
    s.onGatewayTimeout(10);
    for (let i = 0; i < 25; i++) s.onHealthy(10);
    s.onGatewayTimeout(10);
    expect(s.size).toBe(10);
  });
});
