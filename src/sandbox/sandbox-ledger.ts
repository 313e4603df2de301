import type { SandboxPlan } from "./sandbox-plans.js";
import { planForKey } from "./sandbox-plans.js";

interface Account {
  balance: number;
  used: number;
}

/** Credit balances per key, opened lazily at the starting balance (option `credits` or the plan quota). */
export class Ledger {
  private readonly accounts = new Map<string, Account>();

  constructor(private readonly startingCredits: number | undefined) {}

  private account(key: string): Account {
    let account = this.accounts.get(key);
    if (!account) {
      const plan = this.plan(key);
      account = { balance: this.startingCredits ?? plan.monthlyQuota, used: 0 };
      this.accounts.set(key, account);
    }
    return account;
  }

  private plan(key: string): SandboxPlan {
    const plan = planForKey(key);
    if (!plan) throw new Error(`Unknown sandbox key: ${key.slice(0, 6)}…`);
    return plan;
  }

  balance(key: string): number {
    return this.account(key).balance;
  }

  used(key: string): number {
    return this.account(key).used;
  }

  setBalance(key: string, credits: number): void {
    this.account(key).balance = credits;
  }

  /** Takes `credits` from the key; callers check the balance first. */
  debit(key: string, credits: number): void {
    const account = this.account(key);
    account.balance -= credits;
    account.used += credits;
  }
}
