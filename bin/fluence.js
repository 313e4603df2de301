#!/usr/bin/env node
import module from "node:module";

// Node >= 22.1 can keep V8's compiled code on disk between runs, which shortens every start after the
// first; Node 20 has no such API and starts as before.
module.enableCompileCache?.();

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
