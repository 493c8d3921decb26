/**
 * `/etc/hosts`, read by Tendril itself: Node's c-ares `Resolver` (which the green resolver uses
 * to stay off libuv's 4-thread pool) never looks at it. The file is parsed once, and re-read
 * when its modification time, size or inode changes; that check costs one asynchronous
 * `stat`, made at most once per `checkInterval` (so an edit is seen within a second by
 * default, and a busy crawler does not stat the file on every lookup).
 *
 * @module
 */

import { readFile, stat } from "node:fs/promises";
import { isIP } from "node:net";
import { getHub } from "@tendril/core";

/**
 * The addresses a hosts file gives one name, in file order.
 *
 * @example
 * ```ts
 * const entry: HostsEntry | undefined = parseHosts("127.0.0.1 web.test\n::1 web.test\n").get("web.test");
 * // { v4: ["127.0.0.1"], v6: ["::1"] }
 * ```
 */
export interface HostsEntry {
  readonly v4: readonly string[];
  readonly v6: readonly string[];
}

/**
 * Parses the text of a hosts file: `address name [aliases…]` per line, `#` starts a comment.
 * Names are lower-cased; lines whose address is not an IP literal are skipped. An IPv6
 * address with a zone (`fe80::1%lo0`) is kept as written.
 *
 * @example
 * ```ts
 * const table = parseHosts("127.0.0.1 localhost\n::1 localhost ip6-localhost\n");
 * table.get("localhost"); // { v4: ["127.0.0.1"], v6: ["::1"] }
 * ```
 */
export function parseHosts(text: string): Map<string, HostsEntry> {
  const table = new Map<string, { v4: string[]; v6: string[] }>();
  for (const raw of text.split("\n")) {
    const hash = raw.indexOf("#");
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === "") continue;
    const fields = line.split(/\s+/);
    const address = fields[0] as string;
    const family = isIP(address.split("%")[0] as string);
    if (family === 0) continue;
    for (let i = 1; i < fields.length; i++) {
      const name = normalizeName(fields[i] as string);
      let entry = table.get(name);
      if (entry === undefined) {
        entry = { v4: [], v6: [] };
        table.set(name, entry);
      }
      const list = family === 4 ? entry.v4 : entry.v6;
      if (!list.includes(address)) list.push(address);
    }
  }
  return table;
}

/** Lower-cases a name and drops one trailing dot (`Example.COM.` → `example.com`). @internal */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") && lower.length > 1 ? lower.slice(0, -1) : lower;
}

/**
 * A hosts file kept up to date cheaply. `get(name)` answers from the parsed table; when the
 * check interval has passed it first re-stats the file (and re-reads it if it changed), which
 * is the only time it returns a promise.
 *
 * @example
 * ```ts
 * const hosts = new HostsFile("/etc/hosts");
 * const entry = await hosts.get("localhost");
 * ```
 */
export class HostsFile {
  /** The file's path. */
  readonly path: string;
  readonly #checkInterval: number;
  #table: Map<string, HostsEntry> = new Map();
  #loaded = false;
  #checkedAt = 0;
  #signature = "";
  #checking: Promise<void> | null = null;

  constructor(path: string, checkInterval = 1000) {
    this.path = path;
    this.#checkInterval = checkInterval;
  }

  /** The entry for `name` (already normalised), or `undefined`; a promise only when a re-check is due. */
  get(name: string): HostsEntry | undefined | Promise<HostsEntry | undefined> {
    if (this.#loaded && getHub().now() - this.#checkedAt < this.#checkInterval)
      return this.#table.get(name);
    return this.#check().then(() => this.#table.get(name));
  }

  /** Forces a re-check on the next `get`. */
  invalidate(): void {
    this.#loaded = false;
  }

  #check(): Promise<void> {
    if (this.#checking === null) {
      this.#checking = this.#reload().finally(() => {
        this.#checking = null;
      });
    }
    return this.#checking;
  }

  async #reload(): Promise<void> {
    let signature: string;
    try {
      const s = await stat(this.path);
      signature = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      signature = "missing";
    }
    if (signature !== this.#signature || !this.#loaded) {
      let text = "";
      if (signature !== "missing") {
        try {
          text = await readFile(this.path, "utf8");
        } catch {
          signature = "missing";
        }
      }
      this.#table = parseHosts(text);
      this.#signature = signature;
    }
    this.#loaded = true;
    this.#checkedAt = getHub().now();
  }
}
