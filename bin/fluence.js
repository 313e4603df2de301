#!/usr/bin/env node
import module from "node:module";
import path from "node:path";

// Node >= 22.1 can keep V8's compiled code on disk between runs, which shortens every start after the
// first; Node 20 has no such API and starts as before. The cache goes to fluence's cache directory (beside
// the default store), not to Node's default of $TMPDIR/node-compile-cache: fluence leaves nothing in the
// temp directory. NODE_COMPILE_CACHE still wins; NODE_DISABLE_COMPILE_CACHE turns it off.
if (module.enableCompileCache) {
  const { fluenceCacheDir } = await import("../dist/store/default-store-path.js");
  module.enableCompileCache(process.env.NODE_COMPILE_CACHE || path.join(fluenceCacheDir(), "compile-cache"));
}

// The compiled CLI lives in dist/ (built by `npm ci` through the prepare script). Imported after the cache
// is on, so the CLI's own modules are cached too.
const { main } = await import("../dist/cli/main.js");

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`fluence: internal error: ${error?.message ?? error}\n`);
    process.exitCode = 1;
  },
);
