/**
 * The VitePress site: the guides in `pages/`, the API reference TypeDoc writes into
 * `pages/api/` (scripts/api.mjs), and pages generated from the repository (benchmarks,
 * changelog; scripts/prepare.mjs). Search is VitePress's local index (minisearch, built into
 * the bundle: no external service), dark mode is the default theme's, and a dead link fails the
 * build (VitePress's default, kept on purpose).
 */

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type DefaultTheme, defineConfig } from "vitepress";

const here = dirname(fileURLToPath(import.meta.url));
const apiSidebarFile = join(here, "..", "pages", "api", "typedoc-sidebar.json");

/** The generated API sidebar; empty (with a pointer to the script) before the first build. */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  if (!existsSync(apiSidebarFile)) return [];
  const items = JSON.parse(readFileSync(apiSidebarFile, "utf8")) as DefaultTheme.SidebarItem[];
  // TypeDoc links pages as `.md`; VitePress wants clean links in the sidebar.
  const clean = (list: DefaultTheme.SidebarItem[]): DefaultTheme.SidebarItem[] =>
    list.map((item) => ({
      ...item,
      ...(item.link ? { link: item.link.replace(/\.md$/, "") } : {}),
      ...(item.items ? { items: clean(item.items) } : {}),
    }));
  return clean(items);
}

/** The guides, in reading order. Every page in `pages/` outside `api/` must appear here. */
export const guideSidebar: DefaultTheme.SidebarItem[] = [
  {
    text: "Introduction",
    items: [
      { text: "Overview", link: "/" },
      { text: "Getting started", link: "/getting-started" },
      { text: "Core concepts", link: "/concepts" },
      { text: "Pitfalls", link: "/pitfalls" },
    ],
  },
  {
    text: "The three patterns",
    items: [
      { text: "Client", link: "/client" },
      { text: "Server", link: "/server" },
      { text: "Dispatch", link: "/dispatch" },
    ],
  },
  {
    text: "Guides",
    items: [
      { text: "Timeouts, cancel scopes, kill", link: "/timeouts" },
      { text: "Pools, piles, queues", link: "/pools" },
      { text: "Greening libraries", link: "/greening" },
      { text: "HTTP server", link: "/http-server" },
      { text: "DNS", link: "/dns" },
      { text: "Testing with the virtual hub", link: "/testing" },
      { text: "Debugging", link: "/debugging" },
      { text: "Errors and their codes", link: "/errors" },
      { text: "Resources and thread-locals", link: "/resources" },
      { text: "Subprocesses, tpool, backdoor, websockets", link: "/eventlet-surface" },
      { text: "Scaling out on Redis", link: "/scaling-out" },
    ],
  },
  {
    text: "Coming from elsewhere",
    items: [
      { text: "Coming from Eventlet", link: "/rosetta" },
      { text: "Compared with p-limit, p-map, Effect", link: "/compared" },
    ],
  },
  {
    text: "Project",
    items: [
      { text: "Benchmarks", link: "/benchmarks" },
      { text: "Reliability figures", link: "/reliability" },
      { text: "Changelog", link: "/changelog" },
      { text: "Decisions", link: "/decisions" },
    ],
  },
];

export default defineConfig({
  title: "Tendril",
  description: "Eventlet's green threads on Node.js, in TypeScript",
  srcDir: "pages",
  outDir: "dist",
  cacheDir: ".vitepress/cache",
  cleanUrls: true,
  lastUpdated: false,
  // An icon of our own, so browsers do not ask for a /favicon.ico that is not there.
  head: [["link", { rel: "icon", type: "image/svg+xml", href: "/favicon.svg" }]],
  // A dead link fails the build; localhost links in the guides are examples, not links.
  ignoreDeadLinks: ["localhostLinks"],
  markdown: {
    theme: { light: "github-light", dark: "github-dark" },
  },
  themeConfig: {
    logo: "/favicon.svg",
    nav: [
      { text: "Guide", link: "/getting-started" },
      { text: "API", link: "/api/" },
      { text: "From Eventlet", link: "/rosetta" },
      { text: "Benchmarks", link: "/benchmarks" },
    ],
    sidebar: {
      "/api/": [{ text: "API reference", link: "/api/", items: apiSidebar() }],
      "/": guideSidebar,
    },
    search: { provider: "local" },
    outline: { level: [2, 3] },
    docFooter: { prev: "Previous", next: "Next" },
  },
});
