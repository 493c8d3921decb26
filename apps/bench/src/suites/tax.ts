/**
 * `pnpm bench tax`: what importing @tendril/core costs code that does not use it. The same
 * unrelated await loop (2,000,000 awaits of an async function) runs in a process without
 * Tendril (the floor), in one that imported it and never spawned, and in one that ran one
 * green thread first. Target: imported <= 1.05x everywhere; after a thread, <= 1.05x on Node
 * 24+ (AsyncLocalStorage on AsyncContextFrame). On Node 20 and 22 the promise hooks carrier is
 * installed by the first thread and taxes every promise from then on.
 */

import { printTable, type Row, runChild } from "../harness.js";

export async function run({ quick }: { quick: boolean }): Promise<void> {
  const n = quick ? 300_000 : 2_000_000;
  const repeats = quick ? 3 : 7;
  const contenders: Array<[string, string]> = [
    ["await loop, no Tendril", "none"],
    ["await loop, @tendril/core imported", "imported"],
    ["await loop, after one green thread", "used"],
  ];
  const rows: Row[] = [];
  // Interleave the contenders so that a busy neighbour on a shared machine hits all alike.
  const ms: number[][] = contenders.map(() => []);
  for (let i = 0; i < repeats; i++) {
    for (const [index, [, mode]] of contenders.entries()) {
      const m = await runChild("tax-contender.js", [mode, String(n)]);
      ms[index]?.push(Number(m.ms));
    }
  }
  for (const [index, [name]] of contenders.entries()) {
    // The fastest run: the loop is pure CPU, so noise from a busy machine only ever adds time.
    rows.push({ name, ms: Math.min(...(ms[index] ?? [])) });
  }
  const carrier = process.env.TENDRIL_CONTEXT || "default";
  printTable(
    `tax: ${n.toLocaleString("en-US")} unrelated awaits (best of ${repeats}) — node ${process.version}, carrier ${carrier}`,
    rows,
    ["ms"],
    "ms",
  );
}
