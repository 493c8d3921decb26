import { defineProject } from "vitest/config";

export default defineProject({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "@tendril/bench",
    // The harness and the command line only; the suites run in `pnpm bench:smoke`.
    include: ["test/**/*.test.ts"],
    testTimeout: 10_000,
    hookTimeout: 10_000,
    setupFiles: ["test/setup.ts"],
  },
});
