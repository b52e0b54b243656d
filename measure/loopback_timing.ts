/**
 * Timing kernels of the lab backend (`openWebAudioDevice`), pure
 * functions of the played stimulus and the recorded loopback:
 * {@linkcode measureLatency} finds the round-trip latency as the lag of the
 * cross-correlation peak (Müller & Massarani 2001 [1]: a reference channel
 * recorded beside the measurement channel removes the converters' latency),
 * and {@linkcode findTimingFaults} finds the blocks that break the loop's time
 * invariance (a lost or repeated period).
 *
 * References:
 * 1. S. Müller, P. Massarani, "Transfer-function measurement with sweeps",
 *    J. Audio Eng. Soc. 49(6), 2001.
 *
 * @module
 */
import { nextPowerOfTwo, realFftPlan } from "../dsp/fft.ts";
import { fftConvolve } from "../dsp/convolve.ts";

/**
 * Cross-correlation `c[l] = Σ_i reference[i + l]·stimulus[i]` for lags
 * `l = 0..maxLag`, by FFT (zero-padded, so it equals the linear sum).
 */
export function crossCorrelation(
  reference: ArrayLike<number>,
  stimulus: ArrayLike<number>,
  maxLag: number,
): Float64Array {
  const size = nextPowerOfTwo(Math.max(4, reference.length + stimulus.length));
  const plan = realFftPlan(size);
  const r = plan.forward(reference);
  const s = plan.forward(stimulus);
  const re = new Float64Array(plan.binCount);
  const im = new Float64Array(plan.binCount);
  for (let k = 0; k < plan.binCount; k++) {
    // R·conj(S)
    const ar = r.re[k]!, ai = r.im[k]!, br = s.re[k]!, bi = s.im[k]!;
    re[k] = ar * br + ai * bi;
    im[k] = ai * br - ar * bi;
  }
  const full = plan.inverse({ re, im });
  return full.slice(0, maxLag + 1);
}

/** Result of {@linkcode measureLatency}. */
export interface LatencyEstimate {
  /** Lag of the largest |correlation| in samples. */
  readonly lagSamples: number;
  /** Peak correlation normalized by the stimulus and reference energies over the overlap (−1..1). */
  readonly normalizedPeak: number;
}

/**
 * Latency of `reference` (a loopback recording) behind `stimulus`: the lag of
 * the largest |cross-correlation| in `0..maxLag`.
 */
export function measureLatency(
  reference: ArrayLike<number>,
  stimulus: ArrayLike<number>,
  maxLag: number,
): LatencyEstimate {
  const c = crossCorrelation(reference, stimulus, maxLag);
  let best = 0;
  for (let l = 1; l < c.length; l++) if (Math.abs(c[l]!) > Math.abs(c[best]!)) best = l;
  let es = 0, er = 0;
  for (let i = 0; i < stimulus.length; i++) {
    const x = stimulus[i] as number;
    const y = (reference[i + best] as number | undefined) ?? 0;
    es += x * x;
    er += y * y;
  }
  const norm = Math.sqrt(es * er);
  return { lagSamples: best, normalizedPeak: norm > 0 ? c[best]! / norm : 0 };
}

/** Solve the symmetric positive-definite system `a·x = b` (row-major m×m) by Cholesky. */
function solveSymmetric(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * m + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * m + k]! * l[j * m + k]!;
      l[i * m + j] = i === j ? Math.sqrt(Math.max(sum, 1e-300)) : sum / l[j * m + j]!;
    }
  }
  const z = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * m + k]! * z[k]!;
    z[i] = sum / l[i * m + i]!;
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let sum = z[i]!;
    for (let k = i + 1; k < m; k++) sum -= l[k * m + i]! * x[k]!;
    x[i] = sum / l[i * m + i]!;
  }
  return x;
}

/** One block of the loopback that does not follow the stimulus. */
export interface TimingFault {
  /** First stimulus sample of the block. */
  readonly startSample: number;
  /** Energy of (loopback − loop model) over the larger of the two signals' energies in the block, dB. */
  readonly residualDb: number;
}

/**
 * Compare a loopback recording (already cut at the measured latency, so that
 * `aligned[i]` should follow `stimulus[i]`) with the stimulus, block by
 * block, and return the blocks that break a linear, time-invariant loop — the
 * marks of a lost, repeated or zeroed period (xrun).
 *
 * The loop is modelled as a short FIR `g` (taps at lags −`modelTaps`..
 * `modelTaps`), fitted once over the whole capture by least squares
 * (Wiener–Hopf normal equations `R·g = p` with the stimulus'
 * autocorrelation `R` and the loopback–stimulus cross-correlation `p`, plus
 * a 1e-9·R₀ ridge), so a gain, a fractional delay or converter filters are
 * part of the model, whatever the stimulus' band. A block fails when
 * `Σ(y − g∗x)² / max(Σy², Σ(g∗x)²)` exceeds `maxResidualDb`; blocks where
 * both are below 1e-4 of the mean block energy are skipped. A slipped period
 * leaves its blocks with a residual near 0 dB, a zeroed one at 0 dB; a
 * digital loop stays near −140 dB.
 *
 * @returns The failing blocks, in time order.
 */
export function findTimingFaults(
  aligned: ArrayLike<number>,
  stimulus: ArrayLike<number>,
  options: { blockSamples?: number; maxResidualDb?: number; modelTaps?: number } = {},
): TimingFault[] {
  const block = options.blockSamples ?? 2048;
  const maxResidual = Math.pow(10, (options.maxResidualDb ?? -20) / 10);
  const T = options.modelTaps ?? 32;
  const n = stimulus.length;
  const x = Float64Array.from(stimulus);
  const y = Float64Array.from({ length: n }, (_, i) => (aligned[i] as number | undefined) ?? 0);
  const rxx = crossCorrelation(x, x, 2 * T);
  const pPos = crossCorrelation(y, x, T); // p[m] = Σ y[j+m]·x[j]
  const pNeg = crossCorrelation(x, y, T); // p[-m] = Σ x[j+m]·y[j]
  const m = 2 * T + 1;
  const a = new Float64Array(m * m);
  const b = new Float64Array(m);
  const ridge = 1e-9 * rxx[0]! + 1e-300;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) a[i * m + j] = rxx[Math.abs(i - j)]! + (i === j ? ridge : 0);
    const lag = i - T;
    b[i] = lag >= 0 ? pPos[lag]! : pNeg[-lag]!;
  }
  const g = solveSymmetric(a, b, m);
  const full = fftConvolve(x, g); // full[i + T] = Σ_l g_l·x[i − l]
  const model = full.subarray(T, T + n);
  let total = 0;
  for (let i = 0; i < n; i++) total += y[i]! ** 2 + model[i]! ** 2;
  const meanBlockEnergy = total * block / Math.max(1, n);
  const faults: TimingFault[] = [];
  for (let start = 0; start < n; start += block) {
    let ey = 0, em = 0, er = 0;
    for (let i = start; i < Math.min(n, start + block); i++) {
      const v = y[i]!, w = model[i]!;
      ey += v * v;
      em += w * w;
      er += (v - w) * (v - w);
    }
    const reference = Math.max(ey, em);
    if (reference < 1e-4 * meanBlockEnergy) continue;
    if (er / reference > maxResidual) {
      faults.push({ startSample: start, residualDb: 10 * Math.log10(er / reference) });
    }
  }
  return faults;
}
