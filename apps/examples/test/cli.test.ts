import { describe, expect, it } from "vitest";
import {
  bar,
  CliExit,
  checkHttpUrl,
  checkPort,
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

/** Runs `fn` with stderr captured; returns what it wrote and the CliExit it threw, if any. */
function capture(fn: () => unknown): { stderr: string; exit: CliExit | undefined } {
  const write = process.stderr.write;
  let stderr = "";
  process.stderr.write = ((chunk: string) => {
    stderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    fn();
    return { stderr, exit: undefined };
  } catch (error) {
    if (!(error instanceof CliExit)) throw error;
    return { stderr, exit: error };
  } finally {
    process.stderr.write = write;
  }
}

describe("bad input is one line and exit status 2", () => {
  const ports = {
    name: "srv",
    summary: "serves",
    flags: {
      port: { type: "port", default: 6000, description: "port" },
      workers: { type: "number", integer: true, min: 1, default: 4, description: "workers" },
      upstream: { type: "url", description: "upstream" },
    },
  } as const;

  it("a port flag takes 0 to 65535 and names anything else it received", () => {
    expect(parseCli(ports, ["--port", "0"]).values.port).toBe(0);
    expect(parseCli(ports, ["--port", "65535"]).values.port).toBe(65_535);
    for (const [given, shown] of [
      ["99999", "99999"],
      ["65536", "65536"],
      ["-1", "-1"],
      ["abc", '"abc"'],
      ["1.5", '"1.5"'],
      ["", '""'],
    ]) {
      const { stderr, exit } = capture(() => parseCli(ports, [`--port=${given}`]));
      expect(exit?.exitCode, given).toBe(2);
      expect(stderr).toBe(`srv: --port must be 0–65535, received ${shown}\nTry 'srv --help'.\n`);
    }
  });

  it("an integer flag with a minimum refuses fractions and smaller values", () => {
    expect(parseCli(ports, ["--workers", "3"]).values.workers).toBe(3);
    expect(capture(() => parseCli(ports, ["--workers", "0"])).stderr).toMatch(
      /^srv: --workers must be an integer >= 1, received 0\n/,
    );
    expect(capture(() => parseCli(ports, ["--workers", "2.5"])).stderr).toMatch(/received 2\.5\n/);
  });

  it("a URL flag takes http and https URLs only", () => {
    expect(parseCli(ports, ["--upstream", "https://example.test:8443/a"]).values.upstream).toBe(
      "https://example.test:8443/a",
    );
    const { stderr, exit } = capture(() => parseCli(ports, ["--upstream", "htp://x/"]));
    expect(exit?.exitCode).toBe(2);
    expect(stderr.split("\n")[0]).toBe(
      'srv: --upstream must use http:// or https://, received "htp://x/" (scheme "htp:")',
    );
  });

  it("checkHttpUrl names a bad scheme, a relative URL, a bad port and a missing host", () => {
    expect(checkHttpUrl("c", "http://127.0.0.1:8080/x").port).toBe("8080");
    expect(checkHttpUrl("c", "HTTPS://[::1]:443/").hostname).toBe("[::1]");
    const cases: Array<[string, string]> = [
      [
        "htp://127.0.0.1/",
        'c: URL must use http:// or https://, received "htp://127.0.0.1/" (scheme "htp:")',
      ],
      [
        "file:///etc/passwd",
        'c: URL must use http:// or https://, received "file:///etc/passwd" (scheme "file:")',
      ],
      [
        "127.0.0.1:8080/",
        'c: URL must be an absolute http:// or https:// URL, received "127.0.0.1:8080/"',
      ],
      [
        "/just/a/path",
        'c: URL must be an absolute http:// or https:// URL, received "/just/a/path"',
      ],
      [
        "http://127.0.0.1:99999/",
        'c: the port in "http://127.0.0.1:99999/" must be 0–65535, received 99999',
      ],
      [
        "http://[::1]:70000/",
        'c: the port in "http://[::1]:70000/" must be 0–65535, received 70000',
      ],
      ["http://exa mple.test/", 'c: URL is not a valid URL, received "http://exa mple.test/"'],
    ];
    for (const [text, line] of cases) {
      const { stderr, exit } = capture(() => checkHttpUrl("c", text));
      expect(exit?.exitCode, text).toBe(2);
      expect(stderr, text).toBe(`${line}\nTry 'c --help'.\n`);
    }
  });

  it("checkPort accepts a string or a number", () => {
    expect(checkPort("c", "8080")).toBe(8080);
    expect(checkPort("c", 0)).toBe(0);
    expect(capture(() => checkPort("c", 70_000)).stderr).toMatch(
      /^c: port must be 0–65535, received 70000\n/,
    );
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
