/**
 * Charts: Vega-Lite specifications compiled to Vega and rendered to SVG
 * headlessly (`renderer: "none"`, `view.toSVG()`), and SVG rasterized to PNG
 * with resvg (WebAssembly). The report never draws SVG by hand: every plot is a
 * Vega-Lite spec built by one of the helpers below (line, polar, heat map,
 * bar), so axes, ticks, legends and scales are the library's.
 *
 * Data rows are plain objects; numbers that are not finite are dropped before
 * plotting (Vega would draw them at 0).
 *
 * @module
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** A Vega-Lite specification (the JSON object the library compiles). */
export type ChartSpec = Record<string, unknown>;

/** One plot of a report: a title in plain words, a short explanation, its spec and SVG. */
export interface Plot {
  /** Stable id, used for file names (`<id>.svg`) and the page's anchors. */
  readonly id: string;
  /** Section the plot belongs to: `set`, `bundle` or `line`. */
  readonly section: "set" | "bundle" | "line";
  /** Title in plain words. */
  readonly title: string;
  /** What the plot shows, what is good, what is bad. */
  readonly explanation: string;
  /** The Vega-Lite specification. */
  readonly spec: ChartSpec;
}

/** A rendered plot. */
export interface RenderedPlot extends Plot {
  /** The SVG text (no XML prolog), as Vega renders it. */
  readonly svg: string;
}

/** Font stack of every chart: DejaVu Sans (Debian's default) where present, else the browser's sans. */
export const CHART_FONT = "DejaVu Sans, Verdana, sans-serif";

const CONFIG = {
  // No per-mark ARIA labels: they tripled the SVG size (a heat map cell carried its tooltip text).
  aria: false,
  font: CHART_FONT,
  background: "white",
  view: { stroke: "#ccc" },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#e6e6e6" },
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 260 },
  title: { fontSize: 14, anchor: "start" as const },
};

/** Width and height of a single chart in px. */
export const CHART_SIZE = { width: 400, height: 220 } as const;

/**
 * Compile a Vega-Lite spec and render it to SVG without a browser.
 *
 * @param spec A Vega-Lite top-level spec (without `config`; the report's is added).
 * @returns SVG text.
 */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  // The page shows the title above the SVG; an empty one would only leave a gap.
  const { title, ...rest } = spec;
  const full = {
    ...rest,
    ...(title ? { title } : {}),
    config: { ...CONFIG, ...(spec.config as object ?? {}) },
  };
  const compiled = compile(full as unknown as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return compactSvg(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/**
 * Round the coordinates in an SVG's geometry attributes (`d`, `transform`,
 * `x`, `y`, …) to 0.1 px, a tenth of a screen pixel: Vega writes up to 15
 * digits, which made a heat map several times larger than it needs to be.
 * Text (tick labels) is left as it is.
 */
export function compactSvg(svg: string): string {
  return svg.replace(
    / (d|transform|points|x|y|x1|x2|y1|y2|width|height)="([^"]*)"/g,
    (_, name: string, value: string) =>
      ` ${name}="${
        value.replace(/-?\d*\.?\d+(?:e[-+]?\d+)?/gi, (n) => {
          const r = Math.round(Number(n) * 10) / 10;
          return String(Object.is(r, -0) ? 0 : r);
        })
      }"`,
  );
}

/**
 * Rasterize SVG to PNG with resvg (WebAssembly). The font is passed as bytes,
 * so text renders the same on every machine that has the file.
 *
 * @param svg SVG text from {@linkcode renderSvg}.
 * @param fontBytes A TrueType font (e.g. Debian's `DejaVuSans.ttf`).
 * @param scale Pixels per SVG unit (2 for a sharp image on paper).
 * @returns PNG bytes.
 */
export async function svgToPng(svg: string, fontBytes: Uint8Array, scale = 2): Promise<Uint8Array> {
  const resvg = await loadResvg();
  const r = new resvg.Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { fontBuffers: [fontBytes], loadSystemFonts: false, defaultFontFamily: "DejaVu Sans" },
  });
  const image = r.render();
  const png = image.asPng();
  image.free();
  r.free();
  return png;
}

let resvgModule: Promise<typeof import("@resvg/resvg-wasm")> | undefined;

/** resvg's WebAssembly may be initialized once per process; this caches that one init. */
function loadResvg(): Promise<typeof import("@resvg/resvg-wasm")> {
  resvgModule ??= (async () => {
    const mod = await import("@resvg/resvg-wasm");
    const wasm = await Deno.readFile(
      new URL(import.meta.resolve("@resvg/resvg-wasm/index_bg.wasm")),
    );
    await mod.initWasm(wasm);
    return mod;
  })();
  return resvgModule;
}

