import { describe, expect, it } from "vitest";
import { CreditGuard } from "../../src/send/credit-guard.js";

describe("CreditGuard", () => {
  it("is unlimited without a balance or a budget", () => {
    const g = new CreditGuard({});
    expect(g.allowance()).toBe(Number.POSITIVE_INFINITY);
    expect(g.stopReason()).toBeUndefined();
  });

  it("reserves in-flight batches against the balance and settles on the reported balance", () => {
    const g = new CreditGuard({ balance: 25 });
    g.reserve(10);
    g.reserve(10);
    expect(g.allowance()).toBe(5);
    g.settle(10, 10, 15); // the balance already counts this batch; the other is still reserved
    expect(g.allowance()).toBe(5);
    g.settle(10, 10, 5);
    expect(g.allowance()).toBe(5);
    g.reserve(5);
    g.settle(5, 5, 0);
    expect(g.allowance()).toBe(0);
    expect(g.stopReason()).toBe("credits");
    expect(g.spent).toBe(25);
  });

  it("waits rather than stops while batches are in flight", () => {
    const g = new CreditGuard({ balance: 10 });
    g.reserve(10);
    expect(g.allowance()).toBe(0);
    expect(g.stopReason()).toBeUndefined();
    g.settle(10, 7, 3); // three failed: pay per success leaves three credits
    expect(g.allowance()).toBe(3);
  });

  it("keeps the newest (lowest) balance when answers arrive out of order", () => {
    const g = new CreditGuard({ balance: 20 });
    g.reserve(10);
    g.reserve(10);
    g.settle(10, 10, 0); // the second batch answered first
    g.settle(10, 10, 10); // the first batch's older figure arrives late
    expect(g.allowance()).toBe(0);
    expect(g.stopReason()).toBe("credits");
  });

  it("a 402 teaches the real balance", () => {
    const g = new CreditGuard({ balance: 100 });
    g.reserve(10);
    g.refused(10, 4);
    expect(g.allowance()).toBe(4);
    const blind = new CreditGuard({});
    blind.reserve(10);
    blind.refused(10, undefined);
    expect(blind.allowance()).toBe(9);
  });

  it("--max-credits counts spent and in-doubt profiles", () => {
    const g = new CreditGuard({ balance: 1000, maxCredits: 15 });
    expect(g.allowance()).toBe(15);
    g.reserve(10);
    g.settle(10, 8, 992);
    expect(g.allowance()).toBe(7);
    g.addInDoubt(5);
    expect(g.allowance()).toBe(2);
    g.reserve(2);
    g.settle(2, 2, 990);
    expect(g.stopReason()).toBe("budget");
  });
});

describe("CreditGuard at 2 credits a person (the complete analysis)", () => {
  it("counts people from credits: 7 credits fit 3 people, not 7", () => {
    const g = new CreditGuard({ balance: 7, creditsPerProfile: 2 });
    expect(g.allowance()).toBe(3);
    g.reserve(3);
    expect(g.allowance()).toBe(0);
    expect(g.stopReason()).toBeUndefined();
    g.settle(3, 6, 1);
    expect(g.allowance()).toBe(0);
    expect(g.stopReason()).toBe("credits");
  });

  it("a 402 naming 7 credits lets 3 people through", () => {
    const g = new CreditGuard({ balance: 100, creditsPerProfile: 2 });
    g.reserve(10);
    g.refused(10, 7);
    expect(g.allowance()).toBe(3);
  });

  it("--max-credits 9 buys 4 complete profiles and then stops for the budget", () => {
    const g = new CreditGuard({ balance: 1000, maxCredits: 9, creditsPerProfile: 2 });
    expect(g.allowance()).toBe(4);
    g.reserve(4);
    g.settle(4, 8, 992);
    expect(g.allowance()).toBe(0);
    expect(g.stopReason()).toBe("budget");
  });
});
