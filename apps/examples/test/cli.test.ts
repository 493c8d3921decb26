import { describe, expect, it } from "vitest";
import {
  bar,
  CliExit,
  formatBytes,
  formatHelp,
  formatMs,
  parseCli,
  parseDuration,
  table,
  visibleLength,
} from "../src/cli.js";

const spec = {
  name: "thing",
  summary: "does a thing",
  positionals: true,
  flags: {
    port: { type: "number", short: "p", default: 6000, description: "port" },
    wait: { type: "duration", default: 2, description: "how long" },
    name: { type: "string", description: "a name" },
    loud: { type: "boolean", description: "be loud" },
  },
} as const;

describe("parseCli", () => {
  it("applies defaults and converts numbers and durations", () => {
    const { values, positionals } = parseCli(spec, ["-p", "0", "--wait", "250ms", "a", "b"]);
    expect(values).toEqual({ port: 0, wait: 250, name: undefined, loud: undefined });
    expect(positionals).toEqual(["a", "b"]);
    expect(parseCli(spec, []).values.wait).toBe(2000);
  });

  it("rejects an unknown flag or a bad number with CliExit(2)", () => {
    const stderr = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(() => parseCli(spec, ["--nope"])).toThrow(CliExit);
      expect(() => parseCli(spec, ["--port", "x"])).toThrow(
        /--port must be a number, received "x"/,
      );
      expect(() => parseCli(spec, ["--wait", "soon"])).toThrow(/--wait must be a duration/);
    } finally {
      process.stderr.write = stderr;
    }
  });

  it("documents every flag and its default in the help", () => {
    const help = formatHelp(spec);
    expect(help).toMatch(/-p, --port <N>\s+port \(default: 6000\)/);
    expect(help).toMatch(/--wait <N>\s+how long \(default: 2s\)/);
    expect(help).toMatch(/-h, --help/);
  });
});

describe("formatting", () => {
  it("parses durations in ms, s and m, a bare number being seconds", () => {
    expect(parseDuration("1.5")).toBe(1500);
    expect(parseDuration("20ms")).toBe(20);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration("later")).toBeUndefined();
  });

  it("formats sizes and times for people", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5.0 MB");
    expect(formatMs(1234)).toBe("1.23 s");
    expect(formatMs(42.4)).toBe("42 ms");
    expect(formatMs(0.42)).toBe("0.42 ms");
  });

  it("draws bars of a fixed width and aligned tables", () => {
    for (const f of [0, 0.33, 0.5, 1, 2, Number.NaN]) expect(visibleLength(bar(f, 10))).toBe(10);
    const lines = table(
      ["name", "n"],
      [
        ["a", "1"],
        ["longer", "100"],
      ],
      { right: [1] },
    ).split("\n");
    expect(lines.map(visibleLength)).toEqual([14, 14, 14, 14]);
    expect(lines[3]).toMatch(/longer\s+100$/);
  });
});
