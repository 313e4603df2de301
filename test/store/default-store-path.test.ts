import { homedir } from "node:os";
import { describe, expect, it } from "vitest";
import { fluenceCacheDir } from "../../src/store/default-store-path.js";
import { defaultStorePath } from "../../src/store/index.js";

describe("defaultStorePath", () => {
  it("uses ~/.cache on linux without XDG_CACHE_HOME", () => {
    expect(defaultStorePath({}, "linux", "/home/ana")).toBe("/home/ana/.cache/fluence/store.sqlite");
  });

  it("uses an absolute XDG_CACHE_HOME and ignores a relative one", () => {
    expect(defaultStorePath({ XDG_CACHE_HOME: "/var/cache/ana" }, "linux", "/home/ana")).toBe(
      "/var/cache/ana/fluence/store.sqlite",
    );
    expect(defaultStorePath({ XDG_CACHE_HOME: "cache" }, "linux", "/home/ana")).toBe(
      "/home/ana/.cache/fluence/store.sqlite",
    );
  });

  it("uses ~/Library/Caches on macOS", () => {
    expect(defaultStorePath({ XDG_CACHE_HOME: "/x" }, "darwin", "/Users/ana")).toBe(
      "/Users/ana/Library/Caches/fluence/store.sqlite",
    );
  });

  it("uses %LOCALAPPDATA% on Windows, or its usual place under the profile", () => {
    expect(
      defaultStorePath({ LOCALAPPDATA: "C:\\Users\\ana\\AppData\\Local" }, "win32", "C:\\Users\\ana"),
    ).toBe("C:\\Users\\ana\\AppData\\Local\\fluence\\Cache\\store.sqlite");
    expect(defaultStorePath({}, "win32", "C:\\Users\\ana")).toBe(
      "C:\\Users\\ana\\AppData\\Local\\fluence\\Cache\\store.sqlite",
    );
  });

  it("lets FLUENCE_STORE win on every platform", () => {
    for (const platform of ["linux", "darwin", "win32"] as const) {
      expect(
        defaultStorePath({ FLUENCE_STORE: "/data/s.sqlite", XDG_CACHE_HOME: "/x" }, platform, "/h"),
      ).toBe("/data/s.sqlite");
    }
  });

  it("defaults to the real environment", () => {
    expect(defaultStorePath()).toBe(defaultStorePath(process.env, process.platform, homedir()));
  });
});

describe("fluenceCacheDir", () => {
  it("is the store's directory on every platform, whatever FLUENCE_STORE says", () => {
    const env = { FLUENCE_STORE: "/team/store.sqlite", XDG_CACHE_HOME: "/xdg", LOCALAPPDATA: "C:\\Local" };
    expect(fluenceCacheDir(env, "linux", "/home/ana")).toBe("/xdg/fluence");
    expect(fluenceCacheDir({}, "linux", "/home/ana")).toBe("/home/ana/.cache/fluence");
    expect(fluenceCacheDir(env, "darwin", "/Users/ana")).toBe("/Users/ana/Library/Caches/fluence");
    expect(fluenceCacheDir(env, "win32", "C:\\Users\\ana")).toBe("C:\\Local\\fluence\\Cache");
    expect(defaultStorePath({}, "win32", "C:\\Users\\ana")).toBe(
      "C:\\Users\\ana\\AppData\\Local\\fluence\\Cache\\store.sqlite",
    );
  });
});
