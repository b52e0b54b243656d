/**
 * Binaural preview: what a listener at a measured position hears from driver
 * feeds, for headphones — each ear is the sum over drivers of the feed
 * convolved with that driver's measured ear impulse response:
 *
 * ```text
 * ear_e = Σ_d ir[e][d] * feed_d         e ∈ {ear-left, ear-right}, d = bundle.device.drivers
 * ```
 *
 * The IRs keep the acoustic propagation delay (DESIGN.md conventions), so
 * the preview of a bundle's feeds is exactly what `evaluate` scores at that
 * position (`Σ_d P[ear][d]·F_i[d]` per bin), rendered in the time domain.
 *
 * The **unprocessed** device, for A/B listening, is the bare speaker played
 * as an unfiltered stereo matrix: the left input drives every driver whose id
 * contains `left`, the right input every driver whose id contains `right`,
 * and every other driver gets `(left + right) / 2` (center, top, tweeter,
 * woofer). Its feeds are delayed by the bundle's `latencySamples` so that A/B
 * switching between the two previews is time-aligned.
 *
 * @module
 */
import type { Signal } from "../dsp/signal.ts";
import { nextPowerOfTwo, realFftPlan } from "../dsp/fft.ts";
import type { RenderableBundle } from "./render_bundle.ts";

/** One binaural position's ear impulse responses, `irs[ear][driver]` (ear 0 = left). */
export interface EarResponses {
  /** Position label (as `evaluate` prints it). */
  readonly label: string;
  /** `irs[ear][driver]`, drivers in the bundle's `device.drivers` order. */
  readonly irs: readonly (readonly Float64Array[])[];
}

/**
 * Render driver feeds to the two ears of a measured binaural position:
 * `ear_e = Σ_d irs[e][d] * feeds_d` (full linear convolution).
 *
 * @param feeds One channel per driver (the order of `ears.irs[e]`).
 * @param ears The position's ear IRs at the feeds' sample rate.
 * @returns A 2-channel signal (ear-left, ear-right), length `feeds + longest IR − 1`.
 * @throws {RangeError} when the driver counts differ.
 */
export function binauralPreview(feeds: Signal, ears: EarResponses): Signal {
  const drivers = feeds.channels.length;
  if (ears.irs.length !== 2 || ears.irs.some((row) => row.length !== drivers)) {
    throw new RangeError(
      `Cannot render a binaural preview as the ear responses must be 2 ears x ${drivers} drivers (one per feed): current value is ${ears.irs.length} x ${
        ears.irs[0]?.length
      }`,
    );
  }
  const feedLength = feeds.channels[0]?.length ?? 0;
  const irLength = Math.max(...ears.irs.flatMap((row) => row.map((h) => h.length)));
  const length = feedLength + irLength - 1;
  const plan = realFftPlan(Math.max(4, nextPowerOfTwo(length)));
  const bins = plan.binCount;
  const F = feeds.channels.map((x) => plan.forward(x));
  const channels = ears.irs.map((row) => {
    const re = new Float64Array(bins), im = new Float64Array(bins);
    row.forEach((h, d) => {
      const H = plan.forward(h);
      const X = F[d]!;
      for (let k = 0; k < bins; k++) {
        const xr = X.re[k] as number, xi = X.im[k] as number;
        const hr = H.re[k] as number, hi = H.im[k] as number;
        re[k]! += xr * hr - xi * hi;
        im[k]! += xr * hi + xi * hr;
      }
    });
    return plan.inverse({ re, im }).slice(0, length);
  });
  return { sampleRate: feeds.sampleRate, channels };
}

/** Which input drives a driver on the bare device: by its id (see the module documentation). */
export function unprocessedRouting(driverId: string): "left" | "right" | "both" {
  const id = driverId.toLowerCase();
  if (id.includes("left") && !id.includes("right")) return "left";
  if (id.includes("right") && !id.includes("left")) return "right";
  return "both";
}

/**
 * Driver feeds of the bare device (no filters), for A/B against a bundle:
 * left/right to the drivers named so, `(left + right) / 2` to the others,
 * delayed by `bundle.latencySamples` and as long as `renderBundle`'s output.
 *
 * @param bundle The bundle (its drivers, taps and latency).
 * @param stereo Two channels at the bundle's sample rate.
 * @returns One channel per driver, `stereo length + taps − 1` samples.
 * @throws {RangeError} for a non-stereo input or another sample rate.
 */
export function unprocessedFeeds(
  bundle: RenderableBundle & { readonly latencySamples: number },
  stereo: Signal,
): Signal {
  if (stereo.channels.length !== 2 || stereo.sampleRate !== bundle.sampleRate) {
    throw new RangeError(
      `Cannot render the unprocessed device as the input must be stereo at ${bundle.sampleRate} Hz: it has ${stereo.channels.length} channels at ${stereo.sampleRate} Hz`,
    );
  }
  const [left, right] = stereo.channels as [Float64Array, Float64Array];
  const length = left.length + bundle.taps - 1;
  const delay = bundle.latencySamples;
  const channels = bundle.device.drivers.map((id) => {
    const route = unprocessedRouting(id);
    const out = new Float64Array(length);
    for (let n = 0; n < left.length && n + delay < length; n++) {
      out[n + delay] = route === "left"
        ? left[n]!
        : route === "right"
        ? right[n]!
        : 0.5 * (left[n]! + right[n]!);
    }
    return out;
  });
  return { sampleRate: bundle.sampleRate, channels };
}
