/**
 * The production-line part of a report, from the verdict records: yield over
 * time, a Pareto of failure reasons, SPC charts (each check's value per unit
 * with its specification limits and individuals control limits) and the Cpk
 * of each check.
 *
 * Control limits are those of an individuals chart: centre line x̄ and
 * x̄ ± 3·MR̄/1.128 (MR̄ the mean moving range of consecutive units), estimated
 * from the units that passed; `Cpk = min(USL − μ, μ − LSL)/(3σ)` over the
 * same units (Montgomery, Introduction to Statistical Quality Control, 7th ed.,
 * Wiley 2012, sec. 6.4 and 8.2). Specification limits come from the limits
 * file when given (`--limits`); without it only the response-band margin has
 * one (0 dB, by definition).
 *
 * @module
 */
import type { Limits } from "../calibrate/limits.ts";
import { FLOOR_DB, thdPercentToDb } from "../calibrate/limits.ts";
import type { RecordStore, StoredVerdict, YieldQuery } from "../calibrate/records.ts";
import type { DriverMetrics } from "../calibrate/verify.ts";
import { barChart, CHART_SIZE, type ChartSpec, type Plot } from "./charts.ts";
import { type KeyNumber, rounded, type Section } from "./_types.ts";

/** One charted check: how to read it from a driver's metrics and its limits. */
interface CheckSpec {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly value: (m: DriverMetrics) => number;
  readonly limits: (l: Limits | undefined, driver: string) => { lsl?: number; usl?: number };
}

const CHECKS: readonly CheckSpec[] = [
  {
    id: "sensitivity",
    title: "Sensitivity re the golden units",
    unit: "dB",
    value: (m) => m.sensitivityDeltaDb,
    limits: (l, d) => {
      const s = l?.driverLimits[d]?.sensitivity;
      return s ? { lsl: s.lowerDb - s.meanDb, usl: s.upperDb - s.meanDb } : {};
    },
  },
  {
    id: "response-margin",
    title: "Response: smallest distance to a band limit",
    unit: "dB",
    value: (m) => m.worstBandMarginDb,
    limits: () => ({ lsl: 0 }),
  },
  {
    id: "thd",
    title: "Total harmonic distortion",
    unit: "dB re fundamental",
    value: (m) => thdPercentToDb(m.thdPercent),
    limits: (l, d) => {
      const c = l?.driverLimits[d]?.thd;
      return c ? { usl: c.ceilingDb } : {};
    },
  },
  {
    id: "rub-buzz",
    title: "Rub and buzz (harmonics 10 and up)",
    unit: "dB re fundamental",
    value: (m) => (m.rubBuzzDb <= FLOOR_DB ? NaN : m.rubBuzzDb),
    limits: (l, d) => {
      const c = l?.driverLimits[d]?.rubBuzz;
      return c ? { usl: c.ceilingDb } : {};
    },
  },
  {
    id: "air-leak",
    title: "Air leak (bass loss re golden)",
    unit: "dB",
    value: (m) => m.airLeakDb,
    limits: (l, d) => {
      const c = l?.driverLimits[d]?.airLeak;
      return c ? { usl: c.ceilingDb } : {};
    },
  },
];

/** d2 of moving ranges of two (Montgomery 2012, App. VI). */
const D2 = 1.128;

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

function std(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, xs.length - 1));
}

/**
 * Build the line section.
 *
 * @param store The verdict records.
 * @param query Which verdicts (batch, since, station).
 * @param limits The limits the units were judged with (for specification limits and Cpk).
 */
