/**
 * `chat-server`: every line a participant sends is broadcast to every *other* participant —
 * Eventlet's `chat_server.py`, made robust against the slow reader.
 *
 * Each participant has two green threads: a reader (its handler) that broadcasts its lines,
 * and a writer that drains the participant's own outbox `Queue` onto its socket. Broadcasting
 * only puts into queues, so one participant who stops reading never stalls the room: when
 * their bounded outbox is full they are disconnected (Eventlet just wrote to every socket in
 * turn, and ignored broken pipes).
 *
 * With `--web-port`, the same room is also open to browsers: a page served by `serveHttp`
 * whose script talks to the room over a websocket (`serveWebSocket` on the same server). A
 * browser participant is a green thread too, reading messages with `recv()` as a TCP one reads
 * lines with `readLine()` — the room does not know the difference.
 *
 * Run: `node dist/chat-server.js`, then `nc 127.0.0.1 3001` in two terminals; add
 * `--web-port 3002` and open http://127.0.0.1:3002/ to join from a browser.
 *
 * @module
 */

import { GreenPool, type GreenThread, Queue, spawn } from "@tendril/core";
import {
  type GreenSocket,
  type HttpServer,
  ListenerClosed,
  listen,
  serveHttp,
} from "@tendril/green-net";
import {
  type GreenWebSocket,
  serveWebSocket,
  type WebSocketService,
} from "@tendril/green-net/websocket";
import { CHAT_PAGE } from "./chat-page.js";
import { log, onShutdown, parseCli, runMain, tcpAddress } from "./cli.js";

/** Options of `startChatServer`. */
export interface ChatServerOptions {
  host?: string;
  /** Default 3001, as in Eventlet's example. */
  port?: number;
  /** Lines queued for one participant before they are considered gone (default 100). */
  outboxSize?: number;
  /** Log joins and leaves (default true). */
  logJoins?: boolean;
  /** Also serve the browser page and its websocket on this port (0: a free one). Default: off. */
  webPort?: number;
}

/** A running chat server. */
export interface ChatServer {
  readonly host: string;
  readonly port: number;
  /** The browser page's URL when `webPort` was given, else `undefined`. */
  readonly webUrl: string | undefined;
  /** Names of the participants online now. */
  participants(): string[];
  readonly done: Promise<void>;
  close(): Promise<void>;
}

/** One participant's connection, TCP or websocket: lines in, lines out. */
interface Connection {
  /** The next line, with its "\n"; `""` once they hung up. */
  readLine(): Promise<string>;
  sendall(text: string): Promise<void>;
  close(): Promise<void>;
  readonly from: string;
}

// #region websocket
/** A browser's websocket as a chat connection: each message is one line. */
function webConnection(ws: GreenWebSocket, from: string): Connection {
  return {
    async readLine() {
      const message = await ws.recv();
      if (message === null) return ""; // they closed the page
      const text = typeof message === "string" ? message : new TextDecoder().decode(message);
      return `${text.replace(/[\r\n]+/g, " ")}\n`;
    },
    sendall: (text) => ws.send(text.replace(/\n$/, "")),
    close: () => ws.close(),
    from,
  };
}
// #endregion websocket

function tcpConnection(socket: GreenSocket): Connection {
  return {
    readLine: () => socket.readLine(),
    sendall: (text) => socket.sendall(text),
    close: () => socket.close(),
    from: `${socket.remoteAddress}:${socket.remotePort}`,
  };
}

interface Participant {
  name: string;
  readonly socket: Connection;
  readonly outbox: Queue<string>;
  writer?: GreenThread<void>;
}

/**
 * Starts a chat server and returns once it listens.
 *
 * @throws {Error} when the address cannot be bound.
 * @example
 * ```ts
 * const chat = await startChatServer({ port: 0 });
 * // connect two sockets to chat.port, send "hi\n" on one, read "guest-1: hi\n" on the other
 * await chat.close();
 * ```
 */
