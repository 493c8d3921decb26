/**
 * What every example program shares, so that each program's own file is about its pattern
 * and nothing else: flag parsing with a generated `--help` (on `node:util`'s `parseArgs`),
 * Ctrl-C handling, a live status line that degrades to plain lines when stdout is not a
 * terminal, tables, colours and number formatting.
 *
 * Trade-off: a few dozen lines of our own instead of a CLI library: the examples stay
 * dependency-free, and `parseArgs` already does the hard part.
 *
 * @module
 */

import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

// ---------------------------------------------------------------------------------------------
// Flags

/** One flag of a program. */
export interface FlagSpec {
  /**
   * `duration` accepts `500ms`, `2s`, `1m` or a number of seconds, and yields milliseconds;
   * `port` accepts an integer from 0 to 65535; `url` an absolute `http://` or `https://` URL
   * (yielded as the text given).
   */
  readonly type: "string" | "number" | "boolean" | "duration" | "port" | "url";
  readonly short?: string;
  readonly default?: string | number | boolean;
  readonly description: string;
  /** Placeholder in `--help`, such as `N` or `URL`. */
  readonly valueName?: string;
  /** For `number`: the smallest value accepted. */
  readonly min?: number;
  /** For `number`: only whole numbers are accepted. */
  readonly integer?: boolean;
}

/** A program's name, purpose, flags and examples: enough to parse argv and print `--help`. */
export interface ProgramSpec<F extends Record<string, FlagSpec>> {
  readonly name: string;
  readonly summary: string;
  /** Usage line after the program's path, such as `[options] [URL...]`. */
  readonly usage?: string;
  /** Paragraphs printed after the usage line. */
  readonly description?: string;
  readonly flags: F;
  /** Whether positional arguments are accepted (default false). */
  readonly positionals?: boolean;
  readonly examples?: readonly string[];
}

type FlagValue<S extends FlagSpec> = S["type"] extends "boolean"
  ? boolean
  : S["type"] extends "number" | "duration" | "port"
    ? number
    : string;

/** The parsed values: flags with a default are always set, the others may be `undefined`. */
export type FlagValues<F extends Record<string, FlagSpec>> = {
  [K in keyof F]: F[K] extends { default: string | number | boolean }
    ? FlagValue<F[K]>
    : FlagValue<F[K]> | undefined;
};

/** Thrown by `parseCli` to end the program at once (after `--help`, or on a bad flag). */
export class CliExit extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message = "") {
    super(message);
    this.name = "CliExit";
    this.exitCode = exitCode;
  }
}

/**
 * Parses `argv` against a program's spec. Prints the help and throws `CliExit(0)` on
 * `--help`; prints the error and a hint and throws `CliExit(2)` on a bad flag or value.
 *
 * @throws {CliExit} after `--help`, or when the arguments are invalid.
 * @example
 * ```ts
 * const { values } = parseCli({ name: "x", summary: "demo", flags: {
 *   port: { type: "number", default: 6000, description: "port to listen on" } } }, argv);
 * values.port; // number
 * ```
 */
export function parseCli<F extends Record<string, FlagSpec>>(
  spec: ProgramSpec<F>,
  argv: readonly string[],
): { values: FlagValues<F>; positionals: string[] } {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const [name, flag] of Object.entries(spec.flags)) {
    options[name] = {
      type: flag.type === "boolean" ? "boolean" : "string",
      ...(flag.short !== undefined ? { short: flag.short } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options,
      allowPositionals: spec.positionals ?? false,
      strict: true,
    });
  } catch (error) {
    fail(spec, (error as Error).message);
  }
  if (parsed.values.help === true) {
    process.stdout.write(formatHelp(spec));
    throw new CliExit(0);
  }
  const values: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(spec.flags)) {
    const raw = parsed.values[name] ?? flag.default;
    if (raw === undefined || flag.type === "boolean" || flag.type === "string") {
      values[name] = raw;
    } else if (flag.type === "url") {
      values[name] = checkHttpUrl(spec.name, String(raw), `--${name}`).href;
    } else if (flag.type === "port") {
      values[name] = checkPort(spec.name, raw, `--${name}`);
    } else if (flag.type === "duration") {
      const ms = typeof raw === "number" ? raw * 1000 : parseDuration(String(raw));
      if (ms === undefined)
        fail(
          spec,
          `--${name} must be a duration such as 500ms, 2s or 1m, received ${JSON.stringify(raw)}`,
        );
      values[name] = ms;
    } else {
      const n = Number(raw);
      const kind = flag.integer === true ? "an integer" : "a number";
      const bound = flag.min !== undefined ? ` >= ${flag.min}` : "";
      if (
        String(raw).trim() === "" ||
        !Number.isFinite(n) ||
        (flag.integer === true && !Number.isInteger(n)) ||
        (flag.min !== undefined && n < flag.min)
      ) {
        const shown = Number.isFinite(n) ? String(raw).trim() : JSON.stringify(raw);
        fail(spec, `--${name} must be ${kind}${bound}, received ${shown}`);
      }
      values[name] = n;
    }
  }
  return { values: values as FlagValues<F>, positionals: parsed.positionals };
}

