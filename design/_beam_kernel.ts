/**
 * Kernel of the beamformer design for one frequency bin: a weighted,
 * diagonally loaded least-squares fit of a desired arc pattern under a hard
 * on-axis (distortionless) constraint, with the loading chosen by bisection
 * so that the drive effort meets a limit. No validation here: the wrapper
 * in `beamformer.ts` checks its inputs.
 *
 * ```text
 * minimize  Σ_r q_r·|a_r·w − s_r·d₀|² + λ‖w‖²   subject to  c·w = d₀  (c = on-axis row)
 * R = AᴴQA + λI,  u = R⁻¹AᴴQ(s·d₀),  v = R⁻¹cᴴ
 * w = u − v·(c·u − d₀)/(c·v)                      (Lagrange; Van Veen & Buckley 1988, LCMV)
 * ```
 *
 * With the on-axis response fixed, ‖w‖² ≤ E_max is exactly the white noise
 * gain floor, and as λ → ∞ w tends to the matched filter cᴴd₀/‖c‖² (maximum
 * white noise gain), so a feasible λ exists whenever the floor is below
 * 10·log10(N).
 *
 * @module
 */
import { luSolveInPlace } from "../dsp/complex_linalg.ts";

/** Scratch buffers for {@linkcode solveBeamBin}, sized for n drivers. */
export interface BeamScratch {
  readonly gRe: Float64Array;
  readonly gIm: Float64Array;
  readonly mRe: Float64Array;
  readonly mIm: Float64Array;
  readonly rRe: Float64Array;
  readonly rIm: Float64Array;
  readonly xRe: Float64Array;
  readonly xIm: Float64Array;
}

/** Allocate scratch buffers for n drivers. */
export function beamScratch(n: number): BeamScratch {
  return {
    gRe: new Float64Array(n * n),
    gIm: new Float64Array(n * n),
    mRe: new Float64Array(n * n),
    mIm: new Float64Array(n * n),
    rRe: new Float64Array(n * 2),
    rIm: new Float64Array(n * 2),
    xRe: new Float64Array(n * 2),
    xIm: new Float64Array(n * 2),
  };
}

/** One bin's problem: rows × n plant (row-major views) and the fit's weights. */
export interface BeamBin {
  readonly n: number;
  readonly rows: number;
  readonly aRe: Float64Array;
  readonly aIm: Float64Array;
  /** Row of the on-axis direction (the hard constraint). */
  readonly on: number;
  readonly d0Re: number;
  readonly d0Im: number;
  /** LS weight per row (null rows excluded: they get `nullWeight`). */
  readonly q: Float64Array;
  /** Desired shape per row (1 = d₀, 0 = silence). */
  readonly shape: Float64Array;
  /** 1 for rows in a null sector. */
  readonly isNull: Uint8Array;
  /** Drive-effort limit E_max. */
  readonly effortLimit: number;
}

/**
 * Solve one bin for a given null weight; writes w into `outRe`/`outIm`.
 *
 * @returns The loading λ used (0 when no loading was needed).
 */
export function solveBeamBin(
  bin: BeamBin,
  nullWeight: number,
  s: BeamScratch,
  outRe: Float64Array,
  outIm: Float64Array,
): number {
  const { n, rows, aRe, aIm, on } = bin;
  const { gRe, gIm, mRe, mIm, rRe, rIm, xRe, xIm } = s;
  gRe.fill(0);
  gIm.fill(0);
  rRe.fill(0);
  rIm.fill(0);
  for (let r = 0; r < rows; r++) {
    const qr = bin.isNull[r] ? nullWeight : bin.q[r] as number;
    if (qr === 0) continue;
    const sh = bin.shape[r] as number;
    for (let i = 0; i < n; i++) {
      const ar = aRe[r * n + i] as number, ai = aIm[r * n + i] as number;
      for (let j = i; j < n; j++) {
        const br = aRe[r * n + j] as number, bi = aIm[r * n + j] as number;
        gRe[i * n + j]! += qr * (ar * br + ai * bi);
        gIm[i * n + j]! += qr * (ar * bi - ai * br);
      }
      if (sh !== 0) {
        // Column 0 of the right-hand side: AᴴQ(s·d₀).
        rRe[i * 2]! += qr * sh * (ar * bin.d0Re + ai * bin.d0Im);
        rIm[i * 2]! += qr * sh * (ar * bin.d0Im - ai * bin.d0Re);
      }
    }
  }
  let trace = 0;
  for (let i = 0; i < n; i++) {
    trace += gRe[i * n + i] as number;
    for (let j = 0; j < i; j++) {
      gRe[i * n + j] = gRe[j * n + i] as number;
      gIm[i * n + j] = -(gIm[j * n + i] as number);
    }
    // Column 1: cᴴ.
    rRe[i * 2 + 1] = aRe[on * n + i] as number;
    rIm[i * 2 + 1] = -(aIm[on * n + i] as number);
  }
  let cc = 0;
  for (let i = 0; i < n; i++) {
    cc += (aRe[on * n + i] as number) ** 2 + (aIm[on * n + i] as number) ** 2;
  }
  const scale = Math.max(trace, cc) / n;
  const solveAt = (lambda: number): number => {
    mRe.set(gRe);
    mIm.set(gIm);
    for (let i = 0; i < n; i++) mRe[i * n + i]! += lambda;
    xRe.set(rRe);
    xIm.set(rIm);
    luSolveInPlace(n, 2, mRe, mIm, xRe, xIm); // λ > 0: Hermitian positive definite
    // c·u and c·v
    let cuR = 0, cuI = 0, cvR = 0, cvI = 0;
    for (let i = 0; i < n; i++) {
      const cr = aRe[on * n + i] as number, ci = aIm[on * n + i] as number;
      const ur = xRe[i * 2] as number, ui = xIm[i * 2] as number;
      const vr = xRe[i * 2 + 1] as number, vi = xIm[i * 2 + 1] as number;
      cuR += cr * ur - ci * ui;
      cuI += cr * ui + ci * ur;
      cvR += cr * vr - ci * vi;
      cvI += cr * vi + ci * vr;
    }
    // μ = (c·u − d₀)/(c·v)
    const nr = cuR - bin.d0Re, ni = cuI - bin.d0Im;
    const den = cvR * cvR + cvI * cvI;
    const muR = (nr * cvR + ni * cvI) / den, muI = (ni * cvR - nr * cvI) / den;
    let e = 0;
    for (let i = 0; i < n; i++) {
      const vr = xRe[i * 2 + 1] as number, vi = xIm[i * 2 + 1] as number;
      const wr = (xRe[i * 2] as number) - (vr * muR - vi * muI);
      const wi = (xIm[i * 2] as number) - (vr * muI + vi * muR);
      outRe[i] = wr;
      outIm[i] = wi;
      e += wr * wr + wi * wi;
    }
    return e;
  };
  // Smallest loading meeting ‖w‖² ≤ E_max, by bisection in log λ (Cox et al. 1987).
  let lo = 1e-9 * scale, hi = 1e6 * scale;
  if (solveAt(lo) <= bin.effortLimit) return lo;
  for (let it = 0; it < 60 && hi / lo > 1.01; it++) {
    const mid = Math.sqrt(lo * hi);
    if (solveAt(mid) > bin.effortLimit) lo = mid;
    else hi = mid;
  }
  solveAt(hi);
  return hi;
}
