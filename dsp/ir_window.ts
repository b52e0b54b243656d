/**
 * Impulse-response onsets, gates and windows: finding the direct sound,
 * cutting a response to the part that matters (before the first reflection,
 * or before the noise), with half-Hann fades so the cut adds no ringing.
 *
 * @module
 */

/**
 * Index of the first sample whose magnitude reaches `fraction` of the peak
 * (default 0.5, i.e. −6 dB: the arrival of the direct sound), or `Infinity`
 * for an all-zero response.
 *
 * @example
 * ```ts
 * import { arrivalSamples } from "./ir_window.ts";
 * arrivalSamples([0, 0, 0.1, 1, 0.3]); // 3
 * ```
 */
export function arrivalSamples(ir: ArrayLike<number>, fraction = 0.5): number {
  if (!(fraction > 0 && fraction <= 1)) {
    throw new RangeError(
      `Cannot find arrival as fraction must be in (0, 1]: current value is ${fraction}`,
    );
  }
  let peak = 0;
  for (let n = 0; n < ir.length; n++) peak = Math.max(peak, Math.abs(ir[n] as number));
  if (peak === 0) return Infinity;
  for (let n = 0; n < ir.length; n++) if (Math.abs(ir[n] as number) >= fraction * peak) return n;
  return Infinity;
}

/**
 * A gate of `endSamples` samples: ones, then a half-Hann fade-out over the
 * last `fadeSamples` that reaches zero just after the end,
 * `w[end − fade + i] = (1 + cos(π(i + ½)/fade)) / 2`.
 */
export function gateWindow(endSamples: number, fadeSamples: number): Float64Array {
  if (!Number.isInteger(endSamples) || endSamples < 0) {
    throw new RangeError(
      `Cannot make gate as endSamples must be an integer >= 0: current value is ${endSamples}`,
    );
  }
  if (!Number.isInteger(fadeSamples) || fadeSamples < 0) {
    throw new RangeError(
      `Cannot make gate as fadeSamples must be an integer >= 0: current value is ${fadeSamples}`,
    );
  }
  const w = new Float64Array(endSamples).fill(1);
  const fade = Math.min(fadeSamples, endSamples);
  for (let i = 0; i < fade; i++) {
    w[endSamples - fade + i] = 0.5 * (1 + Math.cos((Math.PI * (i + 0.5)) / fade));
  }
  return w;
}

/** Options of {@linkcode windowImpulseResponse}. */
export interface IrWindowOptions {
  /** First sample kept (default 0). */
  readonly startSamples?: number;
  /** Samples kept from `startSamples` (the result's length). */
  readonly lengthSamples: number;
  /** Half-Hann fade-in at the start (default 0). */
  readonly fadeInSamples?: number;
  /** Half-Hann fade-out at the end (default lengthSamples / 8). */
  readonly fadeOutSamples?: number;
}

/**
 * Window and truncate an impulse response: keep `lengthSamples` samples from
 * `startSamples` (zero-padded past the end), with half-Hann fades in and out.
 *
 * @param ir The response.
 * @param options Where to cut and how to fade.
 * @returns A new array of `lengthSamples` samples.
 * @throws {RangeError} for negative or non-integer lengths and fades longer than the window.
 *
 * @example
 * ```ts
 * import { windowImpulseResponse } from "./ir_window.ts";
 * const h = windowImpulseResponse(new Float64Array(48000).fill(1), { lengthSamples: 4800, fadeOutSamples: 480 });
 * console.log(h.length, h[0], h[4799] < 0.01); // 4800 1 true
 * ```
 */
export function windowImpulseResponse(
  ir: ArrayLike<number>,
  options: IrWindowOptions,
): Float64Array {
  const { startSamples = 0, lengthSamples } = options;
  const fadeIn = options.fadeInSamples ?? 0;
  const fadeOut = options.fadeOutSamples ?? Math.floor(lengthSamples / 8);
  for (
    const [name, value] of [["startSamples", startSamples], [
      "lengthSamples",
      lengthSamples,
    ]] as const
  ) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(
        `Cannot window impulse response as ${name} must be an integer >= 0: current value is ${value}`,
      );
    }
  }
  for (const [name, value] of [["fadeInSamples", fadeIn], ["fadeOutSamples", fadeOut]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > lengthSamples) {
      throw new RangeError(
        `Cannot window impulse response as ${name} must be an integer within 0..lengthSamples (${lengthSamples}): current value is ${value}`,
      );
    }
  }
  const w = gateWindow(lengthSamples, fadeOut);
  for (let i = 0; i < fadeIn; i++) w[i]! *= 0.5 * (1 - Math.cos((Math.PI * (i + 0.5)) / fadeIn));
  const out = new Float64Array(lengthSamples);
  const n = Math.max(0, Math.min(lengthSamples, ir.length - startSamples));
  for (let i = 0; i < n; i++) out[i] = (ir[startSamples + i] as number) * w[i]!;
  return out;
}
