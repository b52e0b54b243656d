/**
 * Shared types of the report's sections.
 *
 * @module
 */
import type { Plot } from "./charts.ts";

/** One number a reader sees at a glance (shown on the page, equal in `--json`). */
export interface KeyNumber {
  /** Stable id (`set.tweeter.thd-percent`), the page's `data-key`. */
  readonly id: string;
  /** What it is, in plain words. */
  readonly label: string;
  /** The value, rounded as shown (null when it cannot be computed). */
  readonly value: number | null;
  /** Unit ("dB", "%", "ms", "Hz", "" for a count). */
  readonly unit: string;
}

/** A section of the report: its plots and numbers. */
export interface Section {
  /** Heading in plain words. */
  readonly heading: string;
  /** A sentence or two about where the data come from. */
  readonly intro: string;
  /** The section's plots, in page order. */
  readonly plots: Plot[];
  /** The numbers shown above the plots. */
  readonly numbers: KeyNumber[];
  /** Row names (driver ids) whose numbers the page shows as one table. */
  readonly tableRows?: readonly string[];
}

/** Round to `digits` decimals; non-finite values become null. */
export function rounded(x: number, digits = 1): number | null {
  if (!Number.isFinite(x)) return null;
  const f = Math.pow(10, digits);
  return Math.round(x * f) / f;
}