export async function lineSection(
  store: RecordStore,
  query: YieldQuery,
  limits?: Limits,
): Promise<Section> {
  const verdicts = await store.verdicts(query);
  const summary = await store.yieldOf(query);
  const plots: Plot[] = [];
  const numbers: KeyNumber[] = [
    { id: "line.verdicts", label: "Verdicts in the selection", value: summary.tested, unit: "" },
    { id: "line.units", label: "Units tested", value: summary.units, unit: "" },
    { id: "line.passed", label: "Verdicts that passed", value: summary.passed, unit: "" },
    {
      id: "line.final-yield-percent",
      label: "Final yield (units whose latest verdict passed)",
      value: rounded(summary.finalYieldPercent, 1),
      unit: "%",
    },
  ];
  if (verdicts.length === 0) {
    return {
      heading: "The production line",
      intro: `No verdicts in ${store.location} for this selection.`,
      plots,
      numbers,
    };
  }
  plots.push(yieldPlot(verdicts));
  plots.push(paretoPlot(summary.violationsByCheck));
  const reasons = Object.entries(summary.violationsByCheck).sort((a, b) => b[1] - a[1]);
  if (reasons[0]) {
    numbers.push({
      id: "line.top-reason-count",
      label: `Most common failure: ${reasons[0][0]}`,
      value: reasons[0][1],
      unit: "failures",
    });
  }
  const drivers = limits?.drivers ?? Object.keys(
    (verdicts[0]!.metrics as { drivers?: Record<string, unknown> })?.drivers ?? {},
  );
  const cpkRows: { label: string; value: number; color: string }[] = [];
  for (const check of CHECKS) {
    const rows: Record<string, unknown>[] = [];
    for (const driver of drivers) {
      const series = verdicts.map((v, i) => {
        const m = (v.metrics as { drivers?: Record<string, DriverMetrics> })?.drivers?.[driver];
        return { i: i + 1, value: m ? check.value(m) : NaN, passed: v.passed, serial: v.serial };
      }).filter((p) => Number.isFinite(p.value));
      if (series.length === 0) continue;
      const good = series.filter((p) => p.passed).map((p) => p.value);
      const base = good.length >= 2 ? good : series.map((p) => p.value);
      const center = mean(base);
      let mr = 0;
      for (let k = 1; k < base.length; k++) mr += Math.abs(base[k]! - base[k - 1]!);
      const sigmaHat = base.length > 1 ? mr / (base.length - 1) / D2 : 0;
      const { lsl, usl } = check.limits(limits, driver);
      // A dead driver (−80 dB) would squash the panel: values are drawn at most half the
      // span beyond the limits and the passing units' range, at the edge (the table and the
      // Pareto keep the real values).
      const lo = Math.min(...base, center - 3 * sigmaHat, lsl ?? Infinity);
      const hi = Math.max(...base, center + 3 * sigmaHat, usl ?? -Infinity);
      const pad = 0.5 * Math.max(hi - lo, 1e-6);
      for (const p of series) {
        rows.push({
          x: p.i,
          y: Math.max(lo - pad, Math.min(hi + pad, p.value)),
          panel: driver,
          verdict: p.passed ? "unit passed" : "unit failed",
          cl: center,
          ucl: center + 3 * sigmaHat,
          lcl: center - 3 * sigmaHat,
          ...(usl === undefined ? {} : { usl }),
          ...(lsl === undefined ? {} : { lsl }),
        });
      }
      if (lsl !== undefined || usl !== undefined) {
        const s = std(base), mu = mean(base);
        const cpk = Math.min(
          usl === undefined ? Infinity : (usl - mu) / (3 * s),
          lsl === undefined ? Infinity : (mu - lsl) / (3 * s),
        );
        const value = rounded(cpk, 2);
        numbers.push({
          id: `line.${driver}.cpk-${check.id}`,
          label: `${driver}: Cpk of ${check.id}`,
          value,
          unit: "",
        });
        if (value !== null) {
          cpkRows.push({
            label: `${driver} ${check.id}`,
            value,
            color: value < 1.33 ? "#e45756" : "#4c78a8",
          });
        }
      }
    }
    if (rows.length > 0) plots.push(spcPlot(check, rows, limits !== undefined));
  }
  if (cpkRows.length > 0) {
    const worst = Math.min(...cpkRows.map((r) => r.value));
    numbers.push({
      id: "line.cpk-min",
      label: "Lowest Cpk of any check",
      value: rounded(worst, 2),
      unit: "",
    });
    plots.push({
      id: "line-cpk",
      section: "line",
      title: "Process capability of each check (Cpk)",
      explanation:
        "How far the passing units stay from the nearer limit, in units of three standard deviations: Cpk = min(upper − mean, mean − lower) / 3σ. Good: 1.33 or more (the dashed line) — well inside the limits. Bad: below 1.33 (red) — a check that good units will sometimes fail, or limits too tight for the process.",
      spec: barChart("", cpkRows, {
        xTitle: "Check (driver and check)",
        yTitle: "Cpk (ratio)",
        hRules: [{ y: 1.33, label: "1.33" }],
      }),
    });
  }
  const span = `${verdicts[0]!.createdAt} to ${verdicts[verdicts.length - 1]!.createdAt}`;
  return {
    heading: "The production line",
    intro: `${verdicts.length} verdicts from ${store.location} (${span})${
      query.batch ? `, batch ${query.batch}` : ""
    }${query.since ? `, since ${query.since}` : ""}. ${
      limits
        ? `Specification limits from the limits file (${limits.golden.unitCount} golden units).`
        : "No limits file given: only the response margin has a specification limit (0 dB)."
    }`,
    plots,
    numbers,
    tableRows: drivers,
  };
}

