#!/usr/bin/env node
/**
 * `pnpm check-pack`: proves the published packages work for a user, not just in the monorepo.
 *
 * 1. Builds the public packages and packs them with `pnpm pack` (which applies
 *    `publishConfig` — exports pointing at `dist` — and turns `workspace:^` into real ranges).
 * 2. Lints each tarball with publint (strict) and are-the-types-wrong (ESM-only profile).
 * 3. Creates a clean project in a temporary directory, `npm install`s the tarballs (their own
 *    dependencies come from the registry; `@tendril/*` only from the tarballs, through
 *    `overrides`), and type-checks consumers against the published `.d.ts` files with the
 *    monorepo's TypeScript (5.9) and with TypeScript 7 (what `npm install -D typescript` gives
 *    today; a native compiler, installed from npm like any package): a strict project that lists
 *    `lib` and `types`, and one whose tsconfig says only `"module": "NodeNext"` (TypeScript 7
 *    then loads no `@types` and no `esnext.disposable` lib).
 * 4. Runs a smoke program that imports every entry point and spawns and waits for green
 *    threads, under every Node.js given — by default the running one and Node 24 (from the
 *    npm registry's `node` package, or `$TENDRIL_NODE24` when set to a `node` binary).
 *
 * Trade-off: this takes a minute or two (one npm install, two compilers and two Node versions),
 * so it runs in CI and before a release, not in `pnpm test`.
 *
 * Usage: `node scripts/check-pack.mjs [--keep] [--node <path-to-node>]...`
 */

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The public packages, and the entry points each one must expose. */
const ALL_PACKAGES = [
  {
    dir: "packages/core",
    name: "@tendril/core",
    entries: ["@tendril/core", "@tendril/core/testing", "@tendril/core/validate"],
  },
  {
    dir: "packages/green-net",
    name: "@tendril/green-net",
    entries: [
      "@tendril/green-net",
      "@tendril/green-net/sockets",
      "@tendril/green-net/dns",
      "@tendril/green-net/http",
      "@tendril/green-net/http-server",
      "@tendril/green-net/testing",
      "@tendril/green-net/subprocess",
      "@tendril/green-net/backdoor",
      "@tendril/green-net/websocket",
    ],
  },
  {
    dir: "packages/patterns",
    name: "@tendril/patterns",
    entries: [
      "@tendril/patterns",
      "@tendril/patterns/redis-queue",
      "@tendril/patterns/feed-scraper",
    ],
  },
  { dir: "packages/tpool", name: "@tendril/tpool", entries: ["@tendril/tpool"] },
];

/** Names the API contract (shared/design/API.md) promises from `@tendril/core`. */
const CORE_EXPORTS = [
  "spawn",
  "spawnN",
  "spawnAfter",
  "sleep",
  "kill",
  "getCurrent",
  "green",
  "GreenThread",
  "GreenThreadExit",
  "TendrilError",
  "checkNodeVersion",
  "Timeout",
  "withTimeout",
  "isTimeout",
  "GreenPool",
  "GreenPile",
  "Queue",
  "LightQueue",
  "PriorityQueue",
  "LifoQueue",
  "QueueFull",
  "QueueEmpty",
  "Event",
  "Semaphore",
  "BoundedSemaphore",
  "CappedSemaphore",
  "listThreads",
  "formatThreads",
  "detectBlocking",
];
const GREEN_NET_EXPORTS = [
  "listen",
  "connect",
  "serve",
  "StopServe",
  "resolve",
  "lookup",
  "urlopen",
];

/** The TypeScript 7 range the consumers are also type-checked with. */
const TYPESCRIPT_7 = "^7.0.2";

const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

const args = process.argv.slice(2);
const keep = args.includes("--keep");
const nodes = [];
const only = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--node") nodes.push(args[++i]);
  else if (args[i] === "--package") only.push(args[++i]);
}
const PACKAGES =
  only.length === 0 ? ALL_PACKAGES : ALL_PACKAGES.filter((p) => only.includes(p.name));
const has = (name) => PACKAGES.some((p) => p.name === name);

// Under `pnpm check-pack`, pnpm may not be on PATH (e.g. when run through `npx pnpm`): reuse it.
const execPath = process.env.npm_execpath ?? "";
const pnpm = /pnpm/.test(execPath) ? [process.execPath, execPath] : ["pnpm"];

function section(title) {
  console.log(`\n── check-pack: ${title}`);
}

function run(cmd, cmdArgs, options = {}) {
  const shown = [cmd, ...cmdArgs].join(" ");
  console.log(`$ ${shown}`);
  try {
    return execFileSync(cmd, cmdArgs, {
      stdio: options.capture ? ["ignore", "pipe", "inherit"] : "inherit",
      encoding: "utf8",
      ...options,
    });
  } catch (error) {
    throw new Error(`check-pack: \`${shown}\` failed (exit ${error.status ?? error.signal})`);
  }
}

