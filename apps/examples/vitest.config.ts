import { defineProject } from "vitest/config";

export default defineProject({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "@tendril/examples",
    include: ["test/**/*.test.ts"],
    // Nearly every test here runs a whole program in a child process (node's start alone takes
    // seconds on a loaded machine), and each bounds its own waits: 20 s, not the 10 s of the
    // network suites. The distributed crawl and the demo state their own longer limits.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    setupFiles: ["test/setup.ts"],
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"] },
  },
});
