import { defineProject } from "vitest/config";

export default defineProject({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "@tendril/test-servers",
    include: ["test/**/*.test.ts"],
    // Starts and restarts a real redis-server.
    testTimeout: 10_000,
    hookTimeout: 10_000,
    setupFiles: ["test/setup.ts"],
  },
});