const work = mkdtempSync(join(tmpdir(), "tendril-pack-"));
let failed = false;
try {
  // 1. Build and pack.
  section("build and pack");
  const filters = PACKAGES.flatMap((p) => ["--filter", `./${p.dir}`]);
  run(pnpm[0], [...pnpm.slice(1), ...filters, "run", "build"], { cwd: root });
  const tarballs = join(work, "tarballs");
  mkdirSync(tarballs);
  const packed = run(
    pnpm[0],
    [...pnpm.slice(1), "-r", ...filters, "pack", "--pack-destination", tarballs],
    { cwd: root, capture: true },
  );
  for (const line of packed.split("\n"))
    if (line.endsWith(".tgz")) console.log(`packed ${line.trim()}`);
  const files = readdirSync(tarballs);
  const tarballOf = new Map();
  for (const p of PACKAGES) {
    const stem = p.name.replace(/^@/, "").replace("/", "-");
    const file = files.find((f) => f.startsWith(`${stem}-`) && f.endsWith(".tgz"));
    if (!file) throw new Error(`check-pack: no tarball for ${p.name} in ${files.join(", ")}`);
    tarballOf.set(p.name, join(tarballs, file));
  }

  // 2. Lint the tarballs.
  section("publint and are-the-types-wrong");
  for (const p of PACKAGES) {
    const tgz = tarballOf.get(p.name);
    run(join(root, "node_modules/.bin/publint"), ["run", tgz, "--strict"], { cwd: root });
    run(
      join(root, "node_modules/.bin/attw"),
      [tgz, "--profile", "esm-only", "--format", "table-flipped", "--no-color"],
      {
        cwd: root,
      },
    );
  }

  // 3. A clean consumer project.
  section("install the tarballs into a clean project");
  const app = join(work, "app");
  mkdirSync(app);
  const deps = Object.fromEntries(PACKAGES.map((p) => [p.name, `file:${tarballOf.get(p.name)}`]));
  const manifest = {
    name: "tendril-pack-smoke",
    private: true,
    type: "module",
    // Optional peer dependencies the smoke test's entries need: `ws` for green-net's
    // `/websocket`, `ioredis` for patterns' `/redis-queue`, `feedsmith` for its `/feed-scraper`.
    dependencies: { ...deps, ws: "^8.18.0", ioredis: "^6.1.0", feedsmith: "^3.0.1" },
    // Installed packages depend on each other by version (`^0.1.0`): take those from the
    // tarballs too, never from the registry.
    overrides: deps,
    devDependencies: {
      "@types/node": "^20.19.0",
      // The compilers a consumer may have: the monorepo's own (5.9) and the current major, 7.
      typescript: rootManifest.devDependencies.typescript,
      typescript7: `npm:typescript@${TYPESCRIPT_7}`,
    },
  };
  writeFileSync(join(app, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: app });
  for (const p of PACKAGES) {
    const installed = JSON.parse(
      readFileSync(join(app, "node_modules", p.name, "package.json"), "utf8"),
    );
    for (const field of ["dependencies", "peerDependencies"]) {
      for (const [dep, range] of Object.entries(installed[field] ?? {})) {
        if (String(range).startsWith("workspace:")) {
          throw new Error(`check-pack: the packed ${p.name} still has ${field}.${dep} = ${range}`);
        }
      }
    }
  }

  const entries = PACKAGES.flatMap((p) => p.entries);
  writeFileSync(
    join(app, "smoke.mjs"),
    `// Imports every entry point of the installed tarballs and runs a few green threads.
${entries.map((e, i) => `import * as m${i} from ${JSON.stringify(e)};`).join("\n")}

const entries = { ${entries.map((e, i) => `${JSON.stringify(e)}: m${i}`).join(", ")} };
for (const [name, mod] of Object.entries(entries)) {
  if (Object.keys(mod).length === 0) throw new Error(name + " exports nothing");
}
const core = entries["@tendril/core"];
const missing = [
  ...${JSON.stringify(CORE_EXPORTS)}.filter((n) => !(n in core)).map((n) => "@tendril/core." + n),
  ...${JSON.stringify(has("@tendril/green-net") ? GREEN_NET_EXPORTS : [])}.filter((n) => !(n in entries["@tendril/green-net"])).map((n) => "@tendril/green-net." + n),
];
if (missing.length > 0) throw new Error("missing exports: " + missing.join(", "));

// Nothing outside the exports map is reachable.
try {
  await import("@tendril/core/dist/index.js");
  throw new Error("a deep import into @tendril/core/dist resolved; the exports map should block it");
} catch (error) {
  if (error.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw error;
}

const { spawn, sleep, getCurrent, GreenPool, Timeout, withTimeout } = core;
const order = [];
const threads = [3, 1, 2].map((n) => spawn(async (x) => { order.push(x); await sleep(x); return x * 10; }, n));
const results = [];
for (const t of threads) results.push(await t.wait());
if (results.join() !== "30,10,20" || order.join() !== "3,1,2") {
  throw new Error("spawn/wait gave " + results.join() + " in order " + order.join());
}
const late = await withTimeout({ ms: 5, timeoutValue: "late" }, () => sleep(5000));
if (late !== "late") throw new Error("withTimeout did not time out");
const pool = new GreenPool(2);
const squares = [];
for await (const v of pool.imap(async (n) => { await sleep(1); return n * n; }, [1, 2, 3, 4])) squares.push(v);
if (squares.join() !== "1,4,9,16") throw new Error("imap gave " + squares.join());

const { withVirtualHub } = entries["@tendril/core/testing"];
await withVirtualHub(async (hub) => {
  await sleep(60_000);
  if (hub.now() !== 60_000) throw new Error("the virtual hub's clock reads " + hub.now());
});
if (!(new Timeout(null) instanceof Error)) throw new Error("Timeout is not an Error");
console.log("smoke ok on Node " + process.version + ": " + Object.keys(entries).join(", ") + " (main thread " + getCurrent().name + ")");
`,
  );

  section("type-check a consumer against the published types");
  writeFileSync(
    join(app, "consumer.ts"),
    `import { GreenPool, spawn, sleep, Timeout, type GreenThread } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
${has("@tendril/green-net") ? 'import * as net from "@tendril/green-net";\nimport * as netTesting from "@tendril/green-net/testing";' : "const net = 0, netTesting = 0;"}
${has("@tendril/patterns") ? 'import * as patterns from "@tendril/patterns";' : "const patterns = 0;"}

const t: GreenThread<number> = spawn(async (n: number) => { await sleep(n); return n; }, 1);
const n: number = await t.wait();
const pool = new GreenPool(4);
for await (const v of pool.imap(async (x: number) => x * 2, [1, 2])) { const d: number = v; void d; }
await withVirtualHub(async () => { using _t = new Timeout(10); await sleep(1); });
void [n, net, netTesting, patterns];
`,
  );
  writeFileSync(
    join(app, "tsconfig.json"),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2023", "ESNext.Disposable"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
        },
        files: ["consumer.ts"],
      },
      null,
      2,
    )}\n`,
  );
  // What a newcomer writes: `npm install -D typescript` and a tsconfig with only the module kind.
  writeFileSync(
    join(app, "consumer-minimal.ts"),
    `import { GreenPool, Semaphore, sleep, spawn, Timeout } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";

