/**
 * `demo`: a one-minute tour of Tendril's three patterns, on an embedded local internet —
 * the README's first command (`pnpm demo`). Each act runs a real example program in this
 * process (the same functions its own command runs) and prints what it saw:
 *
 * 1. the embedded internet starts on 127.0.0.1;
 * 2. the client pattern: the crawler crawls its site with a live progress line;
 * 3. the server pattern: the echo server takes a load of round trips;
 * 4. the dispatch pattern: the feed scraper fetches every feed for one request;
 * 5. a chat room with two scripted participants;
 * 6. the port forwarder, relaying to the echo server.
 *
 * Everything is closed at the end, and the process exits on its own — no handle is left.
 *
 * @module
 */

import { sleep, spawn } from "@tendril/core";
import { connect, type GreenSocket } from "@tendril/green-net";
import { startChatServer } from "./chat-server.js";
import {
  bold,
  cyan,
  dim,
  formatBytes,
  formatCount,
  header,
  onShutdown,
  parseCli,
  runMain,
} from "./cli.js";
import { formatCrawlReport, runCrawler } from "./crawler.js";
import { formatEchoResult, runEchoLoad } from "./echo-client.js";
import { startEchoServer } from "./echo-server.js";
import { startFeedScraper } from "./feed-scraper.js";
import { formatFeedResults, scrapeTitles } from "./feed-scraper-client.js";
import { startInternet } from "./internet/internet.js";
import { startForwarder } from "./port-forwarder.js";

const spec = {
  name: "demo",
  summary: "a one-minute tour of the client, server and dispatch patterns",
  description: `Starts an embedded local internet on 127.0.0.1 and runs, one after the other, the
crawler, the echo server with a load generator, the feed scraper with its test client,
a chat room with two scripted participants, and the port forwarder. Nothing leaves
this machine. Each act names the program to run it on its own.`,
  flags: {
    fast: { type: "boolean", description: "a few seconds instead of a minute (for tests)" },
    seed: { type: "number", default: 1, description: "seed of the embedded internet" },
  },
  examples: ["pnpm demo", "node apps/examples/dist/demo.js --fast"],
} as const;

/** Prints a line indented under the current act. */
function say(text = ""): void {
  console.log(text === "" ? "" : `  ${text}`);
}

