/**
 * Stereo → left, right, center upmix by a regularized mid/side projection in
 * the STFT domain.
 *
 * With M = (L + R)/2 (mid) and S = (L − R)/2 (side) per STFT bin, and the
 * recursively smoothed statistics P_MM = ⟨|M|²⟩, P_SS = ⟨|S|²⟩,
 * C_MS = ⟨M·S*⟩ (time constant `smoothingSeconds`):
 *
 * ```text
 * α  = C_MS / (P_SS + ε·P_MM),   ε = panIndexHalfGain²
 * γ  = clamp(Re⟨L·R*⟩ / P_MM, 0, 1)
 * C  = γ·(M − α·S)               (center: mid with its side-correlated part removed)
 * L' = L − C,  R' = R − C        (so L' + C = L and R' + C = R exactly)
 * ```
 *
 * With ε → 0, M − α·S is the part of the mid that is uncorrelated with
 * L − R (the article's "center minimally correlated with left-minus-right in
 * the mid/side decomposition"); ε > 0 regularizes it: for a single source
 * with panning index r = |L − R|/|L + R| it keeps the share ε/(r² + ε) of the
 * mid (1 for mono, ½ at r = `panIndexHalfGain`, default 0.15 = 2.6 dB level
 * difference). The projection alone would also send the mid of *uncorrelated*
 * left/right content (ambience, independent instruments) to the center, since
 * that mid is uncorrelated with the side too; γ, the Wiener gain of the
 * inter-channel common part (Re⟨L·R*⟩ is the power of what L and R share),
 * keeps only coherent content: γ = 1 for mono, 1 − r² for a single panned
 * source, 0 for a hard-panned source or uncorrelated channels. So a mono
 * source goes wholly to the center and a hard-panned source stays wholly in
 * its side channel.
 *
 * The STFT uses a periodic √Hann window for analysis and synthesis with
 * hop = frameSize/4 (the squared window overlap-adds to exactly 2, divided
 * out), so with no modification the transform reconstructs its input to
 * round-off, and the three outputs always sum back: L' + C = L, R' + C = R.
 * The processing latency is 0 samples (the outputs are aligned with the
 * input; the algorithm is offline).
 *
 * References:
 * 1. C. Avendano, J.-M. Jot, "A frequency-domain approach to multichannel
 *    upmix", J. Audio Eng. Soc. 52(7/8), 2004 (inter-channel similarity and
 *    panning index).
 * 2. J. B. Allen, "Short term spectral analysis, synthesis, and modification
 *    by discrete Fourier transform", IEEE Trans. ASSP 25(3), 1977 (overlap-add).
 *
 * @module
 */
import { isPowerOfTwo, realFftPlan } from "../dsp/fft.ts";

/** Parameters of the upmix; stored verbatim as a bundle's `upmix` field. */
export interface UpmixParameters {
  /** Always "mid-side-projection". */
  readonly method: "mid-side-projection";
  /** STFT frame size in samples (power of two ≥ 64; default 2048). */
  readonly frameSize: number;
  /** STFT hop in samples (frameSize/4). */
  readonly hopSize: number;
  /** Analysis/synthesis window. */
  readonly window: "sqrt-hann";
  /** Time constant of the recursive averaging of the statistics in seconds (≥ 0; default 0.05). */
  readonly smoothingSeconds: number;
  /** Panning index at which a source is split half/half between center and side (0..1; default 0.15). */
  readonly panIndexHalfGain: number;
}

/** Options of {@linkcode upmixStereo}. */
export interface UpmixOptions {
  /** Sample rate in Hz (> 0). */
  readonly sampleRate: number;
  /** STFT frame size (default 2048). */
  readonly frameSize?: number;
  /** Smoothing time constant in seconds (default 0.05). */
  readonly smoothingSeconds?: number;
  /** Panning index of half center share (default 0.15). */
  readonly panIndexHalfGain?: number;
}

