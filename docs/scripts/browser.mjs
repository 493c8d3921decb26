/**
 * What the browser test and the screenshot script share: a static server for the built site
 * on 127.0.0.1 and a free port, and Debian's Chromium driven by playwright-core, headless,
 * with a fresh profile and nothing that reaches the network on its own.
 */

import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve } from "node:path";
import { docsDir } from "./api.mjs";

/** Where Debian installs Chromium; `CHROMIUM` overrides it. */
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** The flags the browser runs with: headless, sandbox-free (CI containers), and quiet. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Serves `root` (a built VitePress site with clean URLs) on 127.0.0.1 and a free port.
 * Resolves `{ url, close }`; `close()` resolves once the server has stopped.
 */
export function serveSite(root) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    let file = normalize(join(base, path));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    else if (!existsSync(file) && existsSync(`${file}.html`)) file = `${file}.html`;
    if (!existsSync(file)) {
      res.writeHead(404, { "content-type": TYPES[".html"] });
      res.end(readFileSync(join(base, "404.html")));
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  return new Promise((resolveServe, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        reject(new Error("site server: no TCP address"));
        return;
      }
      resolveServe({
        url: `http://127.0.0.1:${address.port}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * Launches Chromium with a fresh profile. Resolves `{ context, close }`; `close()` stops the
 * browser and removes the profile.
 */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "tendril-docs-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Runs `node <args>` in `docsDir`; rejects with its output when it fails. */
export function runNode(args, { timeout = 300_000 } = {}) {
  return new Promise((done, reject) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: docsDir,
        timeout,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, NO_COLOR: "1" },
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`node ${args.join(" ")} failed:\n${stdout}\n${stderr}`));
        else done(stdout);
      },
    );
  });
}

/** Builds the site into `outDir`: the generated pages, then VitePress. */
export async function buildSite(outDir) {
  const require = createRequire(join(docsDir, "package.json"));
  const vitepressBin = join(
    require.resolve("vitepress/package.json").replace(/package\.json$/, ""),
    "bin",
    "vitepress.js",
  );
  await runNode([join(docsDir, "scripts", "prepare.mjs")]);
  await runNode([vitepressBin, "build", docsDir, "--outDir", outDir]);
}
