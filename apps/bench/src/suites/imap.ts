/**
 * `pnpm bench imap`: an ordered map of `async (x) => x * 2` over a lazy generator of
 * 2,000,000 numbers at concurrency 1000 (200,000 with --quick) — `GreenPool.imap` beside a
 * hand-written bounded ordered window in raw Node (the floor: an array of promises, shifted;
 * a tuned ring variant is shown too), p-map's `pMapIterable` and
 * `pMap`, `Promise.all` (eager and unbounded: it holds every promise at once, ~1.6 GB at 2M),
 * and Eventlet's `GreenPool.imap` when Debian's python3 has it. Reports items/s and peak RSS;
 * repeats are interleaved and the median is shown.
 *
 * Target (issue 3): Tendril >= 0.7x the floor's items/s, peak RSS within 1.1x the floor's.
 */

import { hasEventlet, median, printTable, type Row, runChild } from "../harness.js";

const CONCURRENCY = 1000;

export async function run({ quick }: { quick: boolean }): Promise<void> {
  const n = quick ? 200_000 : 2_000_000;
  const repeats = quick ? 1 : 3;
  const contenders: Array<[string, string, number]> = [
    ["raw Node bounded ordered window (floor)", "floor", repeats],
    ["Tendril GreenPool.imap", "tendril", repeats],
    ["raw Node window on a ring (tuned floor)", "ring", repeats],
    ["the floor with AsyncLocalStorage on (what Tendril avoids)", "floor-als", repeats],
    ["p-map pMapIterable", "p-map-iterable", repeats],
    ["p-map pMap (collects all)", "p-map", repeats],
    ["Promise.all (eager, unbounded)", "promise-all", 1],
  ];
  const rates = contenders.map(() => [] as number[]);
  const rss = contenders.map(() => [] as number[]);
  for (let r = 0; r < repeats; r++) {
    for (const [i, [, mode, times]] of contenders.entries()) {
      if (r >= times) continue;
      const m = await runChild("imap-contender.js", [mode, String(n), String(CONCURRENCY)]);
      rates[i]?.push(Number(m.itemsPerSec));
      rss[i]?.push(Number(m.peakRssMb));
    }
  }
  const rows: Row[] = contenders.map(([name], i) => ({
    name,
    "items/s": median(rates[i] as number[]),
    "peak RSS MB": median(rss[i] as number[]),
  }));
  if (hasEventlet()) {
    // Eventlet is ~60x slower: a twentieth of the items gives the rate in reasonable time.
    const en = Math.max(10_000, n / 20);
    const m = await runChild("imap_eventlet.py", [String(en), String(CONCURRENCY)]);
    rows.push({
      name: `Eventlet GreenPool.imap (${en.toLocaleString("en-US")} items)`,
      "items/s": Number(m.itemsPerSec),
      "peak RSS MB": Number(m.peakRssMb),
    });
  } else {
    rows.push({ name: "Eventlet (python3-eventlet not installed)" });
  }
  printTable(
    `imap: ordered map over a lazy generator of ${n.toLocaleString("en-US")} items at concurrency ${CONCURRENCY} (median of ${repeats}) — node ${process.version}`,
    rows,
    ["items/s", "peak RSS MB"],
    "items/s",
  );
  const floor = rows[0];
  if (floor) {
    const memory = rows
      .filter((r) => typeof r["peak RSS MB"] === "number")
      .map(
        (r) =>
          `${r.name}: ${((r["peak RSS MB"] as number) / (floor["peak RSS MB"] as number)).toFixed(2)}x`,
      );
    console.log(`peak RSS ×floor: ${memory.join("; ")}`);
  }
  const tendril = rows[1];
  if (floor && tendril) {
    const ratio = (tendril["items/s"] as number) / (floor["items/s"] as number);
    const mem = (tendril["peak RSS MB"] as number) / (floor["peak RSS MB"] as number);
    console.log(
      `Tendril: ${ratio.toFixed(2)}x the floor's items/s (target >= 0.70x), ${mem.toFixed(2)}x its peak RSS (target <= 1.10x)`,
    );
  }
}
