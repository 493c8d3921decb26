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
  /**
   * Replaces (or with `undefined` removes) the records of a name.
   *
   * @throws {TypeError|RangeError} when an address or the TTL is invalid (see `startDnsServer`).
   */
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
 * case-insensitively, without a trailing dot). Addresses are checked when they are registered
 * (here and in `set`): A records take dotted IPv4, AAAA records any IPv6 text form, including
 * an IPv4 tail (`::ffff:192.0.2.1`), but no zone index (`fe80::1%eth0`, which is not DNS data).
 *
 * @throws {TypeError} (as a rejection) when an address is not of its record's family.
 * @throws {RangeError} (as a rejection) when a TTL is not an integer in 0..2^31-1 (RFC 2181 §8)
 *   or a `delayMs` is not a number >= 0.
 * @example
 * ```ts
 * const dns = await startDnsServer({ "web.test": { A: ["127.0.0.1"], ttlSeconds: 30 } });
 * const resolver = new Resolver({ servers: [dns.address], hostsFile: null });
 * await resolver.resolve("web.test", { family: 4 }); // ["127.0.0.1"]
 * await dns.close();
 * ```
 */
export function startDnsServer(zone: Record<string, DnsRecordSet> = {}): Promise<DnsServer> {
  const records = new Map<string, Encoded>();
  // Invariant: every record set is checked and encoded here, at registration, so a bad
  // address is the caller's synchronous error and the UDP handler below can never throw.
  try {
    for (const [name, set] of Object.entries(zone)) records.set(normalize(name), encode(name, set));
  } catch (error) {
    return Promise.reject(error);
  }
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
          else records.set(normalize(name), encode(name, set));
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

function buildReply(query: Buffer, question: Question, set: Encoded | undefined): Buffer {
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // the id
  const rd = (query[2] as number) & 0x01;
  let rcode = 0;
  let answers: Buffer[] = [];
  if (set === undefined) rcode = RCODE_NXDOMAIN;
  else if (set.servfail) rcode = RCODE_SERVFAIL;
  else if (question.type === TYPE_A) answers = set.a.map((a) => answer(TYPE_A, set.ttl, a));
  else if (question.type === TYPE_AAAA) {
    answers = set.aaaa.map((a) => answer(TYPE_AAAA, set.ttl, a));
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

// A record set as it goes on the wire: addresses as bytes, the TTL checked.
interface Encoded {
  readonly a: readonly Buffer[];
  readonly aaaa: readonly Buffer[];
  readonly ttl: number;
  readonly servfail: boolean;
  readonly delayMs: number | undefined;
  readonly drop: boolean;
}

function encode(name: string, set: DnsRecordSet): Encoded {
  if (set === null || typeof set !== "object") {
    throw new TypeError(
      `startDnsServer: the records of ${JSON.stringify(name)} must be an object, received ${String(set)}`,
    );
  }
  const ttl = set.ttlSeconds ?? 60;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0x7fffffff) {
    throw new RangeError(
      `startDnsServer: the ttlSeconds of ${JSON.stringify(name)} must be an integer in 0..2147483647, received ${String(ttl)}`,
    );
  }
  const delayMs = set.delayMs;
  if (delayMs !== undefined && !(typeof delayMs === "number" && delayMs >= 0)) {
    throw new RangeError(
      `startDnsServer: the delayMs of ${JSON.stringify(name)} must be a number >= 0, received ${String(delayMs)}`,
    );
  }
  return {
    a: list(name, "A", set.A).map((address) => ipv4Bytes(name, address)),
    aaaa: list(name, "AAAA", set.AAAA).map((address) => ipv6Bytes(name, address)),
    ttl,
    servfail: set.servfail === true,
    delayMs,
    drop: set.drop === true,
  };
}

function list(name: string, type: string, value: readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new TypeError(
      `startDnsServer: the ${type} records of ${JSON.stringify(name)} must be an array of addresses, received ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function ipv4Bytes(name: string, address: string): Buffer {
  if (typeof address !== "string" || !isIPv4(address)) {
    throw new TypeError(
      `startDnsServer: an A record of ${JSON.stringify(name)} must be an IPv4 address, received ${JSON.stringify(address)}`,
    );
  }
  return Buffer.from(address.split(".").map(Number));
}

function ipv6Bytes(name: string, address: string): Buffer {
  if (typeof address !== "string" || !isIPv6(address) || address.includes("%")) {
    throw new TypeError(
      `startDnsServer: an AAAA record of ${JSON.stringify(name)} must be an IPv6 address without a zone index, received ${JSON.stringify(address)}`,
    );
  }
  // An IPv4 tail (`::ffff:192.0.2.1`) stands for the last two 16-bit groups.
  let text = address;
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split(".").map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
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
