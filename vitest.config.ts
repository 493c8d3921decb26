import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    projects: [
      "packages/*",
      "apps/examples",
      "apps/bench",
      "apps/reliability",
      "docs",
      "scripts",
      "tools/*",
    ],
    typecheck: { enabled: true, include: ["**/*.test-d.ts"] },
    // `pnpm coverage` (not in CI): V8's own counters, over the published packages' sources.
    coverage: {
      provider: "v8",
      include: ["packages/*/src/**/*.ts"],
      reporter: ["text-summary", "json-summary", "html"],
      reportsDirectory: "coverage",
    },
  },
});