/** Keep only rows whose listed fields are finite numbers. */
export function finiteRows<T extends object>(
  rows: readonly T[],
  fields: readonly string[],
): T[] {
  return rows.filter((r) =>
    fields.every((f) => Number.isFinite((r as Record<string, unknown>)[f] as number))
  );
}

/** Options of {@linkcode lineChart}. */
export interface LineChartOptions {
  /** x-axis title with its unit, e.g. "Frequency (Hz)". */
  readonly xTitle: string;
  /** y-axis title with its unit, e.g. "Level (dB re full scale)". */
  readonly yTitle: string;
  /** Logarithmic x axis (frequency). */
  readonly xLog?: boolean;
  /** x domain. */
  readonly xDomain?: readonly [number, number];
  /** y domain (values outside are clipped). */
  readonly yDomain?: readonly [number, number];
  /** Legend title; rows need a `series` field when given. */
  readonly seriesTitle?: string;
  /** Vertical rules: `{ x, label }`. */
  readonly rules?: readonly { readonly x: number; readonly label: string }[];
  /** Horizontal rules: `{ y, label }` (limits). */
  readonly hRules?: readonly { readonly y: number; readonly label: string }[];
  /** Draw points instead of lines. */
  readonly points?: boolean;
  /** Small multiples: one panel per value of the `panel` field, this many per row. */
  readonly panelColumns?: number;
  /** Title of the panel field. */
  readonly panelTitle?: string;
  /** Dashed series: rows whose `dashed` field is true are drawn dashed. */
  readonly dashedField?: boolean;
  /** Temporal x axis (`x` holds ISO times). */
  readonly xTemporal?: boolean;
  /** Fixed colours per series (legend order = this order). */
  readonly seriesColors?: Readonly<Record<string, string>>;
  /** Series drawn dashed. */
  readonly dashedSeries?: readonly string[];
}

/**
 * A line (or point) chart of rows `{ x, y, series?, panel?, dashed? }`.
 */
export function lineChart(
  title: string,
  rows: readonly Record<string, unknown>[],
  o: LineChartOptions,
): ChartSpec {
  // Values beyond the y domain are drawn at its edge: resvg failed ("unreachable") on SVG
  // clip paths around lines that ran hundreds of dB below them.
  const clamp = (y: number) => o.yDomain ? Math.max(o.yDomain[0], Math.min(o.yDomain[1], y)) : y;
  const data = (o.xTemporal ? finiteRows(rows, ["y"]) : finiteRows(rows, ["x", "y"]))
    .map((r): Record<string, unknown> => ({ ...r, y: clamp(r.y as number) }));
  const x: Record<string, unknown> = {
    field: "x",
    type: o.xTemporal ? "temporal" : "quantitative",
    title: o.xTitle,
    ...(o.xLog || o.xDomain
      ? {
        scale: {
          ...(o.xLog ? { type: "log" } : {}),
          ...(o.xDomain ? { domain: o.xDomain } : {}),
          nice: false,
        },
      }
      : {}),
    ...(o.xLog
      ? { axis: { values: [20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000], format: "~s" } }
      : {}),
  };
  const y: Record<string, unknown> = {
    field: "y",
    type: "quantitative",
    title: o.yTitle,
    ...(o.yDomain ? { scale: { domain: o.yDomain, nice: false } } : { scale: { zero: false } }),
  };
  const encoding: Record<string, unknown> = { x, y };
  if (o.seriesTitle !== undefined) {
    encoding.color = {
      field: "series",
      type: "nominal",
      title: o.seriesTitle,
      sort: null,
      ...(o.seriesColors
        ? {
          scale: {
            domain: Object.keys(o.seriesColors),
            range: Object.values(o.seriesColors),
          },
        }
        : {}),
    };
  }
  if (o.dashedSeries?.length) {
    encoding.strokeDash = {
      condition: {
        test: `indexof(${JSON.stringify(o.dashedSeries)}, datum.series) >= 0`,
        value: [5, 3],
      },
      value: [1, 0],
    };
  }
  if (o.dashedField) {
    encoding.strokeDash = { field: "dashed", type: "nominal", legend: null };
  }
  const mark = o.points
    ? { type: "point", filled: true, size: 18, clip: true }
    : { type: "line", clip: true, strokeWidth: 1.5, interpolate: "linear" };
  const layers: Record<string, unknown>[] = [{ mark, encoding }];
  if (o.rules?.length) {
    layers.push({
      data: { values: o.rules },
      mark: { type: "rule", strokeDash: [4, 3], color: "#555" },
      encoding: { x: { field: "x", type: o.xTemporal ? "temporal" : "quantitative" } },
    }, {
      data: { values: o.rules },
      mark: {
        type: "text",
        align: "left",
        dx: 3,
        dy: -4,
        baseline: "bottom",
        fontSize: 10,
        color: "#333",
      },
      encoding: {
        x: { field: "x", type: "quantitative" },
        y: { value: 12 },
        text: { field: "label" },
      },
    });
  }
  if (o.hRules?.length) {
    layers.push({
      data: { values: o.hRules },
      mark: { type: "rule", color: "#c00", strokeDash: [6, 3] },
      encoding: { y: { field: "y", type: "quantitative" } },
    }, {
      data: { values: o.hRules },
      mark: { type: "text", align: "right", dy: -4, fontSize: 10, color: "#c00" },
      encoding: {
        y: { field: "y", type: "quantitative" },
        x: { value: CHART_SIZE.width - 4 },
        text: { field: "label" },
      },
    });
  }
  if (o.panelColumns) {
    return {
      title,
      data: { values: data },
      facet: {
        field: "panel",
        type: "nominal",
        title: o.panelTitle ?? null,
        sort: [...new Set(data.map((r) => r.panel))],
      },
      columns: o.panelColumns,
      spec: { width: 260, height: 190, layer: layers.slice(0, 1) },
      resolve: { scale: { y: "shared" } },
    };
  }
  return {
    title,
    width: CHART_SIZE.width,
    height: CHART_SIZE.height,
    data: { values: data },
    layer: layers,
  };
}

