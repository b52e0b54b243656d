/**
 * The report page: one self-contained HTML file (inline CSS, inline SVG, one
 * small inline script that records page errors and checks every plot drew;
 * no network, no external script or font), readable from a USB stick.
 *
 * @module
 */
import type { RenderedPlot } from "./charts.ts";
import type { KeyNumber } from "./_types.ts";

/** A section ready for the page. */
export interface PageSection {
  /** Anchor id of the section (`set`, `bundle`, `line`). */
  readonly id: string;
  /** Heading in plain words. */
  readonly heading: string;
  /** Where the data come from. */
  readonly intro: string;
  /** Numbers shown above the plots. */
  readonly numbers: readonly KeyNumber[];
  /** Rendered plots. */
  readonly plots: readonly RenderedPlot[];
  /**
   * Row names (driver ids) whose numbers (ids `<section>.<row>.<column>`, labels
   * `<row>: <what>`) are shown as one table, a row per name and a column per quantity.
   */
  readonly tableRows?: readonly string[];
}

/** Escape text for HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/** A number as the page shows it (the same text the `--json` value gives). */
export function formatNumber(n: KeyNumber): string {
  return n.value === null ? "n/a" : String(n.value);
}

const STYLE = `
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 24px; color: #222; max-width: 1240px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 18px; border-bottom: 2px solid #4c78a8; padding-bottom: 4px; margin-top: 36px; }
p.meta { color: #555; margin-top: 0; }
table.numbers { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
table.numbers td, table.numbers th { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: left; }
table.grid th { font-weight: normal; color: #444; vertical-align: bottom; max-width: 120px; }
table.numbers td.v { text-align: right; font-variant-numeric: tabular-nums; }
.plots { display: flex; flex-wrap: wrap; gap: 18px; }
figure.plot { margin: 0; padding: 8px; border: 1px solid #e3e3e3; background: white; max-width: 100%; }
figure.plot h3 { font-size: 14px; margin: 0 0 6px; }
figure.plot figcaption { font-size: 12px; color: #444; max-width: 560px; margin-top: 4px; line-height: 1.35; }
figure.plot svg { display: block; max-width: 100%; height: auto; }
`;

/** The page's one script: record errors and check that every plot has a drawn size. */
const SCRIPT = `
(function () {
  var errors = [];
  window.addEventListener("error", function (e) { errors.push(String(e.message)); });
  var origError = console.error;
  console.error = function () { errors.push(Array.prototype.join.call(arguments, " ")); origError.apply(console, arguments); };
  function check() {
    var plots = document.querySelectorAll("figure.plot");
    var out = [];
    for (var i = 0; i < plots.length; i++) {
      var svg = plots[i].querySelector("svg");
      var r = svg ? svg.getBoundingClientRect() : null;
      out.push({ id: plots[i].id, ok: !!(r && r.width > 50 && r.height > 50),
        x: r ? Math.round(r.left + window.scrollX) : 0, y: r ? Math.round(r.top + window.scrollY) : 0,
        w: r ? Math.round(r.width) : 0, h: r ? Math.round(r.height) : 0 });
    }
    var s = document.getElementById("page-check");
    s.textContent = JSON.stringify({ errors: errors, plots: out, height: document.documentElement.scrollHeight });
  }
  if (document.readyState === "complete") check(); else window.addEventListener("load", check);
})();
`;

function numberRows(numbers: readonly KeyNumber[]): string {
  return numbers.map((n) =>
    `<tr><td>${escapeHtml(n.label)}</td><td class="v" data-key="${escapeHtml(n.id)}">${
      escapeHtml(formatNumber(n))
    }</td><td>${escapeHtml(n.unit)}</td></tr>`
  ).join("\n");
}

/** Numbers of the named rows as one grid; the rest stay a list. */
function splitTable(
  numbers: readonly KeyNumber[],
  rows: readonly string[],
): { grid: string; rest: KeyNumber[] } {
  const cells = new Map<string, Map<string, KeyNumber>>();
  const columns: { key: string; title: string }[] = [];
  const rest: KeyNumber[] = [];
  for (const n of numbers) {
    const parts = n.id.split(".");
    const row = parts.length === 3 ? parts[1]! : undefined;
    if (row === undefined || !rows.includes(row)) {
      rest.push(n);
      continue;
    }
    const col = parts[2]!;
    if (!columns.some((c) => c.key === col)) {
      const what = n.label.startsWith(`${row}: `) ? n.label.slice(row.length + 2) : n.label;
      columns.push({ key: col, title: `${what}${n.unit ? ` (${n.unit})` : ""}` });
    }
    if (!cells.has(row)) cells.set(row, new Map());
    cells.get(row)!.set(col, n);
  }
  if (cells.size === 0) return { grid: "", rest };
  const head = `<tr><th></th>${
    columns.map((c) => `<th>${escapeHtml(c.title)}</th>`).join("")
  }</tr>`;
  const body = rows.filter((r) => cells.has(r)).map((r) =>
    `<tr><td>${escapeHtml(r)}</td>${
      columns.map((c) => {
        const n = cells.get(r)!.get(c.key);
        return n
          ? `<td class="v" data-key="${escapeHtml(n.id)}">${escapeHtml(formatNumber(n))}</td>`
          : "<td></td>";
      }).join("")
    }</tr>`
  ).join("\n");
  return { grid: `<table class="numbers grid">${head}\n${body}</table>`, rest };
}

/**
 * Assemble the page.
 *
 * @param title Page title.
 * @param meta One line under the title (what was reported, when).
 * @param sections The sections in order.
 * @returns The HTML text.
 */
export function reportHtml(title: string, meta: string, sections: readonly PageSection[]): string {
  const body = sections.map((s) => {
    const { grid, rest } = splitTable(s.numbers, s.tableRows ?? []);
    const plots = s.plots.map((p) =>
      `<figure class="plot" id="${escapeHtml(p.id)}"><h3>${escapeHtml(p.title)}</h3>\n${
        p.svg.replace(/^<\?xml[^>]*>\s*/, "")
      }\n<figcaption>${escapeHtml(p.explanation)}</figcaption></figure>`
    ).join("\n");
    return `<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.heading)}</h2>
<p class="meta">${escapeHtml(s.intro)}</p>
${grid}
${rest.length ? `<table class="numbers">${numberRows(rest)}</table>` : ""}
<div class="plots">${plots}</div></section>`;
  }).join("\n");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="spatialcal report">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
<script>${SCRIPT}</script>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(meta)}</p>
${body}
<pre id="page-check" hidden></pre>
</body></html>
`;
}
