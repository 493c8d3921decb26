import { defineProject } from "vitest/config";

export default defineProject({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "@tendril/examples",
    include: ["test/**/*.test.ts"],
    // The tests run whole programs in child processes; each bounds its own waits.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"] },
  },
});