/**
 * A polar plot of rows `{ angleDeg, levelDb, series }`: level in dB as the
 * radius (clamped at `floorDb`), angle counter-clockwise with 0° up (the
 * device's front), drawn by Vega-Lite from x = r·sin, y = r·cos with rings at
 * every `ringStepDb`.
 */
export function polarChart(
  title: string,
  rows: readonly { angleDeg: number; levelDb: number; series: string }[],
  o: {
    readonly floorDb: number;
    readonly ringStepDb: number;
    readonly seriesTitle: string;
    readonly panel?: string;
  },
): ChartSpec {
  const span = -o.floorDb;
  const points = finiteRows(rows, ["angleDeg", "levelDb"]).map((r) => {
    const rr = Math.max(0, r.levelDb - o.floorDb) / span;
    const a = (r.angleDeg * Math.PI) / 180;
    // Counter-clockwise seen from above with 0° (the front) up: +90° (the device's left) to the left.
    return { ...r, px: -rr * Math.sin(a), py: rr * Math.cos(a), order: r.angleDeg };
  });
  // Close each series' loop: repeat its first angle one turn later.
  const firsts = new Map<string, (typeof points)[number]>();
  for (const p of points) {
    const f = firsts.get(p.series);
    if (!f || p.order < f.order) firsts.set(p.series, p);
  }
  for (const f of firsts.values()) points.push({ ...f, order: f.order + 360 });
  const rings: { px: number; py: number; ring: string; order: number }[] = [];
  for (let db = 0; db > o.floorDb; db -= o.ringStepDb) {
    const rr = (db - o.floorDb) / span;
    for (let a = 0; a <= 360; a += 5) {
      const t = (a * Math.PI) / 180;
      rings.push({ px: rr * Math.sin(t), py: rr * Math.cos(t), ring: `${db} dB`, order: a });
    }
  }
  const labels = [];
  for (let db = 0; db > o.floorDb; db -= o.ringStepDb) {
    labels.push({ px: 0.02, py: (db - o.floorDb) / span, text: `${db} dB` });
  }
  const spokes = [0, 45, 90, 135, 180, -135, -90, -45].map((a) => {
    const t = (a * Math.PI) / 180;
    return { px: -1.08 * Math.sin(t), py: 1.08 * Math.cos(t), text: `${a}°` };
  });
  const axisOff = { axis: null, scale: { domain: [-1.15, 1.15] } };
  return {
    title,
    width: 300,
    height: 300,
    layer: [
      {
        data: { values: rings },
        mark: { type: "line", color: "#ddd", strokeWidth: 1 },
        encoding: {
          x: { field: "px", type: "quantitative", ...axisOff, title: null },
          y: { field: "py", type: "quantitative", ...axisOff, title: null },
          detail: { field: "ring" },
          order: { field: "order", type: "quantitative" },
        },
      },
      {
        data: { values: labels },
        mark: { type: "text", fontSize: 9, color: "#777", align: "left" },
        encoding: {
          x: { field: "px", type: "quantitative" },
          y: { field: "py", type: "quantitative" },
          text: { field: "text" },
        },
      },
      {
        data: { values: spokes },
        mark: { type: "text", fontSize: 10, color: "#333" },
        encoding: {
          x: { field: "px", type: "quantitative" },
          y: { field: "py", type: "quantitative" },
          text: { field: "text" },
        },
      },
      {
        data: { values: points },
        mark: { type: "line", strokeWidth: 1.8 },
        encoding: {
          x: { field: "px", type: "quantitative" },
          y: { field: "py", type: "quantitative" },
          color: { field: "series", type: "nominal", title: o.seriesTitle, sort: null },
          order: { field: "order", type: "quantitative" },
        },
      },
    ],
  };
}

