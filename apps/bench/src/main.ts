/**
 * `pnpm bench [suite…]`: runs the named suites (all when none is named) and prints a table
 * for each. Suites live in `src/suites/<name>.ts` and export `run(args)`.
 */

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { benchRoot } from "./harness.js";

const available = readdirSync(join(benchRoot, "dist", "suites"))
  .filter((f) => f.endsWith(".js"))
  .map((f) => f.slice(0, -3))
  .sort();

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(`usage: pnpm bench [suite…] [--quick]\n\nsuites: ${available.join(", ")}`);
  process.exit(0);
}
const quick = args.includes("--quick");
const wanted = args.filter((a) => !a.startsWith("--"));
for (const name of wanted) {
  if (!available.includes(name)) {
    console.error(`unknown suite ${JSON.stringify(name)}; available: ${available.join(", ")}`);
    process.exit(2);
  }
}
for (const name of wanted.length > 0 ? wanted : available) {
  const suite = (await import(join(benchRoot, "dist", "suites", `${name}.js`))) as {
    run(options: { quick: boolean }): Promise<void>;
  };
  await suite.run({ quick });
}
