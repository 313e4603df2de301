import { describe, expect, it } from "vitest";
import { parseAge } from "../../src/store/index.js";
import { UserError } from "../../src/user-error.js";

describe("parseAge", () => {
  it.each([
    ["0", 0],
    ["0d", 0],
    ["45s", 45_000],
    ["90m", 5_400_000],
    ["12h", 43_200_000],
    ["30d", 2_592_000_000],
    ["2w", 1_209_600_000],
    [" 7d ", 604_800_000],
  ])("%j is %d ms", (text, ms) => {
    expect(parseAge(text)).toBe(ms);
  });

  it.each(["", "30", "d", "-1d", "1.5h", "30 d", "30days", "1y", "abc", "99999999999999w"])(
    "%j is a usage error",
    (text) => {
      let caught: unknown;
      try {
        parseAge(text);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(UserError);
      expect((caught as UserError).exitCode).toBe(2);
      expect((caught as UserError).message).toBe(`"${text}" is not a valid age; use e.g. 30d, 12h or 0.`);
    },
  );
});
