/**
 * `pnpm bench watch-io`: what `watchIo()` costs green threads that never open a socket. Each
 * round of the work awaits a promise and a `process.nextTick`. On Node 20 and 22 (the promise
 * hooks carrier) `watchIo()` also attributes ticks to their thread with an `async_hooks` hook,
 * which makes Node track every promise; on Node 24+ (and under `TENDRIL_CONTEXT=als`) ticks
 * carry the thread already and `watchIo()` adds nothing but its channel subscriptions.
 */

import { printTable, type Row, runChild } from "../harness.js";

export async function run({ quick }: { quick: boolean }): Promise<void> {
  const rounds = quick ? 20_000 : 200_000;
  const repeats = quick ? 3 : 7;
  const contenders: Array<[string, string]> = [
    ["green thread, watchIo() off", "off"],
    ["green thread, watchIo() on", "on"],
  ];
  // Interleaved so that a busy neighbour hits both alike; the fastest run of each is kept.
  const ns: number[][] = contenders.map(() => []);
  for (let i = 0; i < repeats; i++) {
    for (const [index, [, mode]] of contenders.entries()) {
      const m = await runChild("watch-io-contender.js", [mode, String(rounds)]);
      ns[index]?.push(Number(m.nsPerRound));
    }
  }
  const rows: Row[] = contenders.map(([name], index) => ({
    name,
    "CPU ns/round": Math.min(...(ns[index] ?? [])),
  }));
  const carrier = process.env.TENDRIL_CONTEXT || "default";
  printTable(
    `watch-io: ${rounds.toLocaleString("en-US")} rounds of await + nextTick in a thread (best of ${repeats}) — node ${process.version}, carrier ${carrier}`,
    rows,
    ["CPU ns/round"],
    "CPU ns/round",
  );
}
