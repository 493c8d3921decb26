import { defineProject } from "vitest/config";

export default defineProject({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "@tendril/reliability",
    include: ["test/**/*.test.ts"],
    // 10 s for a test; the soaks, the cancellation property, descriptor exhaustion and the
    // upstream-fault runs state their own longer limits, with the reason.
    testTimeout: 10_000,
    hookTimeout: 10_000,
    setupFiles: ["test/setup.ts"],
    // One file at a time: the figures (descriptors, heap) must not be disturbed by a sibling file.
    fileParallelism: false,
  },
});
