import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  checkBaseUrl,
  DEFAULT_BASE_URL,
  loadApiKey,
  redactKey,
  validateApiKey,
} from "../../src/api/index.js";
import { UserError } from "../../src/user-error.js";

const KEY = "bi41LFw9Q8alZqm3fmtDA2xv941sSqIM5VgNc5f3";

function thrown(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error("expected a UserError");
}

describe("validateApiKey", () => {
  it("accepts 40 ASCII letters and digits", () => {
    expect(() => validateApiKey(KEY)).not.toThrow();
  });

  it.each([
    ["too short", KEY.slice(0, 39)],
    ["too long", `${KEY}a`],
    ["a dash", `${KEY.slice(0, 39)}-`],
    ["a non-ASCII letter", `${KEY.slice(0, 39)}é`],
    ["empty", ""],
  ])("refuses a key with %s, exit 2, without showing it", (_label, key) => {
    const error = thrown(() => validateApiKey(key));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      "The API key is not in the documented format (40 letters and digits); check FLUENCE_API_KEY.",
    );
    if (key !== "") expect(error.message).not.toContain(key);
  });
});

describe("redactKey", () => {
  it("shows only the last 4 characters", () => {
    expect(redactKey(KEY)).toBe("…c5f3");
  });
  it("shows nothing of a short key", () => {
    expect(redactKey("abc1234")).toBe("…");
    expect(redactKey("")).toBe("…");
    expect(redactKey("abcd1234")).toBe("…1234");
  });
});

describe("loadApiKey", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "fluence-api-key-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads FLUENCE_API_KEY, trimmed", () => {
    expect(loadApiKey({ env: { FLUENCE_API_KEY: ` ${KEY}\n` } })).toBe(KEY);
  });

  it("reads the first line of the file, and the file wins over the environment", () => {
    const file = join(dir, "key.txt");
    writeFileSync(file, `\uFEFF  ${KEY}  \r\nsecond line\n`);
    const other = "A".repeat(40);
    expect(loadApiKey({ env: { FLUENCE_API_KEY: other }, file })).toBe(KEY);
  });

  it("explains how to set a key when none is given", () => {
    const error = thrown(() => loadApiKey({ env: {} }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain("FLUENCE_API_KEY");
    expect(error.message).toContain("--api-key-file");
    expect(error.message).toContain("--sandbox");
  });

  it("refuses a missing file", () => {
    const error = thrown(() => loadApiKey({ env: { FLUENCE_API_KEY: KEY }, file: join(dir, "nope.txt") }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain("ENOENT");
    expect(error.message).not.toContain(KEY);
  });

  it("refuses an empty file", () => {
    const file = join(dir, "empty.txt");
    writeFileSync(file, "\n\n");
    expect(thrown(() => loadApiKey({ file })).message).toContain("empty");
  });

  it("refuses a key in the wrong format without echoing it, from env or file", () => {
    const bad = `${KEY.slice(0, 30)}!!!!secret`;
    const fromEnv = thrown(() => loadApiKey({ env: { FLUENCE_API_KEY: bad } }));
    const file = join(dir, "bad.txt");
    writeFileSync(file, bad);
    const fromFile = thrown(() => loadApiKey({ file }));
    for (const error of [fromEnv, fromFile]) {
      expect(error.exitCode).toBe(2);
      expect(error.message).not.toContain(bad);
      expect(error.message).not.toContain("secret");
    }
  });
});

describe("checkBaseUrl", () => {
  it.each([
    [DEFAULT_BASE_URL, "https://api.fluenceinsights.com"],
    ["https://api.fluenceinsights.com/", "https://api.fluenceinsights.com"],
    ["https://proxy.example.com/fluence/v1/", "https://proxy.example.com/fluence/v1"],
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080"],
    ["http://127.1.2.3:9/", "http://127.1.2.3:9"],
    ["http://localhost:3000/", "http://localhost:3000"],
    ["http://[::1]:3000", "http://[::1]:3000"],
  ])("accepts %s", (input, expected) => {
    expect(checkBaseUrl(input)).toBe(expected);
  });

  it.each([
    "http://example.com",
    "http://127.0.0.1.example.com",
    "http://10.0.0.1",
    "ftp://api.fluenceinsights.com",
    "not a url",
    "",
    "https://user:pass@api.fluenceinsights.com",
    "https://api.fluenceinsights.com/?key=x",
  ])("refuses %j with exit 2", (input) => {
    expect(thrown(() => checkBaseUrl(input)).exitCode).toBe(2);
  });
});
