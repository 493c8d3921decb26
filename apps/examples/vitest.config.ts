import { defineProject } from "vitest/config";

export default defineProject({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "@tendril/examples",
    include: ["test/**/*.test.ts"],
    // Nearly every test here runs one or more whole programs in child processes (`--help` alone
    // took 8 s on a loaded 2-core machine), and each bounds its own waits: 30 s, not the 10 s
    // of the network suites. The distributed crawl and the demo state their own longer limits.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    setupFiles: ["test/setup.ts"],
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"] },
  },
});
