// The package's published types fit the platform: a handler written with the web-standard
// `Request`/`Response` types compiles under `tsc --strict` with the default DOM + ES libraries,
// and with Node's own types. The declarations are emitted fresh from the sources (as `pnpm
// build` would) into a throwaway consumer project, which resolves `@tendril/*` through the
// published `exports` map exactly as an installed package would.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, "..");
const packagesDir = join(packageDir, "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

// Under the package's node_modules, so that the declarations' own imports (`undici`, `ws`,
// `@types/node`) resolve from the workspace as they would from a user's node_modules.
let project = "";

async function compile(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [tsc, ...args], {
      cwd: project,
      timeout: 120_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

// Installs `packages/<dir>` into the project's node_modules as its tarball would: the
// declarations (emitted now from the sources) and a manifest whose exports are the published ones.
async function install(dir: string): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(packagesDir, dir, "package.json"), "utf8"));
  const target = join(project, "node_modules", manifest.name);
  mkdirSync(target, { recursive: true });
  const emitted = await run(
    process.execPath,
    [
      tsc,
      "-p",
      join(packagesDir, dir, "tsconfig.build.json"),
      "--emitDeclarationOnly",
      "--declarationMap",
      "false",
      "--sourceMap",
      "false",
      "--outDir",
      join(target, "dist"),
    ],
    { cwd: packageDir, timeout: 120_000 },
  );
  expect(emitted.stderr).toBe("");
  writeFileSync(
    join(target, "package.json"),
    JSON.stringify({
      name: manifest.name,
      version: manifest.version,
      type: "module",
      exports: manifest.publishConfig.exports,
    }),
  );
}

function tsconfig(name: string, lib: string[]): void {
  writeFileSync(
    join(project, name),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        lib,
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ["node"],
      },
      files: ["handlers.ts"],
    }),
  );
}

beforeAll(async () => {
  const cache = join(packageDir, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  project = mkdtempSync(join(cache, "platform-types-"));
  await Promise.all([install("core"), install("green-net")]);
  writeFileSync(
    join(project, "handlers.ts"),
    readFileSync(join(here, "fixtures", "platform-types", "handlers.ts")),
  );
  writeFileSync(join(project, "package.json"), JSON.stringify({ type: "module", private: true }));
  tsconfig("tsconfig.dom.json", ["ES2022", "DOM"]);
  tsconfig("tsconfig.node.json", ["ES2022"]);
}, 240_000);

afterAll(() => {
  if (project !== "") rmSync(project, { recursive: true, force: true });
});

// The fixture's `@ts-expect-error` lines make each compile able to fail: were the declarations
// missing or `any`, those directives would be unused, which is an error.
describe("a handler typed (request: Request) => Promise<Response> compiles with tsc --strict", () => {
  test("with the DOM's Request and Response (lib ES2022 + DOM)", async () => {
    const result = await compile(["-p", "tsconfig.dom.json"]);
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  }, 120_000);

  test("with Node's Request and Response (lib ES2022, @types/node)", async () => {
    const result = await compile(["-p", "tsconfig.node.json"]);
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  }, 120_000);
});
