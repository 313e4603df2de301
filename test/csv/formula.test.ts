import { describe, expect, it } from "vitest";
import { neutralizeFormula } from "../../src/csv/index.js";

describe("neutralizeFormula", () => {
  const triggers = [
    "=SUM(A1)",
    "+55 11 9999",
    "-2+3",
    "@cmd",
    "\tx",
    "\rx",
    "\nx",
    "＝1+1",
    "＋1",
    "－1",
    "＠x",
  ];
  for (const value of triggers) {
    it(`prefixes ' to ${JSON.stringify(value)}`, () => {
      expect(neutralizeFormula(value)).toBe(`'${value}`);
    });
  }

  for (const value of ["Ana", "", "1+1", " =x", "a=b", "'already", "São Paulo"]) {
    it(`leaves ${JSON.stringify(value)} alone`, () => {
      expect(neutralizeFormula(value)).toBe(value);
    });
  }
});
