/**
 * A report: the measured device, its filters and the line, as one
 * self-contained HTML page of Vega-Lite plots with the numbers a user reads
 * at a glance, and the same numbers as JSON.
 *
 * @module
 */
import type { MeasurementSet } from "../io/manifest.ts";
import type { LoadedBundle } from "../calibrate/bundle.ts";
import type { Limits } from "../calibrate/limits.ts";
import type { RecordStore, YieldQuery } from "../calibrate/records.ts";
import { type RenderedPlot, renderSvg } from "./charts.ts";
import { type PageSection, reportHtml } from "./html.ts";
import type { KeyNumber, Section } from "./_types.ts";
import { setSection, type SetSectionOptions } from "./set_section.ts";
import { bundleSection, type BundleSectionOptions } from "./bundle_section.ts";
import { lineSection } from "./line_section.ts";

/** What a report covers. */
export interface ReportInput {
  /** The measurement set (required). */
  readonly set: MeasurementSet;
  /** A filter bundle of the same unit, or of any unit with the set's drivers. */
  readonly bundle?: LoadedBundle;
  /** A verdict store, with the selection of verdicts and optional limits for the SPC charts. */
  readonly line?: {
    readonly store: RecordStore;
    readonly query: YieldQuery;
    readonly limits?: Limits;
  };
}

/** Options of {@linkcode buildReport}. */
export interface ReportOptions extends SetSectionOptions, BundleSectionOptions {
  /** Called after each plot is rendered (progress). */
  readonly onProgress?: (done: number, total: number, item: string) => void;
  /** Time shown on the page (ISO 8601). Default now. */
  readonly createdAt?: string;
}

/** A built report. */
export interface Report {
  /** The HTML page. */
  readonly html: string;
  /** Every plot with its SVG. */
  readonly plots: readonly RenderedPlot[];
  /** Every number on the page, by section. */
  readonly numbers: Readonly<Record<string, readonly KeyNumber[]>>;
  /** Page title. */
  readonly title: string;
}

/**
 * Build a report: compute each section's plots and numbers, render every plot
 * to SVG with Vega, and assemble the page.
 *
 * @param input Set, optional bundle, optional line records.
 * @param options Smoothing, bands, progress.
 * @returns The page, its plots and numbers.
 */
export async function buildReport(
  input: ReportInput,
  options: ReportOptions = {},
): Promise<Report> {
  const sections: { id: string; section: Section }[] = [];
  const set = await setSection(input.set, options);
  sections.push({ id: "set", section: set });
  if (input.bundle) {
    sections.push({
      id: "bundle",
      section: await bundleSection(input.bundle, input.set, set.data, options),
    });
  }
  if (input.line) {
    sections.push({
      id: "line",
      section: await lineSection(input.line.store, input.line.query, input.line.limits),
    });
  }
  const total = sections.reduce((n, s) => n + s.section.plots.length, 0);
  let done = 0;
  const page: PageSection[] = [];
  const plots: RenderedPlot[] = [];
  for (const { id, section } of sections) {
    const rendered: RenderedPlot[] = [];
    for (const p of section.plots) {
      rendered.push({ ...p, svg: await renderSvg(p.spec) });
      options.onProgress?.(++done, total, p.id);
    }
    plots.push(...rendered);
    page.push({
      id,
      heading: section.heading,
      intro: section.intro,
      numbers: section.numbers,
      plots: rendered,
      ...(section.tableRows ? { tableRows: section.tableRows } : {}),
    });
  }
  const m = input.set.manifest;
  const title = `spatialcal report: ${m.device.model} ${m.device.serial}`;
  const createdAt = options.createdAt ?? new Date().toISOString();
  const html = reportHtml(
    title,
    `Made ${createdAt} from ${input.set.folder}${input.bundle ? ` and a filter bundle` : ""}${
      input.line ? ` and the line records (${input.line.store.location})` : ""
    }.`,
    page,
  );
  return {
    html,
    plots,
    title,
    numbers: Object.fromEntries(sections.map(({ id, section }) => [id, section.numbers])),
  };
}