function fail(spec: ProgramSpec<Record<string, FlagSpec>>, message: string): never {
  usageError(spec.name, message);
}

/**
 * Reports a bad argument the way `parseCli` does, and ends the program with status 2.
 *
 * @throws {CliExit} always.
 * @example
 * ```ts
 * if (target === undefined) usageError("port-forwarder", "--target must be HOST:PORT");
 * ```
 */
export function usageError(program: string, message: string): never {
  process.stderr.write(`${program}: ${message}\nTry '${program} --help'.\n`);
  throw new CliExit(2, message);
}

/**
 * Checks a TCP port given on the command line: an integer from 0 to 65535. Reports anything
 * else the way `parseCli` does ("--port must be 0–65535, received 99999") and exits with 2.
 *
 * @throws {CliExit} when `value` is not a port.
 * @example
 * ```ts
 * const port = checkPort("echo-server", "6000", "--port"); // 6000
 * ```
 */
export function checkPort(program: string, value: unknown, what = "port"): number {
  const text = String(value).trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 0 && n <= 65_535)) {
    usageError(
      program,
      `${what} must be 0–65535, received ${typeof value === "string" && !/^-?\d+$/.test(text) ? JSON.stringify(value) : text}`,
    );
  }
  return n;
}

/**
 * Checks a URL given on the command line: absolute, `http://` or `https://`, with a valid
 * port. A mistyped scheme (`htp://…`) or port (`:99999`) is the user's input error, reported
 * in one line with exit status 2 — never something to fetch and fail on later.
 *
 * @throws {CliExit} when `text` is not such a URL.
 * @example
 * ```ts
 * const url = checkHttpUrl("crawler", "http://127.0.0.1:8080/"); // a URL
 * ```
 */
