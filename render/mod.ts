/**
 * Apply filter bundles to audio (DESIGN.md "Filter bundle": rendering).
 *
 * Conventions: stereo in, one channel per driver out (`bundle.device.drivers`
 * order); `inputs = upmix(stereo)`, `out_d = Σ_i filters[i][d] * inputs_i`
 * (linear convolution); outputs are `length + taps − 1` samples, not
 * normalized or clipped.
 *
 * @example
 * ```ts ignore
 * import { readBundle } from "../calibrate/bundle.ts";
 * import { renderBundle } from "./mod.ts";
 * const { bundle, filters } = await readBundle("bundles/u1");
 * const x = new Float64Array(48000).map((_, n) => Math.sin(n / 10));
 * const feeds = renderBundle(bundle, filters, { sampleRate: 48000, channels: [x, x] });
 * console.log(feeds.channels.length); // one per driver
 * ```
 *
 * @module
 */
export * from "./render_bundle.ts";
export * from "./export.ts";
export * from "./binaural_preview.ts";