const n: number = await spawn(async () => { await sleep(1); return 1; }).wait();
await withVirtualHub(async () => { using _t = new Timeout(10); await sleep(1); });
{
  await using pool = new GreenPool(2);
  using _hold = await new Semaphore(1).hold();
  await pool.spawn(sleep, n);
}
`,
  );
  writeFileSync(
    join(app, "tsconfig.minimal.json"),
    `${JSON.stringify({ compilerOptions: { module: "NodeNext" }, files: ["consumer-minimal.ts"] }, null, 2)}\n`,
  );
  const compilers = [
    ["5.9", join(app, "node_modules/typescript/bin/tsc")],
    ["7", join(app, "node_modules/typescript7/bin/tsc")],
  ];
  for (const [major, tsc] of compilers) {
    const version = run(process.execPath, [tsc, "--version"], { cwd: app, capture: true }).trim();
    if (!version.startsWith(`Version ${major}.`)) {
      throw new Error(`check-pack: expected TypeScript ${major}, got ${version}`);
    }
    console.log(`TypeScript ${version.replace(/^Version /, "")}`);
    for (const project of ["tsconfig.json", "tsconfig.minimal.json"]) {
      run(process.execPath, [tsc, "-p", project, "--noEmit"], { cwd: app });
    }
  }

  // 4. The smoke program, under each Node.
  section("import every entry and run green threads");
  if (nodes.length === 0) {
    nodes.push(process.execPath);
    let node24 = process.env.TENDRIL_NODE24;
    if (!node24) {
      const prefix = join(work, "node24");
      run("npm", [
        "install",
        "--prefix",
        prefix,
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        "node@24",
      ]);
      node24 = join(prefix, "node_modules/node/bin/node");
    }
    nodes.push(node24);
  }
  const majors = new Set();
  for (const node of nodes) {
    const version = run(node, ["--version"], { capture: true }).trim();
    majors.add(version.replace(/^v(\d+).*$/, "$1"));
    console.log(`Node ${version} (${node})`);
    run(node, ["smoke.mjs"], { cwd: app });
  }
  if (!args.includes("--node") && !majors.has("24"))
    throw new Error("check-pack: Node 24 was not among the Node versions tested");
  console.log(
    `\ncheck-pack: ok — ${PACKAGES.map((p) => p.name).join(", ")} install, type-check on TypeScript 5.9 and 7, and run on Node ${[...majors].join(" and ")}`,
  );
} catch (error) {
  failed = true;
  console.error(`\n${error instanceof Error ? error.message : error}`);
} finally {
  if (keep) console.log(`check-pack: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
