import { defineProject } from "vitest/config";

export default defineProject({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "@tendril/bench",
    include: ["test/**/*.test.ts"],
    // The smoke test runs real (quick) suites in child processes.
    testTimeout: 120_000,
  },
});
