/**
 * Turns `apps/bench/RESULTS.md` into the Benchmarks page: one bar chart (inline SVG, drawn
 * here at build time) per suite table, showing each contender's ratio to that suite's floor,
 * with the measured table below it. Nothing is copied by hand: re-running `pnpm bench` and
 * pasting its output into RESULTS.md is all it takes to update the page.
 *
 * The tables are the bench's own text output: a title line `suite: what — node vX`, a header
 * line starting with `contender`, a dashed rule, then one row per contender whose last column
 * is the ratio to the floor (`1.03x`). Columns are separated by two or more spaces.
 */

/**
 * Every suite table in `markdown`: `[{ section, suite, title, node, metric, columns, rows }]`,
 * where `rows` are `{ name, cells, ratio }` and `metric` the header of the ratio column.
 */
export function parseResults(markdown) {
  const tables = [];
  const lines = markdown.split("\n");
  let section = "";
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith("```")) {
      inFence = !inFence;
      continue;
    }
    if (!inFence) {
      if (line.startsWith("## ")) section = line.slice(3).trim();
      continue;
    }
    const header = lines[i + 1];
    const rule = lines[i + 2];
    if (header === undefined || rule === undefined) continue;
    if (!/^contender\s/.test(header) || !/^-+(\s+-+)+\s*$/.test(rule)) continue;
    const m = /^([\w-]+): (.*?)(?: — node (v[\d.]+))?$/.exec(line);
    if (m === null) continue;
    // Column extents come from the dashed rule, which the bench aligns to every cell.
    const spans = [...rule.matchAll(/-+/g)].map((d) => [d.index, d.index + d[0].length]);
    const cut = (text) =>
      spans.map(([from, to], k) =>
        text.slice(k === 0 ? 0 : from - 1, k === spans.length - 1 ? undefined : to + 1).trim(),
      );
    const columns = cut(header);
    const metric = columns[columns.length - 1] ?? "";
    if (!metric.includes("×floor")) continue;
    const rows = [];
    let j = i + 3;
    for (; j < lines.length; j++) {
      const row = lines[j];
      if (row.trim() === "" || row.startsWith("```")) break;
      const cells = cut(row);
      const ratio = /^([\d.]+)x$/.exec(cells[cells.length - 1] ?? "");
      if (ratio === null) break; // a summary line after the table
      rows.push({ name: cells[0] ?? "", cells, ratio: Number(ratio[1]) });
    }
    if (rows.length > 0) {
      tables.push({
        section,
        suite: m[1],
        title: m[2],
        node: m[3] ?? "",
        metric,
        columns,
        rows,
      });
    }
    i = j - 1;
  }
  return tables;
}

/** Whether a smaller ratio is the better one for this metric (time, memory). */
export function lowerIsBetter(metric) {
  return /^(ms|RSS|bytes|B\/|p\d\d)/.test(metric.replace(/\s*×floor$/, "").trim());
}

function kindOf(name) {
  if (/\(floor\)|floor\b/.test(name) && !/Tendril/.test(name)) return "floor";
  if (/^Tendril/.test(name)) return "tendril";
  if (/^Eventlet/.test(name)) return "eventlet";
  return "peer";
}

const COLORS = {
  tendril: "var(--vp-c-brand-1, #2f7d4f)",
  floor: "var(--vp-c-text-3, #8a8f98)",
  eventlet: "#d9822b",
  peer: "#4f7fd1",
};

function escapeXml(text) {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c],
  );
}

/** A horizontal bar chart of one table's ratios, as an SVG element (no script, no font file). */
export function chartSvg(table) {
  const rowHeight = 26;
  const labelWidth = 330;
  const barWidth = 360;
  const top = 8;
  const height = top + table.rows.length * rowHeight + 28;
  const width = labelWidth + barWidth + 70;
  const max = Math.max(1, ...table.rows.map((r) => r.ratio));
  const scale = barWidth / max;
  const lower = lowerIsBetter(table.metric);
  const bars = table.rows.map((row, k) => {
    const y = top + k * rowHeight;
    const w = Math.max(1, row.ratio * scale);
    const label = row.name.length > 52 ? `${row.name.slice(0, 51)}…` : row.name;
    return [
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end" class="label">${escapeXml(label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowHeight - 8}" rx="3" fill="${COLORS[kindOf(row.name)]}"><title>${escapeXml(`${row.name}: ${row.ratio}x`)}</title></rect>`,
      `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 17}" class="value">${row.ratio.toFixed(2)}×</text>`,
    ].join("");
  });
  const floorX = labelWidth + scale;
  const axisY = top + table.rows.length * rowHeight;
  const caption = `${table.metric.replace(/\s*×floor$/, "")} as a multiple of the floor (${lower ? "lower" : "higher"} is better)`;
  return [
    `<svg class="bench-chart" role="img" aria-label="${escapeXml(`${table.suite}: ${caption}`)}" viewBox="0 0 ${width} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">`,
    ...bars,
    `<line x1="${floorX.toFixed(1)}" y1="${top}" x2="${floorX.toFixed(1)}" y2="${axisY}" class="floor-line"/>`,
    `<text x="${floorX.toFixed(1)}" y="${axisY + 16}" text-anchor="middle" class="value">floor = 1×</text>`,
    `<text x="${labelWidth}" y="${axisY + 16}" class="caption" text-anchor="end" dx="-8">${escapeXml(caption)}</text>`,
    "</svg>",
  ].join("\n");
}

function markdownTable(table) {
  const cell = (text) => text.replace(/\|/g, "\\|");
  return [
    `| ${table.columns.map(cell).join(" | ")} |`,
    `| ${table.columns.map((_, k) => (k === 0 ? "---" : "---:")).join(" | ")} |`,
    ...table.rows.map((r) => `| ${r.cells.map(cell).join(" | ")} |`),
  ].join("\n");
}

/** The Benchmarks page for `markdown` (the text of RESULTS.md). Throws when it has no table. */
export function benchmarksPage(markdown) {
  const tables = parseResults(markdown);
  if (tables.length === 0) throw new Error("bench: no suite table found in apps/bench/RESULTS.md");
  const preamble = markdown
    .split("\n## ")[0]
    .replace(/^# .*\n/, "")
    .trim();
  const out = [
    "# Benchmarks",
    "",
    "Every chart below is drawn at build time from `apps/bench/RESULTS.md`, the text `pnpm bench`",
    "prints. Each suite has a **floor**: the same job written by hand on the bare platform (raw",
    "`node:net`, a hand-written semaphore, `node:http` with undici). A bar is a contender's result",
    'divided by the floor\'s, so 1× is "as fast as hand-written code". Tendril is green, the floor',
    "grey, Eventlet orange, other libraries blue.",
    "",
    "::: info How these were measured",
    preamble,
    ":::",
    "",
  ];
  let section = null;
  for (const table of tables) {
    if (table.section !== section) {
      section = table.section;
      out.push(`## ${section}`, "");
    }
    out.push(
      `### ${table.suite}: ${table.title}${table.node ? ` (Node ${table.node.slice(1)})` : ""}`,
      "",
      chartSvg(table),
      "",
      markdownTable(table),
      "",
    );
  }
  out.push(
    "## Reproducing",
    "",
    "```sh",
    "pnpm bench              # every suite (about 8 minutes)",
    "pnpm bench echo imap    # some suites",
    "```",
    "",
    "The suites, their contenders and the targets each one checks are described in",
    "`apps/bench/README.md`. Benchmarks never gate a merge, and no test times anything.",
    "",
  );
  return out.join("\n");
}
