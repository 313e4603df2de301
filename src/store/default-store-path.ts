import { homedir } from "node:os";
import path from "node:path";

/**
 * fluence's own directory in the platform's cache directory: the default store, and on Node lines that have
 * one, V8's compile cache (bin/fluence.js). Nothing in it is needed; all of it can be deleted at any time.
 * @param env defaults to process.env
 * @param platform defaults to process.platform
 * @param home defaults to os.homedir()
 */
export function fluenceCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === "win32") {
    const localAppData = env.LOCALAPPDATA || path.win32.join(home, "AppData", "Local");
    return path.win32.join(localAppData, "fluence", "Cache");
  }
  if (platform === "darwin") return path.posix.join(home, "Library", "Caches", "fluence");
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env.XDG_CACHE_HOME;
  const cacheHome = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, ".cache");
  return path.posix.join(cacheHome, "fluence");
}

/**
 * Where the store lives when --store is not given: the cache directory, because the store only saves
 * credits and can be deleted at any time. FLUENCE_STORE wins over everything.
 */
export function defaultStorePath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.FLUENCE_STORE) return env.FLUENCE_STORE;
  const join = platform === "win32" ? path.win32.join : path.posix.join;
  return join(fluenceCacheDir(env, platform, home), "store.sqlite");
}
