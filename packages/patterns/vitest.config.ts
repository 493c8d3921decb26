import { defineProject } from "vitest/config";

export default defineProject({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "@tendril/patterns",
    include: ["test/**/*.test.ts"],
    // Network suites: loopback servers, a real redis-server.
    testTimeout: 10_000,
    hookTimeout: 10_000,
    setupFiles: ["test/setup.ts"],
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"] },
  },
});
