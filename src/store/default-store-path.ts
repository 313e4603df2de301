import { homedir } from "node:os";
import path from "node:path";

/**
 * Where the store lives when --store is not given: the platform's cache directory, because the store
 * only saves credits and can be deleted at any time. FLUENCE_STORE wins over everything.
 * @param env defaults to process.env
 * @param platform defaults to process.platform
 * @param home defaults to os.homedir()
 */
export function defaultStorePath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.FLUENCE_STORE) return env.FLUENCE_STORE;
  if (platform === "win32") {
    const localAppData = env.LOCALAPPDATA || path.win32.join(home, "AppData", "Local");
    return path.win32.join(localAppData, "fluence", "Cache", "store.sqlite");
  }
  if (platform === "darwin") {
    return path.posix.join(home, "Library", "Caches", "fluence", "store.sqlite");
  }
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env.XDG_CACHE_HOME;
  const cacheHome = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, ".cache");
  return path.posix.join(cacheHome, "fluence", "store.sqlite");
}
