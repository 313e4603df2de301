import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Tests that measure how the adaptive concurrency behaves against a capped server: their figures follow
// the answers' timing, which another worker's load skews. They run first, alone.
const TIMING = ["test/integration/enrich-flow-control.test.ts"];

export default defineConfig({
  test: {
    // One PostgreSQL server for the whole run; each test file makes its own database in it.
    globalSetup: ["test/global-postgres.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // One worker per core, not vitest's cores - 1: most integration tests wait on the CLI child they spawn
    // (its start-up, the sandbox's latency), so one worker kept a 2-core machine at ~1.05 cores busy. With
    // two, npm test went from 462 s to 315 s there.
    maxWorkers: availableParallelism(),
    projects: [
      { extends: true, test: { name: "timing", include: TIMING, sequence: { groupOrder: 0 } } },
      {
        extends: true,
        test: { name: "suite", include: ["test/**/*.test.ts"], exclude: TIMING, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
