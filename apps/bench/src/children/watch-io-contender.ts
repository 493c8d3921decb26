/**
 * One contender of the watch-io suite: a green thread doing promise- and tick-heavy work (each
 * round awaits a promise and a `process.nextTick`), with `watchIo()` off (`off`) or on (`on`).
 * Reports CPU time, not wall time: on a shared machine the wall clock mostly measures the
 * neighbours, and this work is pure CPU.
 *
 * usage: node watch-io-contender.js <off|on> <ROUNDS>
 */

import { spawn } from "@tendril/core";
import { watchIo } from "@tendril/green-net/sockets";
import { emit } from "../harness.js";

const [mode = "off", roundsArg = "200000"] = process.argv.slice(2);
const ROUNDS = Number(roundsArg);

async function work(rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await Promise.resolve(i);
    await new Promise<void>((resolve) => process.nextTick(resolve));
  }
}

async function cpuMs(rounds: number): Promise<number> {
  const start = process.cpuUsage();
  await spawn(work, rounds).wait();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

if (mode === "on") watchIo();
await cpuMs(Math.min(ROUNDS, 20_000)); // warm up the JIT
const ms = await cpuMs(ROUNDS);
emit({ ms, nsPerRound: (ms * 1e6) / ROUNDS });
