/**
 * The feed scraper's web page: paste feed URLs, press Scrape, and read the titles as a
 * Reader-style list. One self-contained HTML document — inline CSS and a few lines of
 * script, no framework, no external request — so it works offline and in a headless browser.
 *
 * The page posts the URLs to the scraper (`POST /`, asking for JSON) and renders the results
 * in input order: the feed's title, its URL and how long it took, or why it failed. The
 * plain-text answer of Eventlet's `feedscraper.py` is what the same endpoint gives to `curl`.
 *
 * @module
 */

/** What the page needs to know from the server. */
export interface PageOptions {
  /** Feed URLs offered by the "sample feeds" button (the embedded internet's, usually). */
  readonly sampleFeeds: readonly string[];
  /** Where the page posts URLs for JSON results (default `/`). */
  readonly endpoint?: string;
  /** The per-request deadline, shown to the reader, in milliseconds. */
  readonly deadlineMs?: number;
}

/**
 * Renders the page.
 *
 * @example
 * ```ts
 * const html = renderPage({ sampleFeeds: ["http://127.0.0.1:8080/feeds/a.rss"] });
 * ```
 */
export function renderPage(options: PageOptions): string {
  const config = JSON.stringify({
    samples: options.sampleFeeds,
    endpoint: options.endpoint ?? "/",
  }).replace(/</g, "\\u003c");
  const deadline =
    options.deadlineMs !== undefined
      ? ` Every answer comes within ${options.deadlineMs / 1000} s, with the feeds that made it.`
      : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Feed scraper · Tendril</title>
<style>
  :root { --ink:#1d2330; --muted:#6b7385; --line:#e4e7ee; --accent:#2f6f4f; --bad:#b3261e; --warn:#9a6700; --bg:#f7f8fa; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
  header { background:#fff; border-bottom:1px solid var(--line); padding:18px 24px; }
  header h1 { margin:0; font-size:20px; letter-spacing:-.01em; }
  header h1 span { color:var(--accent); }
  header p { margin:4px 0 0; color:var(--muted); }
  main { max-width:860px; margin:24px auto; padding:0 24px; }
  form { background:#fff; border:1px solid var(--line); border-radius:10px; padding:16px; }
  label { font-weight:600; display:block; margin-bottom:6px; }
  textarea { width:100%; min-height:140px; font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace; padding:10px; border:1px solid var(--line); border-radius:8px; resize:vertical; }
  .actions { display:flex; gap:8px; align-items:center; margin-top:10px; }
  button { font:inherit; border-radius:8px; padding:7px 14px; border:1px solid var(--line); background:#fff; cursor:pointer; }
  button[type=submit] { background:var(--accent); border-color:var(--accent); color:#fff; font-weight:600; }
  button:disabled { opacity:.6; cursor:progress; }
  #summary { color:var(--muted); margin:18px 2px 8px; min-height:1.5em; }
  ol#results { list-style:none; margin:0; padding:0; background:#fff; border:1px solid var(--line); border-radius:10px; overflow:hidden; }
  ol#results:empty { display:none; }
  .feed { display:grid; grid-template-columns:36px 1fr auto; gap:4px 12px; padding:12px 16px; border-top:1px solid var(--line); }
  .feed:first-child { border-top:0; }
  .avatar { grid-row:span 2; width:36px; height:36px; border-radius:8px; display:grid; place-items:center; font-weight:700; color:#fff; background:var(--accent); }
  .feed.failed .avatar { background:var(--bad); }
  .feed.timeout .avatar { background:var(--warn); }
  .title { font-weight:600; overflow-wrap:anywhere; }
  .meta { color:var(--muted); font-size:12px; text-align:right; white-space:nowrap; }
  .source { grid-column:2 / 4; color:var(--muted); font-size:13px; overflow-wrap:anywhere; }
  .error { color:var(--bad); }
  .feed.timeout .error { color:var(--warn); }
  footer { color:var(--muted); font-size:12px; text-align:center; margin:28px 0; }
</style>
</head>
<body>
<header>
  <h1>Feed <span>scraper</span></h1>
  <p>One request, many feeds: each feed is fetched by its own green thread, on a pool shared by every request.${deadline}</p>
</header>
<main>
  <form id="scrape">
    <label for="feeds">Feed URLs, one per line</label>
    <textarea id="feeds" name="feeds" spellcheck="false" placeholder="http://127.0.0.1:8080/feeds/example.rss"></textarea>
    <div class="actions">
      <button type="submit" id="go">Scrape</button>
      <button type="button" id="samples">Use sample feeds</button>
      <button type="button" id="clear">Clear</button>
    </div>
  </form>
  <div id="summary" role="status" aria-live="polite"></div>
  <ol id="results" aria-label="Feeds"></ol>
  <footer>Served by <code>apps/examples/feed-scraper</code> · Tendril</footer>
</main>
<script>
"use strict";
const config = ${config};
const $ = (id) => document.getElementById(id);
const form = $("scrape"), area = $("feeds"), list = $("results"), summary = $("summary"), go = $("go");
if (config.samples.length === 0) $("samples").hidden = true;
$("samples").addEventListener("click", () => { area.value = config.samples.join("\\n"); area.focus(); });
$("clear").addEventListener("click", () => { area.value = ""; list.replaceChildren(); summary.textContent = ""; });

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function hostOf(url) {
  try { return new URL(url).host; } catch { return url; }
}

const TIMEOUTS = ["ERR_TENDRIL_DEADLINE_TIMEOUT", "ERR_TENDRIL_CALL_TIMEOUT"];
const timedOut = (result) => !result.ok && TIMEOUTS.includes(result.error && result.error.code);

function render(result) {
  const state = result.ok ? "ok" : timedOut(result) ? "timeout" : "failed";
  const li = el("li", "feed " + state);
  li.dataset.url = result.url;
  // A failed feed has no title: name it by the last part of its URL.
  const file = result.url.split("/").filter(Boolean).pop() || result.url;
  const name = result.ok ? result.title || "(untitled feed)" : file;
  const badge = state === "ok" ? name.trim().charAt(0).toUpperCase() || "?" : state === "timeout" ? "…" : "!";
  li.append(el("div", "avatar", badge));
  li.append(el("div", "title", name));
  li.append(el("div", "meta", result.ms !== undefined ? Math.round(result.ms) + " ms" : ""));
  if (result.ok) {
    li.append(el("div", "source", result.url));
  } else {
    // The URL is long and its file is the title already: name the upstream by its host.
    const message = ((result.error && result.error.message) || "failed").split(result.url).join(hostOf(result.url)).trim();
    li.append(el("div", "source error", (state === "timeout" ? "Timed out: " : "Failed: ") + message));
  }
  return li;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const urls = area.value.split("\\n").map((s) => s.trim()).filter(Boolean);
  if (urls.length === 0) { summary.textContent = "Paste at least one feed URL."; return; }
  go.disabled = true;
  summary.textContent = "Fetching " + urls.length + " feed" + (urls.length === 1 ? "" : "s") + "…";
  list.replaceChildren();
  const started = performance.now();
  try {
    const res = await fetch(config.endpoint, {
      method: "POST",
      headers: { "content-type": "text/plain", accept: "application/json" },
      body: urls.join("\\n"),
    });
    if (!res.ok) throw new Error("the scraper answered " + res.status + " " + (await res.text()));
    const data = await res.json();
    const results = data.results;
    list.replaceChildren(...results.map(render));
    const ok = results.filter((r) => r.ok).length;
    const late = results.filter(timedOut).length;
    const failed = results.length - ok - late;
    const secs = ((performance.now() - started) / 1000).toFixed(2);
    summary.textContent = ok + " of " + results.length + " feeds" +
      (failed ? " · " + failed + " failed" : "") + (late ? " · " + late + " timed out" : "") +
      " · " + secs + " s";
  } catch (error) {
    summary.textContent = "Error: " + error.message;
  } finally {
    go.disabled = false;
  }
});
</script>
</body>
</html>
`;
}
