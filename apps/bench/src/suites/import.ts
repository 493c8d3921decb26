/**
 * `pnpm bench import`: what importing each entry point costs a fresh process — start-up time
 * to the end of the import, and resident memory afterwards — beside raw Node importing
 * `node:net`. The point is the socket-only entry (`@tendril/green-net/sockets`), which must
 * not pull in undici the way the whole package does.
 */

import { median, printTable, type Row, runChild } from "../harness.js";

const ENTRIES: Array<[name: string, entry: string]> = [
  ["raw Node (node:net)", "raw"],
  ["@tendril/core", "@tendril/core"],
  ["@tendril/green-net/sockets", "@tendril/green-net/sockets"],
  ["@tendril/green-net/http-server", "@tendril/green-net/http-server"],
  ["@tendril/green-net/http", "@tendril/green-net/http"],
  ["@tendril/green-net (everything)", "@tendril/green-net"],
];

export async function run({ quick }: { quick: boolean }): Promise<void> {
  const repeats = quick ? 3 : 9;
  const rows: Row[] = [];
  for (const [name, entry] of ENTRIES) {
    const startup: number[] = [];
    const imports: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const m = await runChild("import-entry.js", [entry]);
      startup.push(Number(m.startupMs));
      imports.push(Number(m.importMs));
      rss.push(Number(m.rssMb));
    }
    rows.push({
      name,
      "startup ms": median(startup),
      "import ms": median(imports),
      "RSS MB": median(rss),
    });
  }
  printTable(
    `import: one entry point in a fresh process (median of ${repeats}) — node ${process.version}`,
    rows,
    ["startup ms", "import ms", "RSS MB"],
    "RSS MB",
  );
}
