import { defineProject } from "vitest/config";

export default defineProject({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "@tendril/reliability",
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // One file at a time: the figures (descriptors, heap) must not be disturbed by a sibling file.
    fileParallelism: false,
  },
});
