import { describe, expect, it } from "vitest";
import { FingerprintSet } from "../../src/pipeline/fingerprint-set.js";
import { fingerprint } from "../../src/store/index.js";

describe("FingerprintSet", () => {
  it("tells first sightings from repeats across growth", () => {
    const set = new FingerprintSet(16);
    const fps = Array.from({ length: 50_000 }, (_, i) =>
      fingerprint({ primeiro_nome: `P${i}`, ultimo_nome: "S", empresa: "E" }),
    );
    for (const fp of fps) expect(set.add(fp)).toBe(true);
    expect(set.size).toBe(50_000);
    for (const fp of fps.slice(0, 1000)) expect(set.add(fp)).toBe(false);
    expect(set.size).toBe(50_000);
  });

  it("treats strings that differ in one character as different", () => {
    const set = new FingerprintSet();
    expect(set.add("abc")).toBe(true);
    expect(set.add("abd")).toBe(true);
    expect(set.add("abc")).toBe(false);
    expect(set.add("")).toBe(true);
    expect(set.add("")).toBe(false);
  });
});
