/**
 * Per-driver electro-acoustic response on an FFT grid, and the converter
 * anti-aliasing taper shared by every simulated path.
 *
 * @module
 */
import type { Spectrum } from "../dsp/fft.ts";
import { type Biquad, biquadResponse, designBiquad, frequencyResponse } from "../dsp/filters.ts";
import { dbToAmplitude } from "../dsp/db.ts";
import type { DriverModel } from "./device_model.ts";

/** Extra response options a defect adds. */
export interface ResponseExtras {
  /** Linear gain factor (sensitivity offset, polarity, dead = 0). */
  readonly gain?: number;
  /** Air-leak cut-off in Hz: an extra first-order high-pass. */
  readonly airLeakHz?: number;
  /** A narrow resonance: an extra peaking biquad (RBJ) at `hz`, quality `q`, `gainDb`. */
  readonly resonance?: { readonly hz: number; readonly q: number; readonly gainDb: number };
}

/**
 * Driver transfer function on `frequenciesHz`: sensitivity × 2nd-order
 * high-pass at the resonance (its Q) × 2nd-order low-pass × break-up peak
 * (RBJ biquads, `dsp/filters.ts`), × optional first-order air-leak high-pass
 * (bilinear transform of `s/(s + ω_L)`). Low-pass and peak are skipped when
 * their frequency is >= 0.49·sampleRate (no such filter at that rate).
 */
export function driverResponse(
  driver: DriverModel,
  frequenciesHz: Float64Array,
  sampleRate: number,
  extras: ResponseExtras = {},
): Spectrum {
  const r = driver.response;
  const limit = 0.49 * sampleRate;
  const sections: Biquad[] = [];
  sections.push(
    designBiquad({
      type: "highpass",
      frequencyHz: Math.min(r.resonanceHz, limit),
      sampleRate,
      q: r.resonanceQ,
    }),
  );
  if (r.lowPassHz < limit) {
    sections.push(
      designBiquad({ type: "lowpass", frequencyHz: r.lowPassHz, sampleRate, q: r.lowPassQ }),
    );
  }
  if (r.breakupHz < limit) {
    sections.push(
      designBiquad({
        type: "peaking",
        frequencyHz: r.breakupHz,
        sampleRate,
        q: r.breakupQ,
        gainDb: r.breakupGainDb,
      }),
    );
  }
  if (extras.resonance !== undefined && extras.resonance.hz < limit) {
    sections.push(
      designBiquad({
        type: "peaking",
        frequencyHz: extras.resonance.hz,
        sampleRate,
        q: extras.resonance.q,
        gainDb: extras.resonance.gainDb,
      }),
    );
  }
  const H = biquadResponse(sections, frequenciesHz, sampleRate);
  const gain = dbToAmplitude(driver.sensitivityDb) * (extras.gain ?? 1);
  let leak: Spectrum | undefined;
  if (extras.airLeakHz !== undefined && extras.airLeakHz > 0) {
    const K = Math.tan((Math.PI * Math.min(extras.airLeakHz, limit)) / sampleRate);
    leak = frequencyResponse(
      [1 / (1 + K), -1 / (1 + K)],
      [1, (K - 1) / (K + 1)],
      frequenciesHz,
      sampleRate,
    );
  }
  const re = new Float64Array(frequenciesHz.length);
  const im = new Float64Array(frequenciesHz.length);
  for (let k = 0; k < re.length; k++) {
    let hr = H.re[k]! * gain, hi = H.im[k]! * gain;
    if (leak) {
      const lr = leak.re[k]!, li = leak.im[k]!;
      const t = hr * lr - hi * li;
      hi = hr * li + hi * lr;
      hr = t;
    }
    re[k] = hr;
    im[k] = hi;
  }
  return { re, im };
}

/**
 * Fraction of Nyquist where the converters' anti-aliasing taper starts.
 * Above it the response falls smoothly (raised cosine) to zero at Nyquist,
 * as in a real DAC/ADC. Keeping every simulated path band-limited this way
 * makes fractional delays compact in time (no 1/n sinc tails that would
 * wrap around the FFT grid).
 */
export const ANTI_ALIAS_START = 0.88;

/** Raised-cosine taper from `ANTI_ALIAS_START`·Nyquist (1) to Nyquist (0). */
export function antiAliasTaper(frequenciesHz: Float64Array, sampleRate: number): Float64Array {
  const nyquist = sampleRate / 2;
  const start = ANTI_ALIAS_START * nyquist;
  const w = new Float64Array(frequenciesHz.length);
  for (let k = 0; k < w.length; k++) {
    const f = frequenciesHz[k]!;
    if (f <= start) w[k] = 1;
    else if (f >= nyquist) w[k] = 0;
    else w[k] = 0.5 * (1 + Math.cos((Math.PI * (f - start)) / (nyquist - start)));
  }
  return w;
}
