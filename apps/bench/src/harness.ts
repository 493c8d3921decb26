/**
 * The benchmark harness: every contender runs in its own child process (so peak RSS and heap
 * numbers belong to it alone), prints one JSON line of measurements, and the suite prints a
 * table with each contender's ratio to the floor (raw Node).
 *
 * Conventions for suites (`src/suites/<name>.ts`, run by `pnpm bench <name>`):
 * - A child is a script in `src/children/` (compiled to `dist/children/*.js`) or a Python file in
 *   `python/`; it writes exactly one line `RESULT {json}` to stdout.
 * - Eventlet rows run with Debian's `/usr/bin/python3` when it can `import eventlet`; otherwise
 *   the row says "not installed".
 *
 * @module
 */

import { execFileSync, spawn as spawnProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const benchRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** One measured contender. Keys beyond `name` are numbers; missing ones print as "-". */
export interface Row {
  name: string;
  [metric: string]: number | string | undefined;
}

/** What a child printed, plus the peak RSS the OS saw. */
export type Measurement = Record<string, number | string>;

const SYSTEM_PYTHON = "/usr/bin/python3";
let eventletChecked: boolean | undefined;

/** True when Debian's python3 can import eventlet (package python3-eventlet). */
export function hasEventlet(): boolean {
  if (eventletChecked === undefined) {
    try {
      execFileSync(SYSTEM_PYTHON, ["-c", "import eventlet"], { stdio: "ignore" });
      eventletChecked = true;
    } catch {
      eventletChecked = false;
    }
  }
  return eventletChecked;
}

export interface ChildOptions {
  /** Extra environment. */
  env?: Record<string, string>;
  /** Pin to these CPUs with `taskset` when available (e.g. "0"). */
  cpus?: string;
  /** Node flags, e.g. ["--expose-gc"]. */
  nodeFlags?: string[];
  /** Kill the child after this many ms. Default 10 minutes. */
  timeoutMs?: number;
}

function hasTaskset(): boolean {
  return existsSync("/usr/bin/taskset");
}

// The command line of a child: `dist/children/<name>.js` under this Node (with `nodeFlags`) or
// `python/<name>.py` under the system Python, pinned to `cpus` with taskset when it is there.
function childCommand(
  file: string,
  args: string[],
  cpus: string | undefined,
  nodeFlags: string[] = [],
): [command: string, argv: string[]] {
  const isPython = file.endsWith(".py");
  const command = isPython ? SYSTEM_PYTHON : process.execPath;
  const script = isPython
    ? join(benchRoot, "python", file)
    : join(benchRoot, "dist", "children", file);
  const argv = isPython ? [script, ...args] : [...nodeFlags, script, ...args];
  if (cpus && hasTaskset()) return ["/usr/bin/taskset", ["-c", cpus, command, ...argv]];
  return [command, argv];
}

/** Runs `dist/children/<name>.js` (Node) or `python/<name>.py` (Python) and parses its RESULT line. */
export function runChild(
  file: string,
  args: string[] = [],
  options: ChildOptions = {},
): Promise<Measurement> {
  const [cmd, argv] = childCommand(file, args, options.cpus, options.nodeFlags);
  return new Promise((resolve, reject) => {
    const child = spawnProcess(cmd, argv, {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 600_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (!line) {
        reject(
          new Error(
            `${file} ${args.join(" ")} exited with ${code} and printed no RESULT line:\n${out}`,
          ),
        );
        return;
      }
      resolve(JSON.parse(line.slice("RESULT ".length)) as Measurement);
    });
  });
}

/**
 * CPU time (user + system) this process has used, in ms. Children report it for their timed
 * part beside wall time: on a shared machine, time spent waiting for a core inflates wall time
 * but not CPU time, so ratios of CPU times are the steadier comparison.
 */
export function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Called by a Node child: prints its RESULT line (adding peak RSS in MB). */
export function emit(result: Measurement): void {
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`RESULT ${JSON.stringify({ peakRssMb, ...result })}\n`);
}

/** Formats a number for the table. */
function fmt(value: number | string | undefined): string {
  if (value === undefined) return "-";
  if (typeof value === "string") return value;
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US");
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/**
 * Prints a table of rows. `ratioOf` names the metric compared with the first row (the floor);
 * a `×floor` column shows each row's value divided by the floor's.
 */
export function printTable(title: string, rows: Row[], metrics: string[], ratioOf?: string): void {
  const floor = rows[0];
  const headers = ["contender", ...metrics, ...(ratioOf ? [`${ratioOf} ×floor`] : [])];
  const body = rows.map((r) => {
    const cells = [r.name, ...metrics.map((m) => fmt(r[m]))];
    if (ratioOf) {
      const v = r[ratioOf];
      const f = floor?.[ratioOf];
      cells.push(
        typeof v === "number" && typeof f === "number" && f !== 0 ? `${(v / f).toFixed(2)}x` : "-",
      );
    }
    return cells;
  });
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ");
  console.log(`\n${title}`);
  console.log(line(headers));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const b of body) console.log(line(b));
}

/** Median of numbers. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The p-th percentile (0-100) of numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const index = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[index] as number;
}

/** A long-lived server child started by `startServerChild`. */
export interface ServerChild {
  /** The port it printed (`PORT n`). */
  readonly port: number;
  /** Sends it a signal (e.g. SIGUSR2 to start a measurement). */
  signal(name: NodeJS.Signals): void;
  /** CPU time (user + system) it has used so far, in ms; NaN where /proc is missing. */
  cpuMs(): number;
  /** Stops it with SIGTERM (SIGKILL after 5 s) and resolves with everything it printed. */
  stop(): Promise<string>;
}

/**
 * Starts a long-lived server child (`dist/children/<file>` or `python/<file>`), pinned to
 * `cpus`, and resolves once it printed `PORT n`. Rejects when it exits first or says nothing
 * within 20 s.
 */
export function startServerChild(
  file: string,
  args: string[],
  options: { cpus: string; nodeFlags?: string[] },
): Promise<ServerChild> {
  const [cmd, argv] = childCommand(file, args, options.cpus, options.nodeFlags);
  const child = spawnProcess(cmd, argv, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    out += chunk;
  });
  const label = `${file} ${args.join(" ")}`.trim();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${label} did not print its port within 20 s:\n${out}`));
    }, 20_000);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code} before listening:\n${out}`));
    };
    child.once("exit", onExit);
    const check = (): void => {
      const match = /^PORT (\d+)$/m.exec(out);
      if (!match) return;
      child.stdout.off("data", check);
      child.off("exit", onExit);
      clearTimeout(timer);
      resolve({
        port: Number(match[1]),
        signal: (name) => child.kill(name),
        cpuMs: () => cpuMsOf(child.pid),
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) {
              done(out);
              return;
            }
            const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
            child.once("exit", () => {
              clearTimeout(kill);
              done(out);
            });
            child.kill("SIGTERM");
          }),
      });
    };
    child.stdout.on("data", check);
    check();
  });
}

/** The number after `NAME ` on a line of a child's output, if it printed one. */
export function printedNumber(output: string, name: string): number | undefined {
  const match = new RegExp(`^${name} (\\d+)$`, "m").exec(output);
  return match ? Number(match[1]) : undefined;
}

function cpuMsOf(pid: number | undefined): number {
  try {
    // Fields after the command's ")": state is field 3, utime 14, stime 15 (clock ticks).
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}
