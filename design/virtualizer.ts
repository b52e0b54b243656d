/**
 * Stereo virtualizer: the article's parametric HRTF approximation of a
 * virtual loudspeaker at ±θ.
 *
 * Relative to the ipsilateral ear (an all-pass: identity here, so the tonal
 * balance of what that ear gets is unchanged), the contralateral ear receives
 * a delayed low-pass:
 *
 * ```text
 * V_ipsi(f)   = 1
 * V_contra(f) = e^{-j2πf·τ(θ)} · (1 + j·α_c·ω/(2ω₀)) / (1 + j·α_i·ω/(2ω₀)),  ω = 2πf, ω₀ = c/a
 * τ(θ)        = (a/c)·(θ + sin θ)                                  (Woodworth, θ in rad) [1]
 * α(φ)        = (1 + α_min/2) + (1 − α_min/2)·cos(φ/φ_min · 180°)  (Brown & Duda) [2]
 * α_i = α(90° − θ), α_c = α(90° + θ), α_min = 0.1, φ_min = 150°
 * ```
 *
 * φ is the angle between the source and the ear's outward axis. The ratio of
 * the two one-pole/one-zero head-shadow filters of [2] is a low shelf that
 * is 0 dB at DC and `20·log10(α_c/α_i)` at high frequencies (−13.6 dB at
 * θ = 30°), with corner 2ω₀/α_i (≈ 0.93 kHz at 30°); the delay is the
 * interaural time difference (261 µs at 30° for a = 8.75 cm).
 *
 * References:
 * 1. R. S. Woodworth, H. Schlosberg, "Experimental Psychology", 1954 (ITD of a rigid sphere).
 * 2. C. P. Brown, R. O. Duda, "A structural model for binaural sound synthesis",
 *    IEEE Trans. Speech Audio Process. 6(5), 1998, eq. (5)–(6).
 * 3. R. O. Duda, W. L. Martens, "Range dependence of the response of a spherical
 *    head model", J. Acoust. Soc. Am. 104(5), 1998.
 *
 * @module
 */
import type { Spectrum } from "../dsp/fft.ts";
import { binFrequencies } from "../dsp/fft.ts";
import { SPEED_OF_SOUND_MPS } from "../dsp/constants.ts";
import type { FrequencyGrid } from "./transfer_matrix.ts";

/** Average adult head radius in meters (Brown & Duda 1998 use 8.75 cm). */
export const HEAD_RADIUS_METERS = 0.0875;

/** Options of {@linkcode designVirtualizer}. */
export interface VirtualizerOptions {
  /** Virtual speaker angle θ in degrees off the median plane, 0..90 (default 30: a ±30° stereo pair). */
  readonly angleDeg?: number;
  /** Head radius a in meters, > 0 (default {@linkcode HEAD_RADIUS_METERS}). */
  readonly headRadiusMeters?: number;
  /** Speed of sound c in m/s, > 0 (default {@linkcode SPEED_OF_SOUND_MPS}). */
  readonly speedOfSoundMps?: number;
}

/** The relative ear responses of one virtual speaker on a frequency grid. */
export interface VirtualizerResponses {
  /** Bin frequencies in Hz. */
  readonly frequenciesHz: Float64Array;
  /** Ipsilateral ear response (all-pass: unity). */
  readonly ipsilateral: Spectrum;
  /** Contralateral ear response (delayed head-shadow low shelf). */
  readonly contralateral: Spectrum;
  /** Interaural time difference τ in seconds. */
  readonly itdSeconds: number;
  /** High-frequency gain of the contralateral shelf, 20·log10(α_c/α_i), in dB (≤ 0). */
  readonly shadowDepthDb: number;
  /** Corner frequency of the shelf (its pole, 2ω₀/α_i / 2π) in Hz. */
  readonly shadowCornerHz: number;
  /** The parameters used (for a bundle's `design` field). */
  readonly parameters: {
    readonly angleDeg: number;
    readonly headRadiusMeters: number;
    readonly speedOfSoundMps: number;
  };
}

/** Woodworth's interaural time difference (a/c)(θ + sin θ) in seconds, θ in degrees (0..90). */
export function woodworthItdSeconds(
  angleDeg: number,
  headRadiusMeters = HEAD_RADIUS_METERS,
  speedOfSoundMps = SPEED_OF_SOUND_MPS,
): number {
  const theta = (angleDeg * Math.PI) / 180;
  return (headRadiusMeters / speedOfSoundMps) * (theta + Math.sin(theta)); // [1]
}

