import { defineProject } from "vitest/config";

export default defineProject({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "@tendril/tpool",
    include: ["test/**/*.test.ts"],
    // Worker threads start in a few hundred milliseconds each under load.
    testTimeout: 10_000,
    hookTimeout: 10_000,
    setupFiles: ["test/setup.ts"],
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"] },
  },
});
