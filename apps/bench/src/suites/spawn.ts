/**
 * `pnpm bench spawn`: 100,000 green threads that each yield once and return a value, all
 * waited for — Tendril's spawn+wait and spawnN beside raw Node (async functions +
 * Promise.all, the floor), Effect fibers, and Eventlet when Debian's python3 has it.
 */

import { hasEventlet, median, printTable, type Row, runChild } from "../harness.js";

export async function run({ quick }: { quick: boolean }): Promise<void> {
  const n = quick ? 10_000 : 100_000;
  const repeats = quick ? 1 : 5;
  const contenders: Array<[string, string, string[]]> = [
    ["raw Node (async + Promise.all)", "spawn-contender.js", ["raw"]],
    ["Tendril spawn + wait", "spawn-contender.js", ["tendril-spawn"]],
    ["Tendril spawnN", "spawn-contender.js", ["tendril-spawnN"]],
    ["Effect fibers (fork + join)", "spawn-contender.js", ["effect"]],
  ];
  const rows: Row[] = [];
  for (const [name, file, args] of contenders) {
    const ms: number[] = [];
    const bytes: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const m = await runChild(file, [...args, String(n)], { nodeFlags: ["--expose-gc"] });
      ms.push(Number(m.ms));
      bytes.push(Number(m.bytesPerTask));
    }
    rows.push({ name, ms: median(ms), "B/thread": median(bytes) });
  }
  if (hasEventlet()) {
    const ms: number[] = [];
    const bytes: number[] = [];
    for (let i = 0; i < Math.min(repeats, 3); i++) {
      const m = await runChild("spawn_eventlet.py", [String(n)]);
      ms.push(Number(m.ms));
      bytes.push(Number(m.bytesPerTask));
    }
    rows.push({ name: "Eventlet spawn + wait", ms: median(ms), "B/thread": median(bytes) });
  } else {
    rows.push({ name: "Eventlet (python3-eventlet not installed)" });
  }
  printTable(
    `spawn: ${n.toLocaleString("en-US")} threads, yield once, wait all (median of ${repeats}) — node ${process.version}`,
    rows,
    ["ms", "B/thread"],
    "ms",
  );
  const floor = rows[0];
  if (floor) {
    const b = rows.map(
      (r) =>
        `${r.name}: ${typeof r["B/thread"] === "number" && typeof floor["B/thread"] === "number" ? (r["B/thread"] / floor["B/thread"]).toFixed(2) : "-"}x`,
    );
    console.log(`bytes/thread ×floor: ${b.join("; ")}`);
  }
}
