/**
 * A tiny authoritative DNS responder on UDP 127.0.0.1, for tests of the green resolver: A and
 * AAAA answers with a TTL, NXDOMAIN for unknown names, NOERROR with no answer (NODATA) for a
 * known name without that record type, SERVFAIL on request, and an optional delay per name so
 * that tests can hold a query in flight. It encodes and decodes the few parts of RFC 1035 that
 * needs, by hand; it is not a general DNS server.
 *
 * @module
 */

import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { isIPv4, isIPv6 } from "node:net";
import { getHub } from "@tendril/core";

/**
 * What the responder answers for one name.
 *
 * @example
 * ```ts
 * dns.set("web.test", { A: ["127.0.0.1"], ttlSeconds: 30 });
 * dns.set("slow.test", { A: ["127.0.0.2"], delayMs: 500 });
 * dns.set("broken.test", { servfail: true });
 * ```
 */
export interface DnsRecordSet {
  /** IPv4 addresses (A records). */
  A?: string[];
  /** IPv6 addresses (AAAA records). */
  AAAA?: string[];
  /** TTL of the answers, in seconds. Default 60. */
  ttlSeconds?: number;
  /** Answer SERVFAIL instead. */
  servfail?: boolean;
  /** Wait this many milliseconds (on the hub's clock) before answering. */
  delayMs?: number;
  /** Never answer (the resolver times out). */
  drop?: boolean;
}

/**
 * A running responder.
 *
 * @example
 * ```ts
 * const dns: DnsServer = await startDnsServer({ "web.test": { A: ["127.0.0.1"] } });
 * const resolver = new Resolver({ servers: [dns.address], hostsFile: null });
 * await resolver.resolve("web.test", { family: 4 });
 * console.log(dns.queries); // the names asked, in order
 * await dns.close();
 * ```
 */
export interface DnsServer {
  /** The port it listens on (UDP, 127.0.0.1). */
  readonly port: number;
  /** `"127.0.0.1:<port>"`, as `Resolver`'s `servers` option takes it. */
  readonly address: string;
  /** The names and types asked so far, as `"A example.test"`, in arrival order. */
  readonly queries: readonly string[];
  /** Replaces (or with `undefined` removes) the records of a name. */
  set(name: string, records: DnsRecordSet | undefined): void;
  /** Stops it. */
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;
const RCODE_NOTIMP = 4;

/**
 * Starts a DNS responder on 127.0.0.1 (a free UDP port) that knows `zone` (names are matched
 * case-insensitively, without a trailing dot).
 *
 * @example
 * ```ts
 * const dns = await startDnsServer({ "web.test": { A: ["127.0.0.1"], ttlSeconds: 30 } });
 * const resolver = new Resolver({ servers: [dns.address], hostsFile: null });
 * await resolver.resolve("web.test", { family: 4 }); // ["127.0.0.1"]
 * await dns.close();
 * ```
 */
export function startDnsServer(zone: Record<string, DnsRecordSet> = {}): Promise<DnsServer> {
  const records = new Map<string, DnsRecordSet>();
  for (const [name, set] of Object.entries(zone)) records.set(normalize(name), set);
  const queries: string[] = [];
  const socket: Socket = createSocket("udp4");
  let closed = false;

  socket.on("message", (message: Buffer, peer: RemoteInfo) => {
    let question: Question;
    try {
      question = parseQuestion(message);
    } catch {
      return; // not a query we understand: ignore it, as a real server drops garbage
    }
    const typeName =
      question.type === TYPE_A ? "A" : question.type === TYPE_AAAA ? "AAAA" : String(question.type);
    queries.push(`${typeName} ${question.name}`);
    const set = records.get(normalize(question.name));
    if (set?.drop) return;
    const reply = buildReply(message, question, set);
    const send = (): void => {
      if (!closed) socket.send(reply, peer.port, peer.address);
    };
    if (set?.delayMs) getHub().schedule(set.delayMs, send);
    else send();
  });

  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      socket.off("error", reject);
      const port = socket.address().port;
      resolve({
        port,
        address: `127.0.0.1:${port}`,
        queries,
        set(name, set) {
          if (set === undefined) records.delete(normalize(name));
          else records.set(normalize(name), set);
        },
        close() {
          if (closed) return Promise.resolve();
          closed = true;
          return new Promise<void>((done) => socket.close(() => done()));
        },
      });
    });
  });
}

interface Question {
  name: string;
  type: number;
  /** Offset just past the question section (the end of QTYPE/QCLASS). */
  end: number;
}

function normalize(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

function parseQuestion(message: Buffer): Question {
  if (message.length < 12) throw new Error("short message");
  const qdcount = message.readUInt16BE(4);
  if (qdcount !== 1) throw new Error("expected one question");
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    const length = message[offset];
    if (length === undefined) throw new Error("truncated name");
    offset++;
    if (length === 0) break;
    if (length > 63) throw new Error("compressed names are not expected in a question");
    labels.push(message.toString("latin1", offset, offset + length));
    offset += length;
  }
  const type = message.readUInt16BE(offset);
  return { name: labels.join("."), type, end: offset + 4 };
}

function buildReply(query: Buffer, question: Question, set: DnsRecordSet | undefined): Buffer {
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // the id
  const rd = (query[2] as number) & 0x01;
  let rcode = 0;
  let answers: Buffer[] = [];
  if (set === undefined) rcode = RCODE_NXDOMAIN;
  else if (set.servfail) rcode = RCODE_SERVFAIL;
  else if (question.type === TYPE_A)
    answers = (set.A ?? []).map((a) => answer(TYPE_A, set.ttlSeconds ?? 60, ipv4Bytes(a)));
  else if (question.type === TYPE_AAAA) {
    answers = (set.AAAA ?? []).map((a) => answer(TYPE_AAAA, set.ttlSeconds ?? 60, ipv6Bytes(a)));
  } else rcode = RCODE_NOTIMP;
  header[2] = 0x80 | 0x04 | rd; // QR, AA, RD copied
  header[3] = rcode; // RA = 0
  header.writeUInt16BE(1, 4); // QDCOUNT
  header.writeUInt16BE(answers.length, 6); // ANCOUNT
  return Buffer.concat([header, query.subarray(12, question.end), ...answers]);
}

function answer(type: number, ttl: number, data: Buffer): Buffer {
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0); // a pointer to the question's name
  rr.writeUInt16BE(type, 2);
  rr.writeUInt16BE(1, 4); // class IN
  rr.writeUInt32BE(ttl, 6);
  rr.writeUInt16BE(data.length, 10);
  return Buffer.concat([rr, data]);
}

function ipv4Bytes(address: string): Buffer {
  if (!isIPv4(address))
    throw new TypeError(`startDnsServer: not an IPv4 address: ${JSON.stringify(address)}`);
  return Buffer.from(address.split(".").map(Number));
}

function ipv6Bytes(address: string): Buffer {
  if (!isIPv6(address) || address.includes(".") || address.includes("%")) {
    throw new TypeError(`startDnsServer: not a plain IPv6 address: ${JSON.stringify(address)}`);
  }
  const [head = "", rest] = address.split("::");
  const parse = (part: string): number[] =>
    part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const groups =
    rest === undefined
      ? left
      : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(g, i * 2);
  });
  return out;
}