export async function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const outboxSize = options.outboxSize ?? 100;
  const logJoins = options.logJoins ?? true;
  const room = new Set<Participant>();
  let guests = 0;
  let stopping = false;

  // #region broadcast
  /** Queues `line` for everyone in the room but `from`; drops whoever cannot keep up. */
  function broadcast(line: string, from?: Participant): void {
    for (const p of room) {
      if (p === from) continue;
      if (p.outbox.full()) {
        room.delete(p);
        void p.socket.close(); // too slow: their reader sees the close and leaves
      } else {
        p.outbox.putNowait(line);
      }
    }
  }

  /** The writer thread of one participant: their outbox, in order, onto their socket. */
  async function writer(p: Participant): Promise<void> {
    for await (const line of p.outbox) await p.socket.sendall(line);
  }
  // #endregion broadcast

  // #region participant
  /** The handler of one connection: join, broadcast each line, leave. */
  async function participant(socket: Connection): Promise<void> {
    const p: Participant = { name: `guest-${++guests}`, socket, outbox: new Queue(outboxSize) };
    p.writer = spawn(writer, p);
    try {
      const others = room.size === 0 ? "nobody else is here yet" : `${room.size} here with you`;
      p.outbox.putNowait(
        `* welcome, ${p.name}: ${others}. Type a line to talk, /nick NAME to rename.\n`,
      );
      broadcast(`* ${p.name} joined\n`);
      room.add(p);
      if (logJoins) log(`${p.name} joined from ${socket.from}`);
      for (;;) {
        const line = await socket.readLine();
        if (line === "") break; // they hung up
        const text = line.trim();
        const nick = /^\/nick\s+(\S{1,24})$/.exec(text);
        if (nick !== null) {
          broadcast(`* ${p.name} is now ${nick[1]}\n`);
          p.name = nick[1] as string;
        } else if (text !== "") {
          broadcast(`${p.name}: ${text}\n`, p);
        }
      }
    } catch (error) {
      if (!stopping && logJoins) log(`${p.name}: ${(error as Error).message}`);
    } finally {
      room.delete(p);
      await p.writer.kill();
      await socket.close();
      if (!stopping) broadcast(`* ${p.name} left\n`);
      if (logJoins) log(`${p.name} left`);
    }
  }
  // #endregion participant

  const listener = await listen([options.host ?? "127.0.0.1", options.port ?? 3001]);
  const pool = new GreenPool(10_000);
  const sockets = new Set<GreenSocket>();
  const done = (async () => {
    for (;;) {
      let socket: GreenSocket;
      try {
        [socket] = await listener.accept();
      } catch (error) {
        if (stopping || error instanceof ListenerClosed) break;
        throw error;
      }
      sockets.add(socket);
      await pool.spawnN(async () => {
        try {
          if (stopping) return; // accepted while shutting down
          await participant(tcpConnection(socket));
        } finally {
          sockets.delete(socket);
          if (stopping) await socket.close();
        }
      });
    }
    await pool.waitall();
  })();

  // The browser side: the page on GET /, the room on the websocket at /chat.
  let web: { http: HttpServer; service: WebSocketService } | undefined;
  if (options.webPort !== undefined) {
    const http = await serveHttp(
      { host: options.host ?? "127.0.0.1", port: options.webPort },
      () => new Response(CHAT_PAGE, { headers: { "content-type": "text/html; charset=utf-8" } }),
    );
    const service = serveWebSocket(
      http,
      (ws, request) => participant(webConnection(ws, `${request.socket.remoteAddress} (browser)`)),
      { path: "/chat", maxPayloadBytes: 4096 },
    );
    web = { http, service };
  }

  const { host, port } = tcpAddress(listener.address());
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    webUrl: web === undefined ? undefined : `${web.http.url}/`,
    participants: () => [...room].map((p) => p.name),
    done,
    close() {
      closing ??= (async () => {
        stopping = true;
        if (web !== undefined) {
          await web.service.close();
          await web.http.close();
        }
        await listener.close();
        await Promise.all([...sockets].map((s) => s.close()));
        await done;
      })();
      return closing;
    },
  };
}

const spec = {
  name: "chat-server",
  summary: "a line-based chat room: each line goes to every other participant",
  description: `Each participant is a green thread reading lines, plus a writer thread draining
their outbox queue; a participant too slow to read is disconnected instead of stalling
the room. "/nick NAME" renames you. Try it with two terminals running: nc 127.0.0.1 3001`,
  flags: {
    host: {
      type: "string",
      default: "127.0.0.1",
      description: "interface to listen on",
      valueName: "HOST",
    },
    port: {
      type: "number",
      short: "p",
      default: 3001,
      description: "port to listen on (0: any free port)",
    },
    duration: {
      type: "duration",
      description: "stop by itself after this long",
      valueName: "TIME",
    },
    quiet: { type: "boolean", short: "q", description: "do not log joins and leaves" },
    "web-port": {
      type: "number",
      description: "also serve the browser page (websockets) on this port (0: any free port)",
      valueName: "N",
    },
  },
  examples: [
    "node dist/chat-server.js",
    "node dist/chat-server.js --port 0 --duration 1m",
    "node dist/chat-server.js --web-port 3002   # then open http://127.0.0.1:3002/",
  ],
} as const;

/** Runs the chat server until Ctrl-C (or `--duration`). */
export async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(spec, argv);
  const chat = await startChatServer({
    host: values.host,
    port: values.port,
    logJoins: values.quiet !== true,
    webPort: values["web-port"],
  });
  log(`chat server listening on ${chat.host}:${chat.port}`);
  if (chat.webUrl !== undefined) log(`chat page on ${chat.webUrl}`);
  const off = onShutdown(() => void chat.close());
  const timer =
    values.duration !== undefined
      ? setTimeout(() => void chat.close(), values.duration)
      : undefined;
  try {
    await chat.done;
  } finally {
    clearTimeout(timer);
    off();
  }
  log("chat server stopped");
  return 0;
}

runMain(import.meta.url, main);
