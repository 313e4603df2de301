/** Requests counted per key against a usage plan's quota for the period (API Gateway usage plans). */
export class QuotaBook {
  private readonly usedByKey = new Map<string, number>();
  private readonly limits = new Map<string, number>();

  /** `defaultLimit` gives a key's quota until setLimit changes it. */
  constructor(private readonly defaultLimit: (key: string) => number) {}

  limit(key: string): number {
    return this.limits.get(key) ?? this.defaultLimit(key);
  }

  used(key: string): number {
    return this.usedByKey.get(key) ?? 0;
  }

  setLimit(key: string, requests: number): void {
    this.limits.set(key, requests);
  }

  /** Counts one request, or answers false when the quota is spent (the request is then not counted). */
  take(key: string): boolean {
    if (this.used(key) >= this.limit(key)) return false;
    this.usedByKey.set(key, this.used(key) + 1);
    return true;
  }

  giveBack(key: string): void {
    this.usedByKey.set(key, Math.max(0, this.used(key) - 1));
  }
}
