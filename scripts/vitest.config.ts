import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "scripts",
    include: ["test/**/*.test.ts"],
    testTimeout: 10_000,
    hookTimeout: 10_000,
    setupFiles: ["test/setup.ts"],
  },
});