/** Upmixed channels. */
export interface UpmixResult {
  /** Left output L' = L − C. */
  readonly left: Float64Array;
  /** Right output R' = R − C. */
  readonly right: Float64Array;
  /** Center output C. */
  readonly center: Float64Array;
  /** The parameters used (the bundle's `upmix` field). */
  readonly parameters: UpmixParameters;
}

/**
 * Resolve and validate upmix parameters (for a bundle's `upmix` field).
 *
 * @throws {RangeError} for a frame size that is not a power of two ≥ 64, a negative smoothing
 *   time or a panning index outside (0, 1].
 */
export function upmixParameters(options: Omit<UpmixOptions, "sampleRate"> = {}): UpmixParameters {
  const action = "upmix stereo";
  const frameSize = options.frameSize ?? 2048;
  const smoothingSeconds = options.smoothingSeconds ?? 0.05;
  const panIndexHalfGain = options.panIndexHalfGain ?? 0.15;
  if (!isPowerOfTwo(frameSize) || frameSize < 64) {
    throw new RangeError(
      `Cannot ${action} as frameSize must be a power of two >= 64: current value is ${
        JSON.stringify(frameSize)
      }`,
    );
  }
  if (!Number.isFinite(smoothingSeconds) || smoothingSeconds < 0) {
    throw new RangeError(
      `Cannot ${action} as smoothingSeconds must be >= 0: current value is ${smoothingSeconds}`,
    );
  }
  if (!(panIndexHalfGain > 0 && panIndexHalfGain <= 1)) {
    throw new RangeError(
      `Cannot ${action} as panIndexHalfGain must be within (0, 1]: current value is ${panIndexHalfGain}`,
    );
  }
  return {
    method: "mid-side-projection",
    frameSize,
    hopSize: frameSize / 4,
    window: "sqrt-hann",
    smoothingSeconds,
    panIndexHalfGain,
  };
}

/**
 * Upmix a stereo signal to left, right and center (see the module
 * documentation for the method). Outputs have the input's length and satisfy
 * left + center = input left and right + center = input right to round-off.
 *
 * @param left Left input samples (finite).
 * @param right Right input samples, same length.
 * @param options Sample rate and method parameters.
 * @returns The three channels and the parameters used.
 * @throws {RangeError} for inputs of different lengths, non-finite samples, or bad parameters.
 *
 * @example
 * ```ts
 * import { upmixStereo } from "./upmix.ts";
 * const x = Float64Array.from({ length: 4800 }, (_, n) => Math.sin(n / 10));
 * const { center } = upmixStereo(x, x, { sampleRate: 48000 }); // mono: center ≈ x
 * ```
 */
