/**
 * Apply a filter bundle to stereo audio, exactly as DESIGN.md defines
 * rendering:
 *
 * ```text
 * inputs = upmix(stereo)                       (left, right, center; or left, right without upmix)
 * out_d  = Σ_i filters[i][d] * inputs_i        (* = linear convolution, one output per driver)
 * ```
 *
 * Outputs are `stereo length + taps − 1` samples long (the full linear
 * convolution) and delayed by the bundle's `latencySamples` plus the
 * acoustic path; nothing is normalized or clipped.
 *
 * @module
 */
import type { Signal } from "../dsp/signal.ts";
import { nextPowerOfTwo, realFftPlan } from "../dsp/fft.ts";
import { upmixStereo } from "../design/upmix.ts";
import type { BundleFilters, FilterBundleDraft } from "../calibrate/bundle.ts";

/** The parts of a bundle rendering needs. */
export type RenderableBundle = Pick<
  FilterBundleDraft,
  "sampleRate" | "taps" | "inputs" | "upmix" | "device"
>;

/**
 * Upmix a stereo signal into the bundle's inputs (left, right[, center]).
 *
 * @param bundle The bundle (its `upmix` parameters and `inputs`).
 * @param stereo Two channels at the bundle's sample rate.
 * @returns One channel per bundle input, in `bundle.inputs` order.
 * @throws {RangeError} for a signal that is not two channels or has another sample rate.
 */
export function bundleInputs(bundle: RenderableBundle, stereo: Signal): Float64Array[] {
  const action = "render bundle";
  if (stereo.channels.length !== 2) {
    throw new RangeError(
      `Cannot ${action} as the input must be stereo (2 channels): current value is ${stereo.channels.length}`,
    );
  }
  if (stereo.sampleRate !== bundle.sampleRate) {
    throw new RangeError(
      `Cannot ${action} as sample rates differ: the bundle has ${bundle.sampleRate} Hz, the input has ${stereo.sampleRate} Hz`,
    );
  }
  const [left, right] = stereo.channels as [Float64Array, Float64Array];
  if (bundle.upmix === undefined) return [left.slice(), right.slice()];
  const u = bundle.upmix as Record<string, unknown>;
  const up = upmixStereo(left, right, {
    sampleRate: bundle.sampleRate,
    ...(typeof u.frameSize === "number" ? { frameSize: u.frameSize } : {}),
    ...(typeof u.smoothingSeconds === "number" ? { smoothingSeconds: u.smoothingSeconds } : {}),
    ...(typeof u.panIndexHalfGain === "number" ? { panIndexHalfGain: u.panIndexHalfGain } : {}),
  });
  const byName: Record<string, Float64Array> = {
    left: up.left,
    right: up.right,
    center: up.center,
  };
  return bundle.inputs.map((name) => {
    const x = byName[name];
    if (!x) {
      throw new RangeError(
        `Cannot ${action} as input "${name}" is not an upmix output (left, right, center)`,
      );
    }
    return x;
  });
}

/**
 * Render stereo audio through a bundle: one output channel per driver
 * (`bundle.device.drivers` order).
 *
 * @param bundle The bundle.
 * @param filters `filters[input][driver]`, `taps` samples each.
 * @param stereo Two channels at the bundle's sample rate.
 * @returns The driver feeds, length `stereo length + taps − 1`.
 * @throws {RangeError} for a non-stereo input, mismatched sample rate, or missing filters.
 *
 * @example
 * ```ts ignore
 * import { readBundle } from "../calibrate/bundle.ts";
 * import { renderBundle } from "./render_bundle.ts";
 * const { bundle, filters } = await readBundle("bundles/u1");
 * const feeds = renderBundle(bundle, filters, { sampleRate: 48000, channels: [left, right] });
 * ```
 */
export function renderBundle(
  bundle: RenderableBundle,
  filters: BundleFilters,
  stereo: Signal,
): Signal {
  const inputs = bundleInputs(bundle, stereo);
  const length = (stereo.channels[0]?.length ?? 0) + bundle.taps - 1;
  const drivers = bundle.device.drivers.length;
  const size = Math.max(4, nextPowerOfTwo(length));
  const plan = realFftPlan(size);
  const bins = plan.binCount;
  const accRe = Array.from({ length: drivers }, () => new Float64Array(bins));
  const accIm = Array.from({ length: drivers }, () => new Float64Array(bins));
  bundle.inputs.forEach((name, i) => {
    const fs = filters[name];
    if (!fs || fs.length !== drivers) {
      throw new RangeError(
        `Cannot render bundle as filters.${name} must have one filter per driver (${drivers}): current value is ${fs?.length}`,
      );
    }
    const X = plan.forward(inputs[i]!);
    fs.forEach((h, d) => {
      const H = plan.forward(h);
      const re = accRe[d]!, im = accIm[d]!;
      for (let k = 0; k < bins; k++) {
        const xr = X.re[k] as number, xi = X.im[k] as number;
        const hr = H.re[k] as number, hi = H.im[k] as number;
        re[k]! += xr * hr - xi * hi;
        im[k]! += xr * hi + xi * hr;
      }
    });
  });
  const channels = accRe.map((re, d) => plan.inverse({ re, im: accIm[d]! }).slice(0, length));
  return { sampleRate: bundle.sampleRate, channels };
}
