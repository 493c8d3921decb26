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
  },
});
