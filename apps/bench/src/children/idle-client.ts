/**
 * The idle suite's client: opens N connections to the server (in batches of 200) and holds
 * them open without sending anything until it is killed.
 *
 * usage: node idle-client.js <port> <N>
 */

import { connect, type Socket } from "node:net";

const [portArg = "0", nArg = "10000"] = process.argv.slice(2);
const port = Number(portArg);
const n = Number(nArg);
const sockets: Socket[] = [];
for (let i = 0; i < n; i += 200) {
  await Promise.all(
    Array.from(
      { length: Math.min(200, n - i) },
      () =>
        new Promise<void>((resolve, reject) => {
          const s = connect({ host: "127.0.0.1", port }, () => resolve());
          s.on("error", reject);
          sockets.push(s);
        }),
    ),
  );
}
// Hold them until killed.
setInterval(() => {}, 60_000);
