/**
 * Harmonic distortion from the harmonic impulse responses of a synchronized
 * sweep measurement (Novak et al. 2015 [1]; Farina 2000 [2]).
 *
 * The n-th harmonic impulse response h_n, transformed, gives at frequency
 * `n·f` the amplitude of the n-th harmonic produced by an excitation at `f`,
 * relative to the excitation amplitude. Hence
 * `THD(f) = sqrt(Σ_{n=2..K} |H_n(n·f)|²) / |H_1(f)|`, using the harmonics
 * with `n·f <= endHz·2^(-1/6)` (the top 1/6 octave holds the sweep's fade-out).
 *
 * References:
 * 1. A. Novak, P. Lotton, L. Simon, "Synchronized Swept-Sine: Theory,
 *    Application, and Implementation", J. Audio Eng. Soc. 63(10), 2015.
 * 2. A. Farina, "Simultaneous measurement of impulse response and distortion
 *    with a swept-sine technique", AES 108th Convention, 2000.
 *
 * @module
 */
import { nextPowerOfTwo, realFftPlan } from "../dsp/fft.ts";

/** Harmonics are used up to this fraction of endHz (1/6 octave below). */
const TOP_MARGIN = Math.pow(2, -1 / 6);

/** THD of one channel versus the excitation frequency. */
export interface HarmonicDistortion {
  /** Excitation frequencies in Hz (FFT bins with at least the 2nd harmonic in band). */
  readonly frequenciesHz: Float64Array;
  /** `|H_n(n·f)| / |H_1(f)|` per order: `levels[n-2][i]`, amplitude ratios. */
  readonly harmonicRatios: readonly Float64Array[];
  /** THD(f) in percent at each frequency. */
  readonly thdPercentByFrequency: Float64Array;
  /**
   * One figure: the THD power-averaged with equal weight per octave over the
   * excitation band [4·startHz, endHz·2^(-1/6)/2], in percent (the two octaves above
   * startHz are left out: the band edge's ringing is longer than the harmonic
   * windows and makes the estimate ripple there).
   */
  readonly thdPercent: number;
}

/** Options of {@linkcode harmonicDistortion}. */
export interface HarmonicDistortionOptions {
  /** Sample rate of the responses in Hz. */
  readonly sampleRate: number;
  /** The sweep's start frequency in Hz: the lowest excitation frequency reported. */
  readonly startHz: number;
  /** The sweep's end frequency in Hz: harmonics are used up to min(endHz, sampleRate / 2)·2^(-1/6). */
  readonly endHz: number;
  /** Samples before each harmonic IR's nominal arrival. */
  readonly preSamples: number;
  /** Samples of each response used (after the pre-samples). */
  readonly lengthSamples: number;
}

/**
 * THD versus frequency from a linear IR and the harmonic IRs of orders 2..K.
 *
 * Every response is cut with the same window: a half-Hann rise over the first
 * half of the pre-samples, flat, and a half-Hann fall over the last 10 %, so
 * that the band-limited pulses are treated alike whatever their order.
 *
 * @param linearIr The linear impulse response, starting `preSamples` before the excitation instant.
 * @param harmonicIrs The harmonic responses, order 2 first, each starting `preSamples` before its arrival.
 * @param options Frequencies and windows.
 * @returns THD per frequency and overall.
 */
export function harmonicDistortion(
  linearIr: Float64Array,
  harmonicIrs: readonly Float64Array[],
  options: HarmonicDistortionOptions,
): HarmonicDistortion {
  const { sampleRate, startHz, endHz, preSamples, lengthSamples } = options;
  if (harmonicIrs.length === 0 || lengthSamples <= 0) {
    return {
      frequenciesHz: new Float64Array(0),
      harmonicRatios: [],
      thdPercentByFrequency: new Float64Array(0),
      thdPercent: 0,
    };
  }
  const size = Math.max(4, nextPowerOfTwo(2 * (lengthSamples + preSamples)));
  const plan = realFftPlan(size);
  const total = lengthSamples + preSamples;
  const window = analysisWindow(total, Math.floor(preSamples / 2), Math.floor(total / 10));
  const cut = (h: Float64Array) => {
    const out = new Float64Array(total);
    for (let i = 0; i < Math.min(total, h.length); i++) out[i] = h[i]! * window[i]!;
    return out;
  };
  const H1 = plan.forward(cut(linearIr));
  const spectra = harmonicIrs.map((h) => plan.forward(cut(h)));
  const df = sampleRate / size;
  const kMin = Math.max(1, Math.ceil(startHz / df));
  const topHz = Math.min(endHz, sampleRate / 2) * TOP_MARGIN;
  const kMax = Math.floor(topHz / 2 / df);
  const count = Math.max(0, kMax - kMin + 1);
  const frequenciesHz = new Float64Array(count);
  const ratios = harmonicIrs.map(() => new Float64Array(count));
  const thd = new Float64Array(count);
  let weighted = 0, weights = 0;
  for (let i = 0; i < count; i++) {
    const k = kMin + i;
    const f = k * df;
    frequenciesHz[i] = f;
    const p1 = H1.re[k]! ** 2 + H1.im[k]! ** 2;
    let sum = 0;
    spectra.forEach((H, j) => {
      const n = j + 2;
      if (n * f > topHz || n * k >= plan.binCount) return;
      const pn = H.re[n * k]! ** 2 + H.im[n * k]! ** 2;
      ratios[j]![i] = Math.sqrt(pn / p1);
      sum += pn;
    });
    const ratio = p1 > 0 ? sum / p1 : 0;
    thd[i] = 100 * Math.sqrt(ratio);
    if (f >= 4 * startHz && f <= topHz / 2) {
      weighted += ratio / f; // equal weight per octave on a linear bin grid
      weights += 1 / f;
    }
  }
  const thdPercent = weights > 0 ? 100 * Math.sqrt(weighted / weights) : 0;
  return { frequenciesHz, harmonicRatios: ratios, thdPercentByFrequency: thd, thdPercent };
}

function analysisWindow(length: number, rise: number, fall: number): Float64Array {
  const w = new Float64Array(length).fill(1);
  for (let i = 0; i < rise; i++) w[i] = 0.5 - 0.5 * Math.cos((Math.PI * i) / rise);
  for (let i = 0; i < fall; i++) w[length - 1 - i] = 0.5 - 0.5 * Math.cos((Math.PI * i) / fall);
  return w;
}