/** Runs the tour. */
export async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(spec, argv);
  const fast = values.fast === true;
  const abort = new AbortController();
  const off = onShutdown(() => abort.abort());
  /** A breather between acts, cut short by Ctrl-C. */
  const pause = async (ms: number) => {
    for (let left = fast ? 0 : ms; left > 0 && !abort.signal.aborted; left -= 100) await sleep(100);
  };
  const started = performance.now();

  console.log(bold("Tendril — a tour of Eventlet's design patterns, in TypeScript"));
  console.log(
    dim(
      "Green threads, pools, piles and queues on Node's event loop. About a minute; Ctrl-C stops it.",
    ),
  );

  // Everything started is closed at the end, last started first — even if a start fails.
  const closers: Array<() => Promise<void>> = [];
  try {
    const internet = await startInternet({
      seed: values.seed,
      pages: fast ? 120 : 1000,
      latency: fast ? 0.2 : 1,
    });
    closers.push(() => internet.close());
    const echo = await startEchoServer({ port: 0, logConnections: false });
    closers.push(() => echo.close());
    const scraper = await startFeedScraper({
      port: 0,
      deadline: fast ? 1000 : 3000,
      timeout: fast ? 800 : 2000,
      sampleFeeds: internet.feedUrls,
      logRequests: false,
    });
    closers.push(() => scraper.close());
    const chat = await startChatServer({ port: 0, logJoins: false });
    closers.push(() => chat.close());
    const forwarder = await startForwarder({
      port: 0,
      targetHost: echo.host,
      targetPort: echo.port,
      logConnections: false,
    });
    closers.push(() => forwarder.close());

    // 1 ------------------------------------------------------------------------------------
    console.log(header("1 · An embedded internet"));
    say(
      `${bold(internet.site.name)}: ${formatCount(internet.site.size)} pages and ${internet.feedUrls.length} feeds at ${cyan(internet.origin)}`,
    );
    say(
      dim("Generated from a seed: realistic page sizes and delays, ~3% failures (500s, pages that"),
    );
    say(
      dim(
        "never answer, broken links), RSS, Atom and RDF feeds. Nothing here touches the real network.",
      ),
    );
    await pause(1500);

    // 2 ------------------------------------------------------------------------------------
    if (!abort.signal.aborted) {
      console.log(header("2 · Client pattern: a crawler"));
      say(
        dim(
          "crawl() runs fetcher green threads on a GreenPool(20); a coordinator owns the frontier.",
        ),
      );
      say(dim(`On its own: node apps/examples/dist/crawler.js`));
      say();
      const report = await runCrawler({
        urls: [internet.homeUrl],
        concurrency: 20,
        maxPages: fast ? 60 : 1000,
        timeoutMs: fast ? 500 : 2000,
        signal: abort.signal,
      });
      console.log(formatCrawlReport(report, 3));
      await pause(2000);
    }

    // 3 ------------------------------------------------------------------------------------
    if (!abort.signal.aborted) {
      console.log(header("3 · Server pattern: an echo server under load"));
      say(dim(`The echo server gives each connection a green thread from a GreenPool(10000);`));
      say(
        dim(
          `100 client green threads send lines and wait for their echoes, for ${fast ? "half a second" : "6 seconds"}.`,
        ),
      );
      say(dim(`On its own: node apps/examples/dist/echo-server.js, and echo-client.js beside it`));
      say();
      const result = await runEchoLoad({
        port: echo.port,
        connections: 100,
        durationMs: fast ? 500 : 6000,
        signal: abort.signal,
      });
      console.log(formatEchoResult(result));
      await pause(2000);
    }

    // 4 ------------------------------------------------------------------------------------
    if (!abort.signal.aborted) {
      console.log(header("4 · Dispatch pattern: the feed scraper"));
      say(
        dim(
          `One POST with ${internet.feedUrls.length} feed URLs: the server fetches them all at once on a shared`,
        ),
      );
      say(dim(`GreenPool and gathers the titles in order with a GreenPile, under a deadline.`));
      say(
        dim(
          `One feed is broken and one is too slow: the answer comes on time, with partial results.`,
        ),
      );
      say(
        dim(
          `On its own: node apps/examples/dist/feed-scraper.js, then open http://127.0.0.1:9010/`,
        ),
      );
      say();
      const results = await scrapeTitles(scraper.url, internet.feedUrls);
      console.log(formatFeedResults(results));
      await pause(2500);
    }

    // 5 ------------------------------------------------------------------------------------
    if (!abort.signal.aborted) {
      console.log(header("5 · A chat room"));
      say(dim("Each participant is a reader green thread plus a writer draining their own Queue,"));
      say(dim("so a participant who stops reading never stalls the room."));
      say(dim(`On its own: node apps/examples/dist/chat-server.js, then nc 127.0.0.1 3001`));
      say();
      await chatScene(chat.port, fast);
      await pause(1500);
    }

    // 6 ------------------------------------------------------------------------------------
    if (!abort.signal.aborted) {
      console.log(header("6 · A port forwarder"));
      say(
        dim(
          `Port ${forwarder.port} relays to the echo server on port ${echo.port}: two green threads per`,
        ),
      );
      say(dim("connection, one pumping each way."));
      say(dim(`On its own: node apps/examples/dist/port-forwarder.js`));
      say();
      const sock = await connect([forwarder.host, forwarder.port]);
      try {
        for (const line of ["hello through the forwarder", "green threads all the way down"]) {
          await sock.sendall(`${line}\n`);
          say(`${dim("sent")} ${line}   ${dim("→ echoed")} ${(await sock.readLine()).trimEnd()}`);
          await pause(400);
        }
      } finally {
        await sock.close();
      }
      await sleep(20); // let the relay finish counting
      say(
        dim(
          `relayed ${formatBytes(forwarder.stats.bytesUp)} up, ${formatBytes(forwarder.stats.bytesDown)} down`,
        ),
      );
    }
  } finally {
    off();
    for (const close of closers.reverse()) await close();
  }

  console.log(header(abort.signal.aborted ? "Stopped" : "That was Tendril"));
  say(
    `${((performance.now() - started) / 1000).toFixed(1)} s, every server closed. Each program has --help; the code is in apps/examples/src.`,
  );
  say(
    dim("Run one: node apps/examples/dist/<name>.js --help   (crawler, echo-server, echo-client,"),
  );
  say(dim("feed-scraper, feed-scraper-client, chat-server, port-forwarder)"));
  return 0; // Ctrl-C is how a user ends the tour early: a clean stop, as in every example
}

/** Two scripted participants talk; each prints what they receive. */
async function chatScene(port: number, fast: boolean): Promise<void> {
  const pace = (ms: number) => sleep(fast ? 20 : ms);
  const names = ["alice", "bob"] as const;
  const sockets: GreenSocket[] = [];
  const readers = [];
  for (const name of names) {
    const sock = await connect(["127.0.0.1", port]);
    sockets.push(sock);
    readers.push(
      spawn(async () => {
        for (;;) {
          const line = await sock.readLine();
          if (line === "") return;
          say(`${bold(name.padEnd(5))} ${dim("sees")} ${line.trimEnd()}`);
        }
      }),
    );
    await pace(300);
  }
  const [alice, bob] = sockets as [GreenSocket, GreenSocket];
  const script: Array<[GreenSocket, string]> = [
    [alice, "/nick alice"],
    [bob, "/nick bob"],
    [alice, "hi bob! is the pool full yet?"],
    [bob, "not even close: 1000 slots, 2 of us"],
    [alice, "then I'll spawn a few more threads"],
  ];
  for (const [sock, line] of script) {
    await sock.sendall(`${line}\n`);
    await pace(500);
  }
  // Each hangs up by ending their side; the server then closes the connection, and each
  // reader thread sees the end of the stream and returns.
  await bob.shutdown("write");
  await readers[1]?.wait();
  await pace(300);
  await alice.shutdown("write");
  await readers[0]?.wait();
  for (const sock of sockets) await sock.close();
}

runMain(import.meta.url, main);
