#!/usr/bin/env node
import module from "node:module";
import path from "node:path";
import v8 from "node:v8";

// On Node 20, V8 compiles undici's HTTP parser (llhttp, WebAssembly) a second time with its optimizing
// compiler in the background, and the process waits for that at exit: ~200 ms added to every command that
// made a request (`fluence credits --sandbox` exited at ~440 ms, ~260 ms with this). The baseline compiler
// is plenty for a few responses a second. Newer lines do not wait (Node 26: ~200 ms either way), so they
// keep V8's default. Only the CLI sets it: a program that imports fluence-enrich keeps its own flags.
if (Number(process.versions.node.split(".")[0]) < 22) v8.setFlagsFromString("--liftoff-only");

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
