/**
 * `pnpm bench pool`: 1,000,000 tiny tasks (`async () => {}`) through a concurrency limit of
 * 1000 (100,000 with --quick) — `GreenPool.spawnN` beside a hand-written semaphore in raw Node
 * (the floor), p-limit, p-queue, and Eventlet's `GreenPool.spawn_n` when Debian's python3 has
 * it. Reports tasks/s and peak RSS; each contender runs in its own process, repeats are
 * interleaved and the median is shown.
 *
 * Target (issue 3): Tendril >= 0.3x the floor's tasks/s, peak RSS under 150 MB.
 */

import { hasEventlet, median, printTable, type Row, runChild } from "../harness.js";

const CONCURRENCY = 1000;

export async function run({ quick }: { quick: boolean }): Promise<void> {
  const n = quick ? 100_000 : 1_000_000;
  const repeats = quick ? 1 : 3;
  const contenders: Array<[string, string]> = [
    ["raw Node hand-written semaphore (floor)", "floor"],
    ["Tendril GreenPool.spawnN", "tendril"],
    ["the floor with AsyncLocalStorage on (what Tendril avoids)", "floor-als"],
    ["p-limit (Promise.all of limit(task))", "p-limit"],
    ["p-queue (add + onIdle)", "p-queue"],
  ];
  const rates = contenders.map(() => [] as number[]);
  const rss = contenders.map(() => [] as number[]);
  for (let r = 0; r < repeats; r++) {
    for (const [i, [, mode]] of contenders.entries()) {
      const m = await runChild("pool-contender.js", [mode, String(n), String(CONCURRENCY)]);
      rates[i]?.push(Number(m.tasksPerSec));
      rss[i]?.push(Number(m.peakRssMb));
    }
  }
  const rows: Row[] = contenders.map(([name], i) => ({
    name,
    "tasks/s": median(rates[i] as number[]),
    "peak RSS MB": median(rss[i] as number[]),
  }));
  if (hasEventlet()) {
    // Eventlet is ~100x slower: a tenth of the tasks gives the same rate in a tenth of the time.
    const en = Math.max(10_000, n / 10);
    const m = await runChild("pool_eventlet.py", [String(en), String(CONCURRENCY)]);
    rows.push({
      name: `Eventlet GreenPool.spawn_n (${en.toLocaleString("en-US")} tasks)`,
      "tasks/s": Number(m.tasksPerSec),
      "peak RSS MB": Number(m.peakRssMb),
    });
  } else {
    rows.push({ name: "Eventlet (python3-eventlet not installed)" });
  }
  printTable(
    `pool: ${n.toLocaleString("en-US")} tiny tasks through a limit of ${CONCURRENCY} (median of ${repeats}) — node ${process.version}`,
    rows,
    ["tasks/s", "peak RSS MB"],
    "tasks/s",
  );
  const floor = rows[0];
  const tendril = rows[1];
  const pLimit = rows[3];
  if (floor && tendril && pLimit) {
    const ratio = (tendril["tasks/s"] as number) / (floor["tasks/s"] as number);
    const vsPLimit = (tendril["tasks/s"] as number) / (pLimit["tasks/s"] as number);
    console.log(
      `Tendril: ${ratio.toFixed(2)}x the floor (target >= 0.30x), ${vsPLimit.toFixed(1)}x p-limit, ` +
        `peak RSS ${tendril["peak RSS MB"]} MB (target < 150 MB)`,
    );
  }
}