function yieldPlot(verdicts: readonly StoredVerdict[]): Plot {
  const group = Math.max(5, Math.ceil(verdicts.length / 20));
  const rows: Record<string, unknown>[] = [];
  let passedTotal = 0;
  for (let start = 0; start < verdicts.length; start += group) {
    const chunk = verdicts.slice(start, start + group);
    const passed = chunk.filter((v) => v.passed).length;
    passedTotal += passed;
    const t = chunk[chunk.length - 1]!.createdAt;
    rows.push(
      { x: t, y: (100 * passed) / chunk.length, series: `per ${group} verdicts` },
      { x: t, y: (100 * passedTotal) / (start + chunk.length), series: "cumulative" },
    );
  }
  return {
    id: "line-yield",
    section: "line",
    title: "Share of units that pass, over time (yield)",
    explanation:
      `Passing verdicts per group of ${group} consecutive verdicts, and the running total. Good: steady and high. Bad: a drop — a bad batch of parts, a drifting station, or a change on the line.`,
    spec: {
      width: CHART_SIZE.width,
      height: CHART_SIZE.height,
      data: { values: rows },
      mark: { type: "line", point: true, clip: true },
      encoding: {
        x: {
          field: "x",
          type: "temporal",
          title: "Time of the verdict (UTC)",
          axis: { format: "%H:%M:%S", labelAngle: -30 },
        },
        y: {
          field: "y",
          type: "quantitative",
          title: "Yield (% passed)",
          scale: { domain: [0, 100] },
        },
        color: { field: "series", type: "nominal", title: "yield", sort: null },
      },
    },
  };
}

function paretoPlot(byCheck: Readonly<Record<string, number>>): Plot {
  const entries = Object.entries(byCheck).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  let run = 0;
  const rows = entries.map(([check, n]) => {
    run += n;
    return { check, count: n, cumulative: total ? (100 * run) / total : 0 };
  });
  const spec: ChartSpec = {
    width: CHART_SIZE.width,
    height: CHART_SIZE.height,
    data: { values: rows.length ? rows : [{ check: "no failures", count: 0, cumulative: 0 }] },
    encoding: {
      x: {
        field: "check",
        type: "nominal",
        sort: null,
        title: "Failure reason (check)",
        axis: { labelAngle: -30 },
      },
    },
    layer: [
      {
        mark: { type: "bar", color: "#e45756" },
        encoding: { y: { field: "count", type: "quantitative", title: "Failures (count)" } },
      },
      {
        mark: { type: "line", point: true, color: "#333" },
        encoding: {
          y: {
            field: "cumulative",
            type: "quantitative",
            title: "Cumulative share (%)",
            scale: { domain: [0, 100] },
          },
        },
      },
    ],
    resolve: { scale: { y: "independent" } },
  };
  return {
    id: "line-pareto",
    section: "line",
    title: "Why units fail (Pareto of failure reasons)",
    explanation:
      "Failed checks counted by reason, most common first, with the running share (line, right axis). Good: few failures, spread thin. Bad: one reason dominating — fix that one first; it is where most of the scrap comes from.",
    spec,
  };
}

function spcPlot(check: CheckSpec, rows: Record<string, unknown>[], haveLimits: boolean): Plot {
  const rule = (field: string, color: string, dash: number[]) => ({
    mark: { type: "rule", color, strokeDash: dash },
    encoding: { y: { field, type: "quantitative", aggregate: "max" } },
  });
  const hasSpec = rows.some((r) => r.usl !== undefined || r.lsl !== undefined);
  const spec: ChartSpec = {
    data: { values: rows },
    facet: { field: "panel", type: "nominal", title: null, sort: null },
    columns: 3,
    spec: {
      width: 280,
      height: 150,
      layer: [
        {
          mark: { type: "line", color: "#9ab", strokeWidth: 1 },
          encoding: {
            x: { field: "x", type: "quantitative", title: "Unit (in test order)" },
            y: {
              field: "y",
              type: "quantitative",
              title: `Value (${check.unit})`,
              scale: { zero: false },
            },
          },
        },
        {
          mark: { type: "point", filled: true, size: 16 },
          encoding: {
            x: { field: "x", type: "quantitative" },
            y: { field: "y", type: "quantitative" },
            color: {
              field: "verdict",
              type: "nominal",
              title: "verdict",
              scale: { domain: ["unit passed", "unit failed"], range: ["#4c78a8", "#e45756"] },
            },
          },
        },
        rule("cl", "#2a2", [1, 0]),
        rule("ucl", "#2a2", [4, 3]),
        rule("lcl", "#2a2", [4, 3]),
        ...(rows.some((r) => r.usl !== undefined) ? [rule("usl", "#c00", [8, 3])] : []),
        ...(rows.some((r) => r.lsl !== undefined) ? [rule("lsl", "#c00", [8, 3])] : []),
      ],
    },
    resolve: { scale: { y: "independent" } },
  };
  return {
    id: `line-spc-${check.id}`,
    section: "line",
    title: `${check.title}, unit by unit (control chart)`,
    explanation:
      `Each unit's value per driver in test order (red: the unit failed some check). Green: the process mean (solid) and control limits at ±3σ (dashed) of the passing units; red dashed: ${
        hasSpec
          ? "the specification limit(s)"
          : haveLimits
          ? "none"
          : "specification limits (give --limits)"
      }. Good: points scattered evenly around the mean, far inside the red lines. Bad: a run drifting toward a limit, points outside the green lines (something changed), or a wide spread that touches the red line.`,
    spec,
  };
}