export function upmixStereo(
  left: ArrayLike<number>,
  right: ArrayLike<number>,
  options: UpmixOptions,
): UpmixResult {
  const action = "upmix stereo";
  if (left.length !== right.length) {
    throw new RangeError(
      `Cannot ${action} as left and right must have the same length: left has ${left.length}, right has ${right.length}`,
    );
  }
  if (!(options.sampleRate > 0) || !Number.isFinite(options.sampleRate)) {
    throw new RangeError(
      `Cannot ${action} as sampleRate must be a positive number of Hz: current value is ${options.sampleRate}`,
    );
  }
  for (const [name, x] of [["left", left], ["right", right]] as const) {
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i] as number)) {
        throw new RangeError(
          `Cannot ${action} as samples must be finite: ${name} sample ${i} is ${x[i]}`,
        );
      }
    }
  }
  const params = upmixParameters(options);
  const N = params.frameSize, H = params.hopSize;
  const length = left.length;
  const plan = realFftPlan(N);
  const bins = plan.binCount;
  // Pad N zeros at both ends so every input sample is covered by all N/H frames.
  const padded = length + 2 * N;
  const frames = Math.floor((padded - N) / H) + 1;
  const total = (frames - 1) * H + N;
  const xl = new Float64Array(total), xr = new Float64Array(total);
  for (let i = 0; i < length; i++) {
    xl[N + i] = left[i] as number;
    xr[N + i] = right[i] as number;
  }
  const win = new Float64Array(N);
  for (let n = 0; n < N; n++) win[n] = Math.sqrt(0.5 * (1 - Math.cos((2 * Math.PI * n) / N)));
  // Periodic Hann at hop N/4 overlap-adds to 2: synthesis divides by it.
  const olaGain = 0.5;
  const lambda = params.smoothingSeconds > 0
    ? Math.exp(-H / (params.smoothingSeconds * options.sampleRate))
    : 0;
  const eps = params.panIndexHalfGain ** 2;
  const pmm = new Float64Array(bins), pss = new Float64Array(bins);
  const cRe = new Float64Array(bins), cIm = new Float64Array(bins);
  const plr = new Float64Array(bins);
  const yl = new Float64Array(total), yr = new Float64Array(total), yc = new Float64Array(total);
  const fl = new Float64Array(N), fr = new Float64Array(N);
  const oL = { re: new Float64Array(bins), im: new Float64Array(bins) };
  const oR = { re: new Float64Array(bins), im: new Float64Array(bins) };
  const oC = { re: new Float64Array(bins), im: new Float64Array(bins) };
  for (let t = 0; t < frames; t++) {
    const start = t * H;
    for (let n = 0; n < N; n++) {
      fl[n] = (xl[start + n] as number) * (win[n] as number);
      fr[n] = (xr[start + n] as number) * (win[n] as number);
    }
    const L = plan.forward(fl), R = plan.forward(fr);
    for (let k = 0; k < bins; k++) {
      const lr = L.re[k] as number, li = L.im[k] as number;
      const rr = R.re[k] as number, ri = R.im[k] as number;
      const mr = 0.5 * (lr + rr), mi = 0.5 * (li + ri);
      const sr = 0.5 * (lr - rr), si = 0.5 * (li - ri);
      // Recursive averages of |M|², |S|², M·S* and Re(L·R*) [1].
      pmm[k] = lambda * (pmm[k] as number) + (1 - lambda) * (mr * mr + mi * mi);
      pss[k] = lambda * (pss[k] as number) + (1 - lambda) * (sr * sr + si * si);
      cRe[k] = lambda * (cRe[k] as number) + (1 - lambda) * (mr * sr + mi * si);
      cIm[k] = lambda * (cIm[k] as number) + (1 - lambda) * (mi * sr - mr * si);
      plr[k] = lambda * (plr[k] as number) + (1 - lambda) * (lr * rr + li * ri);
      const den = (pss[k] as number) + eps * (pmm[k] as number);
      let ar = 0, ai = 0;
      if (den > 0) {
        ar = (cRe[k] as number) / den;
        ai = (cIm[k] as number) / den;
      }
      const p = pmm[k] as number;
      const gamma = p > 0 ? Math.min(1, Math.max(0, (plr[k] as number) / p)) : 0;
      const cr = gamma * (mr - (ar * sr - ai * si)), ci = gamma * (mi - (ar * si + ai * sr));
      oC.re[k] = cr;
      oC.im[k] = ci;
      oL.re[k] = lr - cr;
      oL.im[k] = li - ci;
      oR.re[k] = rr - cr;
      oR.im[k] = ri - ci;
    }
    const tl = plan.inverse(oL), tr = plan.inverse(oR), tc = plan.inverse(oC);
    for (let n = 0; n < N; n++) {
      const w = (win[n] as number) * olaGain;
      yl[start + n]! += (tl[n] as number) * w;
      yr[start + n]! += (tr[n] as number) * w;
      yc[start + n]! += (tc[n] as number) * w;
    }
  }
  return {
    left: yl.slice(N, N + length),
    right: yr.slice(N, N + length),
    center: yc.slice(N, N + length),
    parameters: params,
  };
}