export function checkHttpUrl(program: string, text: string, what = "URL"): URL {
  const scheme = /^([a-z][a-z\d+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    usageError(
      program,
      `${what} must be an absolute http:// or https:// URL, received ${JSON.stringify(text)}`,
    );
  }
  if (scheme !== "http" && scheme !== "https") {
    usageError(
      program,
      `${what} must use http:// or https://, received ${JSON.stringify(text)} (scheme "${scheme}:")`,
    );
  }
  const port = /^[a-z]+:\/\/(?:[^/?#@]*@)?(?:\[[^\]]*\]|[^/?#:]*):([^/?#]*)/i.exec(text)?.[1];
  if (port !== undefined && port !== "")
    checkPort(program, port, `the port in ${JSON.stringify(text)}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    usageError(program, `${what} is not a valid URL, received ${JSON.stringify(text)}`);
  }
  if (url.hostname === "") {
    usageError(program, `${what} has no host, received ${JSON.stringify(text)}`);
  }
  return url;
}

/** Parses `500ms`, `2s`, `1.5m` or a bare number of seconds into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (m === null) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  return Math.round(unit === "ms" ? n : unit === "s" ? n * 1000 : n * 60_000);
}

/** The `--help` text of a program. */
export function formatHelp(spec: ProgramSpec<Record<string, FlagSpec>>): string {
  const rows: [string, string][] = Object.entries(spec.flags).map(([name, flag]) => {
    const value =
      flag.type === "boolean"
        ? ""
        : ` <${flag.valueName ?? { string: "TEXT", url: "URL", port: "PORT" }[flag.type as string] ?? "N"}>`;
    const short = flag.short !== undefined ? `-${flag.short}, ` : "    ";
    const dflt =
      flag.default !== undefined && flag.type !== "boolean"
        ? ` (default: ${flag.type === "duration" ? `${flag.default}s` : String(flag.default)})`
        : "";
    return [`${short}--${name}${value}`, `${flag.description}${dflt}`];
  });
  rows.push(["-h, --help", "show this help and exit"]);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  let text = `${spec.name} — ${spec.summary}\n\nUsage: node dist/${spec.name}.js ${spec.usage ?? "[options]"}\n`;
  if (spec.description !== undefined) text += `\n${spec.description.trim()}\n`;
  text += "\nOptions:\n";
  for (const [left, right] of rows) text += `  ${left.padEnd(width)}${right}\n`;
  if (spec.examples !== undefined && spec.examples.length > 0) {
    text += "\nExamples:\n";
    for (const example of spec.examples) text += `  ${example}\n`;
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Running a program

/** A program's entry point: takes the arguments, returns the exit code. */
export type Main = (argv: string[]) => Promise<number | undefined>;

/**
 * Runs `main` with the process's arguments when `moduleUrl` is the script node was started
 * with (so a module can be both imported and run). Sets `process.exitCode` and lets the
 * process end on its own: a program that leaves a handle open hangs, and its test fails.
 *
 * @example
 * ```ts
 * runMain(import.meta.url, main);
 * ```
 */
export function runMain(moduleUrl: string, main: Main): void {
  const script = process.argv[1];
  if (script === undefined) return;
  let entry: string;
  try {
    entry = realpathSync(script);
  } catch {
    return;
  }
  if (entry !== realpathSync(fileURLToPath(moduleUrl))) return;
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (error: unknown) => {
      if (error instanceof CliExit) {
        process.exitCode = error.exitCode;
        return;
      }
      const code = (error as { code?: unknown })?.code;
      const cause = (error as { cause?: { code?: unknown } })?.cause?.code;
      if (code === "EADDRINUSE" || code === "EACCES") {
        // A port that is taken is a user's problem, not a bug: no stack trace.
        process.stderr.write(
          `${(error as Error).message}: try another --port (0 picks a free one)\n`,
        );
      } else if (UNREACHABLE.has(String(code)) || UNREACHABLE.has(String(cause))) {
        // Nothing listens there, or no such host: the user's address, not a bug.
        process.stderr.write(`${(error as Error).message}: is the server running there?\n`);
      } else {
        process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
      }
      process.exitCode = 1;
    },
  );
}

/** Error codes that mean "nothing to talk to at that address". */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ERR_TENDRIL_DNS_NOT_FOUND",
]);

/**
 * Calls `stop` on the first SIGINT or SIGTERM (Ctrl-C), so the program can finish cleanly;
 * a second one exits at once with status 130. Returns a function that removes the handlers.
 *
 * The examples' convention: Ctrl-C is the way to end a program (servers have no other), so a
 * program that finishes cleanly after it exits 0, whatever it was doing; only the forced stop
 * of a second Ctrl-C exits 130, as a shell reports a process killed by SIGINT.
 *
 * @example
 * ```ts
 * const off = onShutdown(() => listener.close());
 * try { await serveForever(); } finally { off(); }
 * ```
 */
export function onShutdown(stop: (signal: NodeJS.Signals) => void, quiet = false): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count > 1) process.exit(130);
    if (!quiet) process.stderr.write(`\n${dim(`${signal}: shutting down (again to force)`)}\n`);
    stop(signal);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}

// ---------------------------------------------------------------------------------------------
// Output

/** Whether output to `stream` should use colours and live redraws. */
export function isInteractive(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && process.env.TERM !== "dumb";
}

const colour =
  process.env.NO_COLOR === undefined &&
  (process.env.FORCE_COLOR !== undefined ? process.env.FORCE_COLOR !== "0" : isInteractive());

const paint = (open: number, close: number) => (text: string) =>
  colour ? `\u001b[${open}m${text}\u001b[${close}m` : text;

export const bold = paint(1, 22);
export const dim = paint(2, 22);
export const red = paint(31, 39);
export const green = paint(32, 39);
export const yellow = paint(33, 39);
export const cyan = paint(36, 39);

/** Prints a timestamped log line, as servers do. */
export function log(message: string): void {
  const t = new Date().toISOString().slice(11, 23);
  process.stdout.write(`${dim(t)} ${message}\n`);
}

/** A section header, as the demo prints between its acts. */
export function header(title: string): string {
  const line = "─".repeat(Math.max(8, 72 - title.length - 4));
  return `\n${bold(cyan(`── ${title} `))}${dim(line)}\n`;
}

/** `1234567` → `1,234,567`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** `1536` → `1.5 KB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** `1234.5` → `1.23 s`, `12.3` → `12 ms`, `0.42` → `0.42 ms`. */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(ms >= 1 ? 1 : 2)} ms`;
}

/** A bar of `width` cells filled to `fraction` (0..1), with eighth-cell resolution. */
export function bar(fraction: number, width = 24): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const eighths = Math.round(f * width * 8);
  const full = Math.floor(eighths / 8);
  const part = eighths % 8;
  const partial = part > 0 ? (" ▏▎▍▌▋▊▉"[part] as string) : "";
  return green("█".repeat(full) + partial) + dim("░".repeat(width - full - (part > 0 ? 1 : 0)));
}

/**
 * A status line that redraws in place on a terminal, and otherwise prints a plain line at
 * most every `plainEveryMs` (so logs and CI output stay readable).
 *
 * @example
 * ```ts
 * const status = new StatusLine();
 * status.update(`${done} pages`);
 * status.done(`${done} pages, finished`);
 * ```
 */
export class StatusLine {
  readonly #out: NodeJS.WriteStream;
  readonly #live: boolean;
  readonly #plainEveryMs: number;
  #lastPlain = Number.NEGATIVE_INFINITY;
  #shown = false;

  constructor(out: NodeJS.WriteStream = process.stdout, plainEveryMs = 1000) {
    this.#out = out;
    this.#live = isInteractive(out);
    this.#plainEveryMs = plainEveryMs;
  }

  /** Shows `text` as the current status (`force`: print it even between plain lines). */
  update(text: string, force = false): void {
    if (this.#live) {
      const width = this.#out.columns > 0 ? this.#out.columns : 120; // 0 when the size is unknown
      this.#out.write(`\r\u001b[2K${truncate(text, width - 1)}`);
      this.#shown = true;
      return;
    }
    const now = performance.now();
    if (force || now - this.#lastPlain >= this.#plainEveryMs) {
      this.#lastPlain = now;
      this.#out.write(`${text}\n`);
    }
  }

  /** Replaces the status with a final line (or clears it). */
  done(text?: string): void {
    if (this.#live && this.#shown) this.#out.write("\r\u001b[2K");
    this.#shown = false;
    if (text !== undefined) this.#out.write(`${text}\n`);
  }
}

// Truncates by visible width, ignoring colour escapes.
function truncate(text: string, width: number): string {
  let visible = 0;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\u001b") {
      const end = text.indexOf("m", i);
      out += text.slice(i, end + 1);
      i = end;
      continue;
    }
    if (visible >= width) continue;
    out += text[i];
    visible++;
  }
  return out;
}

/** Visible width of a string, ignoring colour escapes. */
export function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes on purpose.
  return text.replace(/\u001b\[[0-9;]*m/g, "").length;
}

/**
 * Formats rows as an aligned table with a header rule. Columns listed in `right` are
 * right-aligned (numbers).
 *
 * @example
 * ```ts
 * console.log(table(["status", "pages"], [["200", "981"], ["500", "12"]], { right: [1] }));
 * ```
 */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: { right?: readonly number[]; indent?: string } = {},
): string {
  const right = new Set(options.right ?? []);
  const indent = options.indent ?? "  ";
  const widths = headers.map((h, c) =>
    Math.max(visibleLength(h), ...rows.map((row) => visibleLength(row[c] ?? ""))),
  );
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((cell, c) => {
        const pad = " ".repeat((widths[c] ?? 0) - visibleLength(cell));
        return right.has(c) ? pad + cell : cell + pad;
      })
      .join("   ")
      .trimEnd();
  const rule = indent + widths.map((w) => "─".repeat(w)).join("   ");
  return [line(headers.map((h) => bold(h))), dim(rule), ...rows.map(line)].join("\n");
}

/**
 * The host and port a TCP listener is bound to (`listener.address()` may also be a Unix
 * socket path, which these examples never use).
 *
 * @throws {TypeError} when the listener is bound to a Unix socket.
 * @example
 * ```ts
 * const { host, port } = tcpAddress(listener.address());
 * ```
 */
export function tcpAddress(address: string | { address: string; port: number }): {
  host: string;
  port: number;
} {
  if (typeof address === "string") {
    throw new TypeError(
      `expected a TCP address, received the Unix socket ${JSON.stringify(address)}`,
    );
  }
  return { host: address.address, port: address.port };
}
