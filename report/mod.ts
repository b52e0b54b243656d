/**
 * Plots and reports: a measurement set, a filter bundle and the line records
 * as one self-contained HTML page of Vega-Lite charts (rendered to SVG without
 * a browser), each plot with a plain-words title, units on every axis and a
 * short explanation, plus the numbers shown as JSON; plots also as SVG/PNG and
 * responses as FRD text.
 *
 * @example
 * ```ts ignore
 * import { readMeasurementSet } from "../io/manifest.ts";
 * import { buildReport } from "./mod.ts";
 * const report = await buildReport({ set: await readMeasurementSet("runs/u1") });
 * await Deno.writeTextFile("report.html", report.html);
 * ```
 *
 * @module
 */
export * from "./charts.ts";
export * from "./report.ts";
export * from "./html.ts";
export * from "./set_section.ts";
export * from "./bundle_section.ts";
export * from "./line_section.ts";
export * from "./frd.ts";
export type { KeyNumber, Section } from "./_types.ts";
export type { SetData } from "./_set_data.ts";
