import { defineProject } from "vitest/config";

// `pnpm bench:smoke`: every suite end to end in --quick mode, in child processes. Not part of
// `pnpm test`. Each run takes up to a couple of minutes on a loaded machine, hence the timeout.
export default defineProject({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "@tendril/bench-smoke",
    include: ["smoke/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 10_000,
    setupFiles: ["test/setup.ts"],
    fileParallelism: false,
  },
});
