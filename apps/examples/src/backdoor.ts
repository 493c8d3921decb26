/**
 * `backdoor`: Eventlet's backdoor — look inside a running program. A small job runner (green
 * workers taking jobs from a queue) runs with a backdoor on 127.0.0.1; connect to it with
 * `nc 127.0.0.1 PORT` and type JavaScript: `stats`, `queue.qsize()`, `workers.length`,
 * `console.log(formatThreads())` — the program's own objects, live.
 *
 * Run: `node dist/backdoor.js --port 3000`, then `nc 127.0.0.1 3000`. Ctrl-C stops it.
 *
 * @module
 */

import { Queue, sleep, spawn } from "@tendril/core";
import { backdoor } from "@tendril/green-net/backdoor";
import { log, onShutdown, parseCli, runMain } from "./cli.js";

const spec = {
  name: "backdoor",
  summary: "A job runner with a backdoor REPL on 127.0.0.1 to inspect it while it runs.",
  flags: {
    port: {
      type: "number",
      default: 3000,
      description: "backdoor port (0: a free one)",
      valueName: "N",
    },
    workers: { type: "number", default: 4, description: "green worker threads", valueName: "N" },
  },
  examples: ["node dist/backdoor.js --port 3000   # then: nc 127.0.0.1 3000"],
} as const;

async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(spec, argv);
  // #region backdoor
  const queue = new Queue<number>(100);
  const stats = { processed: 0 };
  const producer = spawn(async () => {
    for (let job = 0; ; job++) await queue.put(job);
  });
  const workers = Array.from({ length: values.workers }, (_, i) => {
    const worker = spawn(async () => {
      for (;;) {
        await queue.get();
        await sleep(20); // the "work"
        stats.processed++;
      }
    });
    worker.name = `worker-${i}`;
    return worker;
  });
  // Everything in `context` is in scope in each session, beside listThreads/formatThreads.
  const door = await backdoor({ port: values.port, context: { queue, workers, stats } });
  const { address, port } = door.address() as { address: string; port: number };
  log(`backdoor on ${address}:${port} — try: nc ${address} ${port}`);
  // #endregion backdoor
  await new Promise<void>((resolve) => onShutdown(() => resolve()));
  await door.close();
  await producer.kill();
  for (const worker of workers) await worker.kill();
  log(`stopped after ${stats.processed} jobs`);
  return 0;
}

runMain(import.meta.url, main);
