/**
 * Which fingerprints a pass has seen, in 8 bytes per slot: a 64-bit hash of each fingerprint in an
 * open-addressing table (about 16 bytes per distinct person at worst). It only tells first rows from
 * duplicates for counting; outcomes are always looked up by the full fingerprint, so the one-in-10^10
 * chance of two people sharing a 64-bit hash at a million rows could at most miscount one duplicate.
 * A JS Set of the fingerprints themselves costs ~300 bytes per person; a SQLite table ~7 µs per row.
 */
export class FingerprintSet {
  #hi: Uint32Array;
  #lo: Uint32Array;
  #mask: number;
  #size = 0;

  constructor(initialCapacity = 1 << 12) {
    const capacity = 2 ** Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.#hi = new Uint32Array(capacity);
    this.#lo = new Uint32Array(capacity);
    this.#mask = capacity - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Adds the fingerprint; true when it was not there yet. */
  add(fp: string): boolean {
    // Two independent 32-bit FNV-1a style hashes over the string (different bases and primes).
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193 ^ fp.length;
    for (let i = 0; i < fp.length; i++) {
      const c = fp.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    const hi = h1 >>> 0;
    const lo = (h2 | 1) >>> 0; // never 0: a zero lo marks an empty slot
    return this.#insert(hi, lo, true);
  }

  #insert(hi: number, lo: number, grow: boolean): boolean {
    let slot = hi & this.#mask;
    for (;;) {
      const l = this.#lo[slot]!;
      if (l === 0) break;
      if (l === lo && this.#hi[slot] === hi) return false;
      slot = (slot + 1) & this.#mask;
    }
    this.#hi[slot] = hi;
    this.#lo[slot] = lo;
    this.#size++;
    if (grow && this.#size * 2 > this.#mask + 1) this.#grow();
    return true;
  }

  #grow(): void {
    const hi = this.#hi;
    const lo = this.#lo;
    this.#hi = new Uint32Array(hi.length * 2);
    this.#lo = new Uint32Array(lo.length * 2);
    this.#mask = this.#hi.length - 1;
    this.#size = 0;
    for (let i = 0; i < hi.length; i++) if (lo[i] !== 0) this.#insert(hi[i]!, lo[i]!, false);
  }
}
