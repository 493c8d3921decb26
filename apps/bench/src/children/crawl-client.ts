/**
 * The crawl suite's clients: fetch N distinct URLs from one local origin with C requests in
 * flight and read every body. Prints one RESULT line: URLs per second and bytes read.
 *
 * usage: node crawl-client.js <mode> <port> <n> <concurrency>
 *   undici-pool     undici `Pool` with C hand-written worker loops (the floor)
 *   tendril-imap    Tendril `GreenPool(C).imap` + `urlopen` (the seed page's client pattern)
 *   undici-request  undici `request` + p-map
 *   fetch           Node's global `fetch` + p-map
 */

import { GreenPool } from "@tendril/core";
import { urlopen } from "@tendril/green-net";
import pMap from "p-map";
import { Pool, request } from "undici";
import { emit } from "../harness.js";

const [mode = "undici-pool", portArg = "0", nArg = "20000", concurrencyArg = "100"] =
  process.argv.slice(2);
const n = Number(nArg);
const concurrency = Number(concurrencyArg);
const origin = `http://127.0.0.1:${portArg}`;
const urls = Array.from({ length: n }, (_, i) => `${origin}/page/${i}`);

async function crawl(): Promise<number> {
  let bytes = 0;
  switch (mode) {
    case "undici-pool": {
      const pool = new Pool(origin, { connections: concurrency });
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < n) {
          const i = next++;
          const { body } = await pool.request({ path: `/page/${i}`, method: "GET" });
          const chunk = await body.bytes();
          bytes += chunk.byteLength;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      await pool.close();
      return bytes;
    }
    case "tendril-imap": {
      const pool = new GreenPool(concurrency);
      for await (const body of pool.imap(
        async (url: string) => (await urlopen(url)).bytes(),
        urls,
      )) {
        bytes += body.byteLength;
      }
      return bytes;
    }
    case "undici-request": {
      const sizes = await pMap(
        urls,
        async (url) => {
          const { body } = await request(url);
          return (await body.bytes()).byteLength;
        },
        { concurrency },
      );
      for (const s of sizes) bytes += s;
      return bytes;
    }
    case "fetch": {
      const sizes = await pMap(
        urls,
        async (url) => (await (await fetch(url)).arrayBuffer()).byteLength,
        {
          concurrency,
        },
      );
      for (const s of sizes) bytes += s;
      return bytes;
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

const t0 = performance.now();
const bytes = await crawl();
const ms = performance.now() - t0;
if (bytes !== n * 1024) throw new Error(`${mode}: read ${bytes} bytes, expected ${n * 1024}`);
emit({ urlsPerSec: (n / ms) * 1000, ms });
process.exit(0);
