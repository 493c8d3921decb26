/**
 * `run-commands`: green subprocesses. Runs shell commands side by side on a `GreenPool`, each
 * under its own deadline; a command that overruns its deadline is killed (SIGTERM, then SIGKILL
 * after a grace period) and reported, the others carry on. Eventlet's `green.subprocess` with
 * `Timeout`, in a dozen lines.
 *
 * Run: `node dist/run-commands.js --timeout 2s "echo hi" "sleep 10" "ls /"`.
 *
 * @module
 */

import { GreenPool, isTimeout, withTimeout } from "@tendril/core";
import { run } from "@tendril/green-net/subprocess";
import { log, parseCli, runMain, usageError } from "./cli.js";

/** How one command ended. */
export interface CommandReport {
  command: string;
  /** `"ok"` (exit 0), `"failed"` (non-zero exit or signal), or `"timed out"` (killed). */
  outcome: "ok" | "failed" | "timed out";
  exitCode: number | null;
  /** The first line it printed, if any. */
  firstLine: string;
}

// #region run-all
/**
 * Runs every command through `sh -c`, at most `concurrency` at a time, each under `timeoutMs`;
 * resolves in input order.
 */
export async function runCommands(
  commands: readonly string[],
  options: { timeoutMs: number; concurrency?: number },
): Promise<CommandReport[]> {
  const pool = new GreenPool(options.concurrency ?? 4);
  const runOne = async (command: string): Promise<CommandReport> => {
    try {
      const result = await withTimeout(options.timeoutMs, () =>
        run("sh", ["-c", command], { stdin: "ignore", killGraceMs: 1000 }),
      );
      const firstLine = result.stdout.toString().split("\n")[0] ?? "";
      const outcome = result.exitCode === 0 ? "ok" : "failed";
      return { command, outcome, exitCode: result.exitCode, firstLine };
    } catch (error) {
      // The Timeout interrupted `run`, which killed the child before re-throwing.
      if (isTimeout(error)) return { command, outcome: "timed out", exitCode: null, firstLine: "" };
      throw error;
    }
  };
  const reports: CommandReport[] = [];
  for await (const report of pool.imap(runOne, commands)) reports.push(report);
  return reports;
}
// #endregion run-all

const spec = {
  name: "run-commands",
  summary: "Run shell commands concurrently, each under a deadline; overrunning ones are killed.",
  usage: "[options] COMMAND...",
  positionals: true,
  flags: {
    timeout: {
      type: "duration",
      default: "5s",
      description: "deadline of each command",
      valueName: "DURATION",
    },
    concurrency: {
      type: "number",
      default: 4,
      description: "commands running at once",
      valueName: "N",
    },
  },
  examples: ['node dist/run-commands.js --timeout 1s "echo hello" "sleep 5" "exit 3"'],
} as const;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCli(spec, argv);
  if (positionals.length === 0) usageError(spec.name, "give at least one COMMAND");
  if (!(Number.isInteger(values.concurrency) && values.concurrency >= 1)) {
    usageError(spec.name, `--concurrency must be an integer >= 1, received ${values.concurrency}`);
  }
  const reports = await runCommands(positionals, {
    timeoutMs: values.timeout,
    concurrency: values.concurrency,
  });
  for (const r of reports) {
    const status = r.outcome === "failed" ? `failed (exit ${r.exitCode})` : r.outcome;
    log(`${status.padEnd(16)} ${r.command}${r.firstLine ? `  → ${r.firstLine}` : ""}`);
  }
  return reports.every((r) => r.outcome === "ok") ? 0 : 1;
}

runMain(import.meta.url, main);