/** Brown & Duda's head-shadow coefficient α(φ) for incidence φ degrees off the ear axis [2, eq. 6]. */
export function headShadowAlpha(incidenceDeg: number): number {
  const alphaMin = 0.1, phiMinDeg = 150;
  return (1 + alphaMin / 2) + (1 - alphaMin / 2) * Math.cos((incidenceDeg / phiMinDeg) * Math.PI);
}

/**
 * Design the virtual-speaker ear responses on a frequency grid.
 *
 * @param grid Frequency grid (`sampleRate` Hz, `fftSize`).
 * @param options Angle, head radius and speed of sound.
 * @returns Ipsilateral (unity) and contralateral (delayed low shelf) spectra and their parameters.
 * @throws {RangeError} for an angle outside 0..90°, a non-positive radius or speed of sound.
 *
 * @example
 * ```ts
 * import { designVirtualizer } from "./virtualizer.ts";
 * const v = designVirtualizer({ sampleRate: 48000, fftSize: 1024 });
 * console.log(v.itdSeconds.toFixed(6)); // "0.000261"
 * ```
 */
export function designVirtualizer(
  grid: FrequencyGrid,
  options: VirtualizerOptions = {},
): VirtualizerResponses {
  const action = "design virtualizer";
  const angleDeg = options.angleDeg ?? 30;
  const a = options.headRadiusMeters ?? HEAD_RADIUS_METERS;
  const c = options.speedOfSoundMps ?? SPEED_OF_SOUND_MPS;
  if (!Number.isFinite(angleDeg) || angleDeg < 0 || angleDeg > 90) {
    throw new RangeError(
      `Cannot ${action} as angleDeg must be within 0..90: current value is ${angleDeg}`,
    );
  }
  if (!Number.isFinite(a) || a <= 0) {
    throw new RangeError(
      `Cannot ${action} as headRadiusMeters must be > 0: current value is ${a}`,
    );
  }
  if (!Number.isFinite(c) || c <= 0) {
    throw new RangeError(`Cannot ${action} as speedOfSoundMps must be > 0: current value is ${c}`);
  }
  if (!Number.isInteger(grid.fftSize) || grid.fftSize < 4 || !(grid.sampleRate > 0)) {
    throw new RangeError(
      `Cannot ${action} as the grid needs fftSize >= 4 and sampleRate > 0: current values are ${grid.fftSize} and ${grid.sampleRate}`,
    );
  }
  const f = binFrequencies(grid.fftSize, grid.sampleRate);
  const tau = woodworthItdSeconds(angleDeg, a, c);
  const alphaI = headShadowAlpha(90 - angleDeg);
  const alphaC = headShadowAlpha(90 + angleDeg);
  const w0 = c / a;
  const ipsi = { re: new Float64Array(f.length).fill(1), im: new Float64Array(f.length) };
  const contra = { re: new Float64Array(f.length), im: new Float64Array(f.length) };
  for (let k = 0; k < f.length; k++) {
    const w = 2 * Math.PI * (f[k] as number);
    // Shelf (1 + j·αc·w/2w0) / (1 + j·αi·w/2w0) [2, eq. 5], ratio of contra to ipsi.
    const nr = 1, ni = (alphaC * w) / (2 * w0);
    const dr = 1, di = (alphaI * w) / (2 * w0);
    const dd = dr * dr + di * di;
    const sr = (nr * dr + ni * di) / dd, si = (ni * dr - nr * di) / dd;
    const pr = Math.cos(w * tau), pi = -Math.sin(w * tau);
    contra.re[k] = sr * pr - si * pi;
    contra.im[k] = sr * pi + si * pr;
  }
  return {
    frequenciesHz: f,
    ipsilateral: ipsi,
    contralateral: contra,
    itdSeconds: tau,
    shadowDepthDb: 20 * Math.log10(alphaC / alphaI),
    shadowCornerHz: (2 * w0) / alphaI / (2 * Math.PI),
    parameters: { angleDeg, headRadiusMeters: a, speedOfSoundMps: c },
  };
}