/**
 * A heat map of rows `{ x, y, value, panel? }` on a band grid: x a frequency
 * band (log scale: `x0`..`x1` edges), y an angle with its step.
 */
export function heatMap(
  title: string,
  rows: readonly {
    x0: number;
    x1: number;
    y0: number;
    y1: number;
    value: number;
    panel?: string;
  }[],
  o: {
    readonly xTitle: string;
    readonly yTitle: string;
    readonly valueTitle: string;
    readonly domain: readonly [number, number];
    readonly panelColumns?: number;
    readonly scheme?: string;
  },
): ChartSpec {
  const data = rows.map((r) => ({
    ...r,
    value: Math.max(o.domain[0], Math.min(o.domain[1], r.value)),
  }))
    .filter((r) => Number.isFinite(r.value));
  const inner = {
    mark: { type: "rect" },
    encoding: {
      x: {
        field: "x0",
        type: "quantitative",
        scale: { type: "log", nice: false },
        title: o.xTitle,
        axis: { values: [100, 200, 500, 1000, 2000, 5000, 10000], format: "~s" },
      },
      x2: { field: "x1" },
      y: {
        field: "y0",
        type: "quantitative",
        title: o.yTitle,
        scale: { nice: false },
        axis: { values: [-180, -135, -90, -45, 0, 45, 90, 135, 180] },
      },
      y2: { field: "y1" },
      color: {
        field: "value",
        type: "quantitative",
        title: o.valueTitle,
        scale: { scheme: o.scheme ?? "viridis", domain: o.domain },
      },
    },
  };
  if (o.panelColumns) {
    return {
      title,
      data: { values: data },
      facet: {
        field: "panel",
        type: "nominal",
        title: null,
        sort: [...new Set(data.map((r) => r.panel))],
      },
      columns: o.panelColumns,
      spec: { width: 260, height: 200, ...inner },
    };
  }
  return {
    title,
    width: CHART_SIZE.width,
    height: CHART_SIZE.height,
    data: { values: data },
    ...inner,
  };
}

/**
 * A bar chart of rows `{ label, value, color? }`, bars in the given order.
 */
export function barChart(
  title: string,
  rows: readonly { label: string; value: number; color?: string }[],
  o: {
    readonly xTitle: string;
    readonly yTitle: string;
    readonly hRules?: readonly { readonly y: number; readonly label: string }[];
    readonly horizontal?: boolean;
  },
): ChartSpec {
  const data = finiteRows(rows, ["value"]);
  const cat = {
    field: "label",
    type: "nominal",
    sort: null,
    title: o.xTitle,
    axis: { labelAngle: -40, labelLimit: 200 },
  };
  const val = { field: "value", type: "quantitative", title: o.yTitle };
  const layers: Record<string, unknown>[] = [{
    mark: { type: "bar" },
    encoding: {
      x: cat,
      y: val,
      color: { field: "color", type: "nominal", scale: null },
    },
  }];
  if (o.hRules?.length) {
    layers.push({
      data: { values: o.hRules },
      mark: { type: "rule", color: "#c00", strokeDash: [6, 3] },
      encoding: { y: { field: "y", type: "quantitative" } },
    });
  }
  return {
    title,
    width: CHART_SIZE.width,
    height: CHART_SIZE.height,
    data: { values: data.map((r) => ({ color: "#4c78a8", ...r })) },
    layer: layers,
  };
}
