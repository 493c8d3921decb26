/**
 * One contender of the tax suite: an await loop that has nothing to do with Tendril, timed in
 * a process that did not import @tendril/core (`none`), one that imported it and never used it
 * (`imported`), and one that ran a single green thread first and then left Tendril alone
 * (`used` — on Node 20 and 22 that installs the promise hooks carrier).
 *
 * usage: node tax-contender.js <none|imported|used> <N>
 */

import { cpuNow, emit } from "../harness.js";

const [mode = "none", nArg = "2000000"] = process.argv.slice(2);
const N = Number(nArg);

async function step(i: number): Promise<number> {
  await null;
  return i & 1;
}

async function loop(n: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await step(i);
  return sum;
}

async function main(): Promise<void> {
  let carrier = "-";
  if (mode !== "none") {
    const core = await import("@tendril/core");
    if (mode === "used") await core.spawn(() => core.sleep(0)).wait();
    carrier = mode === "used" ? "used" : "imported";
  }
  await loop(Math.min(N, 100_000)); // warm up the JIT
  const t0 = performance.now();
  const c0 = cpuNow();
  const checksum = await loop(N);
  const ms = performance.now() - t0;
  const cpuMs = cpuNow() - c0;
  emit({ ms, cpuMs, checksum, carrier });
}

await main();
