import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One PostgreSQL server for the whole run; each test file makes its own database in it.
    globalSetup: ["test/global-postgres.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // One worker per core, not vitest's cores - 1: most integration tests wait on the CLI child they spawn
    // (its start-up, the sandbox's latency), so one worker kept a 2-core machine at ~1.05 cores busy. With
    // two, npm test went from 462 s to 315 s there.
    maxWorkers: availableParallelism(),
  },
});
