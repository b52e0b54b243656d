// Chart library candidates, measured on the same 5-series × 480-point log-frequency line chart:
// `deno run -A scripts/chart_candidates.ts` (Observable Plot and linkedom are loaded here only,
// they are not project dependencies).
import * as vega from "vega";
import { compile } from "vega-lite";
const rows: { x: number; y: number; series: string }[] = [];
for (let s = 0; s < 5; s++) {
  for (let i = 0; i < 480; i++) {
    rows.push({ x: 20 * Math.pow(2, i / 48), y: 10 * Math.sin(i / 40 + s), series: `d${s}` });
  }
}
const vl = {
  width: 400,
  height: 220,
  data: { values: rows },
  mark: { type: "line", clip: true },
  encoding: {
    x: { field: "x", type: "quantitative", scale: { type: "log" }, title: "Frequency (Hz)" },
    y: { field: "y", type: "quantitative", title: "Level (dB)" },
    color: { field: "series" },
  },
  config: { aria: false },
};
const time = async (name: string, f: () => Promise<string>) => {
  await f();
  const t = performance.now();
  let svg = "";
  for (let i = 0; i < 10; i++) svg = await f();
  console.log(name, ((performance.now() - t) / 10).toFixed(1), "ms", svg.length, "bytes");
};
await time("vega-lite 6.5 + vega 6.4 (renderer none, toSVG)", async () => {
  const view = new vega.View(vega.parse(compile(vl as never).spec), { renderer: "none" });
  const s = await view.toSVG();
  view.finalize();
  return s;
});
// deno-lint-ignore no-import-prefix -- a candidate measured here, not a project dependency
const Plot = await import("npm:@observablehq/plot@0.6.17");
// deno-lint-ignore no-import-prefix -- idem
const { parseHTML } = await import("npm:linkedom@0.18.15");
await time("Observable Plot 0.6.17 + linkedom 0.18.15 DOM", () => {
  const { document } = parseHTML("<!DOCTYPE html><html><body></body></html>");
  const svg = Plot.plot(
    {
      document,
      width: 480,
      height: 260,
      x: { type: "log", label: "Frequency (Hz)" },
      y: { label: "Level (dB)" },
      color: { legend: false },
      marks: [Plot.line(rows, { x: "x", y: "y", stroke: "series" })],
    } as never,
  ) as unknown as { outerHTML: string };
  return Promise.resolve(svg.outerHTML);
});
