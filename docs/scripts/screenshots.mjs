#!/usr/bin/env node
/**
 * Takes the README's screenshots of the site — the home page, a guide and an API page — with
 * the same headless Chromium the browser test uses, into `docs/screenshots/*.png`.
 *
 * Usage: `node scripts/screenshots.mjs [builtSiteDir]`. Without a directory it builds the site
 * into a temporary one first.
 */

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { docsDir } from "./api.mjs";
import { buildSite, launchChromium, serveSite } from "./browser.mjs";

/** `[file, path, what]`: the pages shown in the README. */
export const SHOTS = [
  ["home.png", "/", "the home page"],
  ["guide.png", "/timeouts", "a guide: timeouts, cancel scopes and kill"],
  ["api.png", "/api/@tendril/core/classes/GreenPile", "an API page: GreenPile"],
];

const given = process.argv[2];
const siteDir =
  given === undefined ? mkdtempSync(join(tmpdir(), "tendril-docs-shots-")) : resolve(given);
const outDir = join(docsDir, "screenshots");
try {
  if (given === undefined) await buildSite(siteDir);
  mkdirSync(outDir, { recursive: true });
  const site = await serveSite(siteDir);
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    for (const [file, path] of SHOTS) {
      await page.goto(`${site.url}${path}`, { waitUntil: "load" });
      await page.waitForFunction('document.querySelector("#app")?.__vue_app__ !== undefined');
      await page.screenshot({ path: join(outDir, file) });
      console.log(`screenshots: ${path} → docs/screenshots/${file}`);
    }
  } finally {
    await browser.close();
    await site.close();
  }
} finally {
  if (given === undefined) rmSync(siteDir, { recursive: true, force: true });
}
