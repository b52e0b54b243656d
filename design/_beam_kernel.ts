/**
 * Kernel of the beamformer design for one frequency bin: the minimax
 * (Chebyshev) design of the arc response under a hard on-axis constraint
 * and a hard drive-effort (white-noise-gain) limit, solved to optimality as
 * a small second-order cone program by a log-barrier interior-point method
 * (Boyd & Vandenberghe 2004, ch. 11 [1]; the minimax beam as an SOCP after
 * Lebret & Boyd 1997 [2]). No validation here: the wrapper in
 * `beamformer.ts` checks its inputs.
 *
 * ```text
 * minimize t   over w ∈ ℂⁿ, t > 0
 * subject to   a₀·w = d₀                                   (on-axis response, hard)
 *              |a_r·w − p_r| ≤ t·ρ_r      for every constraint row r
 *              ‖w‖² ≤ E_max                                (white-noise-gain floor, hard)
 * ```
 *
 * A row is a main-lobe direction (p_r = |d₀|·e^{jφ_r}, ρ_r = ε·|d₀|) or a
 * null (p_r = 0, ρ_r = ν·|d₀|), so t ≤ 1 means every row meets its
 * tolerance and t is the worst row's share of its tolerance. The on-axis
 * constraint is removed by w = w₀ + N·z (w₀ = a₀ᴴd₀/‖a₀‖², N an orthonormal
 * basis of a₀'s null space from a Householder reflector), which makes the
 * effort constraint ‖z‖² ≤ E_max − ‖w₀‖² (w₀ ⟂ range N). The barrier
 * problem `τ·t − Σ log(ρ_r²t² − |e_r|²) − log(E_max − ‖w‖²)` is minimized
 * by damped Newton steps for τ = τ₀·30^k until the duality-gap bound
 * (2R + 1)/τ is below `1e-5·t` [1, §11.3, §11.6].
 *
 * The main-lobe tolerance is a magnitude band, |a_r·w| within
 * |d₀|·10^{±tol/20}: not convex. The kernel uses the inscribed disc of
 * radius ε = 1 − 10^{−tol/20} around a target phase φ_r and updates φ_r to
 * the phase of the solution's own response between solves (`phasePasses`).
 * The previous solution stays feasible for the re-centred discs with an
 * equal or smaller t, so t never rises from one pass to the next.
 *
 * References:
 * 1. S. Boyd, L. Vandenberghe, "Convex Optimization", Cambridge University
 *    Press, 2004, ch. 11 (barrier method).
 * 2. H. Lebret, S. Boyd, "Antenna array pattern synthesis via convex
 *    optimization", IEEE Trans. Signal Process. 45(3), 1997.
 *
 * @module
 */

/** One bin's problem: the constraint rows of the arc plant and their tolerances. */
export interface BeamBin {
  /** Number of drivers. */
  readonly n: number;
  /** On-axis row a₀ (n values). */
  readonly a0Re: Float64Array;
  readonly a0Im: Float64Array;
  /** On-axis response d₀ the beam must keep exactly. */
  readonly d0Re: number;
  readonly d0Im: number;
  /** Constraint rows, row-major rows × n. */
  readonly rows: number;
  readonly aRe: Float64Array;
  readonly aIm: Float64Array;
  /** 1 for a main-lobe row (target |d₀|·e^{jφ}), 0 for a null row (target 0). */
  readonly isLobe: Uint8Array;
  /** Tolerance radius per row at t = 1, as a fraction of |d₀| (ε for lobe rows, ν for nulls). */
  readonly tolerance: Float64Array;
  /** Drive-effort limit E_max (‖w‖² ≤ E_max). */
  readonly effortLimit: number;
  /** Initial target phase per row in radians (lobe rows; ignored for nulls). */
  readonly phase: Float64Array;
  /** Stopband rows (row-major stopRows × n) whose mean power the second stage minimizes. */
  readonly stopRows: number;
  readonly sRe: Float64Array;
  readonly sIm: Float64Array;
  /** Share of the tolerances the second stage may use (t ≤ max(this, 1.02·t*), only when
   * 1.02·t* ≤ 1); 0 disables the second stage. */
  readonly stopbandShare: number;
  /** Weight κ of the drive effort in the second stage's objective (see the module doc). */
  readonly effortWeight: number;
}

/** Outcome of {@linkcode solveBeamBin}. */
export interface BeamBinSolution {
  /** Optimal worst share of the tolerance (≤ 1: every row within its tolerance). */
  readonly t: number;
  /** Drive effort ‖w‖² of the solution. */
  readonly effort: number;
  /** Barrier iterations (Newton steps) used over all passes. */
  readonly newtonSteps: number;
  /** False when the effort limit leaves no freedom (E_max ≤ ‖w₀‖²): w = w₀ then. */
  readonly feasible: boolean;
}

/** Phase-update passes of the main-lobe targets (see the module documentation). */
const PHASE_PASSES = 8;
/** Relative duality-gap bound the barrier stops at. */
const GAP_TOLERANCE = 1e-5;
/** Relative gap of the phase-steering passes before the last. */
const INTERMEDIATE_GAP = 1e-2;
/** Factor τ grows by between centering steps. */
const TAU_STEP = 30;
const MAX_NEWTON = 400;

/**
 * Solve one bin; writes the optimal w into `outRe`/`outIm` (n values each): the minimax
 * optimum over the phase passes, then the quiet-stopband stage (see the module doc).
 */
export function solveBeamBin(
  bin: BeamBin,
  outRe: Float64Array,
  outIm: Float64Array,
  options: { readonly passes?: number; readonly secondStage?: boolean } = {},
): BeamBinSolution {
  const S = kernelState(bin, options.passes ?? PHASE_PASSES);
  if (!(S.rho2 > 0) || S.m === 0 || !(S.d0Abs > 0)) {
    writeW(S, S.x, outRe, outIm);
    return {
      t: worstShare(S, S.x),
      effort: bin.effortLimit - S.rho2,
      newtonSteps: 0,
      feasible: false,
    };
  }
  const { best, bestX } = minimaxPasses(S, bin, outRe, outIm);
  if (options.secondStage === false) {
    writeW(S, bestX, outRe, outIm);
    return { t: best, effort: NaN, newtonSteps: S.newtonSteps, feasible: true };
  }
  quietStopband(S, bin, best, bestX, outRe, outIm);
  writeW(S, bestX, outRe, outIm);
  let zz = 0;
  for (let k = 0; k < 2 * S.m; k++) zz += bestX[k]! ** 2;
  return {
    t: best,
    effort: bin.effortLimit - S.rho2 + zz,
    newtonSteps: S.newtonSteps,
    feasible: true,
  };
}

/**
 * Stage 1 of a bin: the problem in the null-space coordinates z (w = w₀ + N·z), the row
 * products and Gram blocks, the stopband rows, and the lobe targets at the bin's starting phases.
 */
function kernelState(bin: BeamBin, passes: number): KernelState {
  const { n, rows } = bin;
  const m = n - 1, dim = 2 * m + 1; // x = [Re z; Im z; t]
  // w₀ = a₀ᴴ d₀ / ‖a₀‖²
  let aa = 0;
  for (let i = 0; i < n; i++) aa += bin.a0Re[i]! ** 2 + bin.a0Im[i]! ** 2;
  const w0Re = new Float64Array(n), w0Im = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ar = bin.a0Re[i]!, ai = -bin.a0Im[i]!; // conj(a₀)
    w0Re[i] = (ar * bin.d0Re - ai * bin.d0Im) / aa;
    w0Im[i] = (ar * bin.d0Im + ai * bin.d0Re) / aa;
  }
  const d0Abs = Math.hypot(bin.d0Re, bin.d0Im);
  const rho2 = bin.effortLimit - (bin.d0Re ** 2 + bin.d0Im ** 2) / aa;
  const { nRe, nIm } = nullSpaceBasis(bin.a0Re, bin.a0Im, aa);
  // Per row: b_r = a_r·N (m complex), g_r = a_r·w₀ (complex).
  const bRe = new Float64Array(rows * m), bIm = new Float64Array(rows * m);
  const gRe = new Float64Array(rows), gIm = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sr = 0, si = 0;
    for (let i = 0; i < n; i++) {
      const ar = bin.aRe[r * n + i]!, ai = bin.aIm[r * n + i]!;
      sr += ar * w0Re[i]! - ai * w0Im[i]!;
      si += ar * w0Im[i]! + ai * w0Re[i]!;
    }
    gRe[r] = sr;
    gIm[r] = si;
    for (let k = 0; k < m; k++) {
      let cr = 0, ci = 0;
      for (let i = 0; i < n; i++) {
        const ar = bin.aRe[r * n + i]!, ai = bin.aIm[r * n + i]!;
        const vr = nRe[i * m + k]!, vi = nIm[i * m + k]!;
        cr += ar * vr - ai * vi;
        ci += ar * vi + ai * vr;
      }
      bRe[r * m + k] = cr;
      bIm[r * m + k] = ci;
    }
  }
  // Per row r the Gram entries of its real embedding, k ≤ l (constant within the bin):
  // Re(b̄_k·b_l) and Im(b̄_k·b_l)·(−1), the same for the stopband rows c_s.
  const pairs = (m * (m + 1)) / 2;
  const gramRe = new Float64Array(rows * pairs), gramIm = new Float64Array(rows * pairs);
  gramBlocks(bRe, bIm, rows, m, gramRe, gramIm);
  // The same by pair (pair-major), for the weighted sums over rows in the Newton step.
  const gramReT = new Float64Array(rows * pairs), gramImT = new Float64Array(rows * pairs);
  for (let r = 0; r < rows; r++) {
    for (let p = 0; p < pairs; p++) {
      gramReT[p * rows + r] = gramRe[r * pairs + p]!;
      gramImT[p * rows + r] = gramIm[r * pairs + p]!;
    }
  }
  const stops = bin.stopRows;
  const cRe = new Float64Array(stops * m), cIm = new Float64Array(stops * m);
  const hRe = new Float64Array(stops), hIm = new Float64Array(stops);
  for (let r = 0; r < stops; r++) {
    for (let i = 0; i < n; i++) {
      const ar = bin.sRe[r * n + i]!, ai = bin.sIm[r * n + i]!;
      hRe[r]! += ar * w0Re[i]! - ai * w0Im[i]!;
      hIm[r]! += ar * w0Im[i]! + ai * w0Re[i]!;
      for (let k = 0; k < m; k++) {
        const vr = nRe[i * m + k]!, vi = nIm[i * m + k]!;
        cRe[r * m + k]! += ar * vr - ai * vi;
        cIm[r * m + k]! += ar * vi + ai * vr;
      }
    }
  }
  // Stopband objective J = Σ_s |c_s·z + h_s|² / (S·|d₀|²): mean stopband power re on-axis.
  const stopGramRe = new Float64Array(stops * pairs), stopGramIm = new Float64Array(stops * pairs);
  gramBlocks(cRe, cIm, stops, m, stopGramRe, stopGramIm);
  const jScale = stops > 0 ? 1 / (stops * (bin.d0Re ** 2 + bin.d0Im ** 2)) : 0;
  // κ·‖w‖²·P₀/|d₀|² (= κ/WNG): effort radiates into directions the arc cannot see.
  const kappa = bin.effortWeight * (aa / n) / (bin.d0Re ** 2 + bin.d0Im ** 2);
  const radius = new Float64Array(rows);
  for (let r = 0; r < rows; r++) radius[r] = bin.tolerance[r]! * d0Abs;
  const pRe = new Float64Array(rows), pIm = new Float64Array(rows);
  const S: KernelState = {
    n,
    m,
    dim,
    rows,
    stops,
    passes,
    d0Abs,
    pairs,
    w0Re,
    w0Im,
    nRe,
    nIm,
    bRe,
    bIm,
    gRe,
    gIm,
    gramReT,
    gramImT,
    cRe,
    cIm,
    hRe,
    hIm,
    stopGramRe,
    stopGramIm,
    jScale,
    kappa,
    effortLimit: bin.effortLimit,
    rho2,
    radius,
    pRe,
    pIm,
    eR: new Float64Array(rows),
    eI: new Float64Array(rows),
    x: new Float64Array(dim),
    grad: new Float64Array(dim),
    hess: new Float64Array(dim * dim),
    step: new Float64Array(dim),
    trial: new Float64Array(dim),
    qs: new Float64Array(dim * rows),
    vs: new Float64Array(rows),
    fixT: NaN,
    newtonSteps: 0,
    residualsOf: null,
  };
  setTargets(S, bin, (r) => bin.phase[r]!);
  return S;
}

/** Lobe targets p_r = |d₀|·e^{jφ_r} at the phases φ_r = phase(r) (null rows keep p_r = 0). */
function setTargets(S: KernelState, bin: BeamBin, phase: (r: number) => number): void {
  for (let r = 0; r < S.rows; r++) {
    if (bin.isLobe[r] !== 1) continue;
    const ph = phase(r);
    S.pRe[r] = S.d0Abs * Math.cos(ph);
    S.pIm[r] = S.d0Abs * Math.sin(ph);
  }
}

/** Phase of row r's response a_r·w for the weights in (wRe, wIm). */
function responsePhase(bin: BeamBin, r: number, wRe: Float64Array, wIm: Float64Array): number {
  const n = bin.n;
  let sr = 0, si = 0;
  for (let i = 0; i < n; i++) {
    const ar = bin.aRe[r * n + i]!, ai = bin.aIm[r * n + i]!;
    sr += ar * wRe[i]! - ai * wIm[i]!;
    si += ar * wIm[i]! + ai * wRe[i]!;
  }
  return Math.atan2(si, sr);
}

/**
 * Stage 2: the minimax optimum, re-centring the lobe discs on the solution's own phase between
 * solves (up to S.passes; see the module doc). Returns the best t and its point.
 */
function minimaxPasses(
  S: KernelState,
  bin: BeamBin,
  outRe: Float64Array,
  outIm: Float64Array,
): { best: number; bestX: Float64Array } {
  const { dim, rows, passes, x, pRe, pIm } = S;
  let best = Infinity;
  const bestX = new Float64Array(dim);
  for (let pass = 0; pass < passes; pass++) {
    // Strictly feasible start: the current z, t above the worst share. After the first pass the
    // start is near the optimum: begin with a duality gap of 2 % of t instead of 100 %.
    x[dim - 1] = 0;
    const t0 = worstShare(S, x);
    x[dim - 1] = 1.05 * t0 + 1e-9;
    // Intermediate passes only steer the phases: a 1 % gap is enough there.
    const last = pass === passes - 1;
    centre(
      S,
      (2 * rows + 1) / Math.max((pass === 0 ? 1 : 0.02) * x[dim - 1]!, 1e-12),
      last ? GAP_TOLERANCE : INTERMEDIATE_GAP,
    );
    const t = worstShare(S, x);
    const gain = best - t;
    if (t < best) {
      best = t;
      bestX.set(x);
    }
    if (pass === passes - 1 || (pass > 0 && gain < 2e-3 * best)) break;
    // Re-centre the lobe discs on the solution's own phase; stop when that cannot help.
    writeW(S, x, outRe, outIm);
    let moved = 0;
    setTargets(S, bin, (r) => {
      const ph = responsePhase(bin, r, outRe, outIm);
      moved = Math.max(moved, Math.abs(Math.sin((ph - Math.atan2(pIm[r]!, pRe[r]!)) / 2)));
      return ph;
    });
    if (moved < 1e-4) break;
  }
  return { best, bestX };
}

/**
 * Stage 3: spend the margin on a quiet stopband, every constraint still within t_fix ≤ 1
 * (t_fix = max(stopbandShare, 1.02·t*)); bestX becomes that point. Skipped without stopband
 * rows, with stopbandShare 0 or without 2 % of margin.
 */
function quietStopband(
  S: KernelState,
  bin: BeamBin,
  best: number,
  bestX: Float64Array,
  outRe: Float64Array,
  outIm: Float64Array,
): void {
  const { dim, rows, stops, x } = S;
  const tFix = Math.max(bin.stopbandShare, 1.02 * best);
  if (!(stops > 0 && bin.stopbandShare > 0 && tFix <= 1)) return;
  x.set(bestX);
  writeW(S, x, outRe, outIm);
  setTargets(S, bin, (r) => responsePhase(bin, r, outRe, outIm));
  S.fixT = tFix;
  x[dim - 1] = tFix;
  centre(S, (rows + 1) / Math.max(stopPower(S, x), 1e-12));
  S.fixT = NaN;
  x[dim - 1] = 0;
  bestX.set(x);
}

/**
 * The state of one bin's barrier method: the problem in the null-space coordinates z and the
 * work buffers. Plain functions over it (not closures per bin) keep one optimized copy of the
 * hot code for every bin.
 */
interface KernelState {
  readonly n: number;
  readonly m: number;
  readonly dim: number;
  readonly rows: number;
  readonly stops: number;
  readonly passes: number;
  /** |d₀|. */
  readonly d0Abs: number;
  readonly pairs: number;
  readonly w0Re: Float64Array;
  readonly w0Im: Float64Array;
  readonly nRe: Float64Array;
  readonly nIm: Float64Array;
  readonly bRe: Float64Array;
  readonly bIm: Float64Array;
  readonly gRe: Float64Array;
  readonly gIm: Float64Array;
  readonly gramReT: Float64Array;
  readonly gramImT: Float64Array;
  readonly cRe: Float64Array;
  readonly cIm: Float64Array;
  readonly hRe: Float64Array;
  readonly hIm: Float64Array;
  readonly stopGramRe: Float64Array;
  readonly stopGramIm: Float64Array;
  readonly jScale: number;
  readonly kappa: number;
  readonly effortLimit: number;
  readonly rho2: number;
  readonly radius: Float64Array;
  readonly pRe: Float64Array;
  readonly pIm: Float64Array;
  readonly eR: Float64Array;
  readonly eI: Float64Array;
  readonly x: Float64Array;
  readonly grad: Float64Array;
  readonly hess: Float64Array;
  readonly step: Float64Array;
  readonly trial: Float64Array;
  /** Per row of the Newton step: ∇dv_r/dv_r (dim-major: qs[i·rows + r]) and 2/dv_r. */
  readonly qs: Float64Array;
  readonly vs: Float64Array;
  /** The frozen t of the second stage; NaN in the first. */
  fixT: number;
  newtonSteps: number;
  /** Which point eR/eI last held (the residuals do not depend on t): a Newton step starts where
   * the previous line search ended, so its residuals and barrier value are reused, not redone. */
  residualsOf: Float64Array | null;
}

/** Stopband objective J + κ·effort at xs. */
function stopPower(S: KernelState, xs: Float64Array): number {
  const { m, stops, hRe, hIm, cRe, cIm, jScale, kappa } = S;
  let e = 0;
  for (let k = 0; k < 2 * m; k++) e += xs[k]! ** 2;
  let j = 0;
  for (let r = 0; r < stops; r++) {
    let sr = hRe[r]!, si = hIm[r]!;
    for (let k = 0; k < m; k++) {
      const cr = cRe[r * m + k]!, ci = cIm[r * m + k]!;
      sr += cr * xs[k]! - ci * xs[m + k]!;
      si += cr * xs[m + k]! + ci * xs[k]!;
    }
    j += sr * sr + si * si;
  }
  return j * jScale + kappa * (S.effortLimit - S.rho2 + e);
}

/** w = w₀ + N·z into (outRe, outIm). */
function writeW(S: KernelState, xs: Float64Array, outRe: Float64Array, outIm: Float64Array): void {
  const { n, m, w0Re, w0Im, nRe, nIm } = S;
  for (let i = 0; i < n; i++) {
    let sr = w0Re[i]!, si = w0Im[i]!;
    for (let k = 0; k < m; k++) {
      const vr = nRe[i * m + k]!, vi = nIm[i * m + k]!;
      const zr = xs[k]!, zi = xs[m + k]!;
      sr += vr * zr - vi * zi;
      si += vr * zi + vi * zr;
    }
    outRe[i] = sr;
    outIm[i] = si;
  }
}

/** Residual e_r = b_r·z + g_r − p_r into (eR, eI). */
function residuals(S: KernelState, xs: Float64Array): void {
  const { rows, m, gRe, gIm, pRe, pIm, bRe, bIm, eR, eI } = S;
  for (let r = 0; r < rows; r++) {
    let sr = gRe[r]! - pRe[r]!, si = gIm[r]! - pIm[r]!;
    for (let k = 0; k < m; k++) {
      const br = bRe[r * m + k]!, bi = bIm[r * m + k]!;
      const zr = xs[k]!, zi = xs[m + k]!;
      sr += br * zr - bi * zi;
      si += br * zi + bi * zr;
    }
    eR[r] = sr;
    eI[r] = si;
  }
}

/** The worst row's share of its tolerance at xs. */
function worstShare(S: KernelState, xs: Float64Array): number {
  residuals(S, xs);
  const { rows, eR, eI, radius } = S;
  let t = 0;
  for (let r = 0; r < rows; r++) t = Math.max(t, Math.hypot(eR[r]!, eI[r]!) / radius[r]!);
  return t;
}

/** F(x) = τ·t − Σ log(ρ²t² − |e|²) − log(ρ_E² − ‖z‖²); +Infinity outside the domain. */
function barrier(S: KernelState, xs: Float64Array, tau: number): number {
  const { dim, m, rows, rho2, gRe, gIm, pRe, pIm, bRe, bIm, eR, eI, radius } = S;
  S.residualsOf = null;
  const frozen = !Number.isNaN(S.fixT);
  const t = frozen ? S.fixT : xs[dim - 1]!;
  if (!(t > 0)) return Infinity;
  let zz = 0;
  for (let k = 0; k < 2 * m; k++) zz += xs[k]! ** 2;
  if (zz >= rho2) return Infinity;
  // Residuals row by row (stopping at the first violated row); the logarithm of a running
  // product, taken when it nears the end of the double range, instead of one per row.
  let prod = 1, logs = 0;
  for (let r = 0; r < rows; r++) {
    let sr = gRe[r]! - pRe[r]!, si = gIm[r]! - pIm[r]!;
    for (let k = 0, o = r * m; k < m; k++) {
      const br = bRe[o + k]!, bi = bIm[o + k]!;
      const zr = xs[k]!, zi = xs[m + k]!;
      sr += br * zr - bi * zi;
      si += br * zi + bi * zr;
    }
    eR[r] = sr;
    eI[r] = si;
    const dv = (radius[r]! * t) ** 2 - sr * sr - si * si;
    if (!(dv > 0)) return Infinity;
    prod *= dv;
    if (prod < 1e-200 || prod > 1e200) {
      logs += Math.log(prod);
      prod = 1;
    }
  }
  S.residualsOf = xs;
  const f = (frozen ? tau * stopPower(S, xs) : tau * t) - Math.log(rho2 - zz);
  return f - (logs + Math.log(prod));
}

/** τ·J's gradient and Hessian: 2·Σ Mₛᵀyₛ and 2·Σ MₛᵀMₛ (scaled), added at S.x. */
function addStopband(S: KernelState, tau: number): void {
  const { m, dim, stops, pairs, jScale, kappa, x, grad, hess, hRe, hIm, cRe, cIm } = S;
  const { stopGramRe, stopGramIm } = S;
  const w = 2 * tau * jScale;
  for (let k = 0; k < 2 * m; k++) {
    grad[k]! += 2 * tau * kappa * x[k]!;
    hess[k * dim + k]! += 2 * tau * kappa;
  }
  for (let r = 0; r < stops; r++) {
    let yr = hRe[r]!, yi = hIm[r]!;
    for (let k = 0; k < m; k++) {
      const cr = cRe[r * m + k]!, ci = cIm[r * m + k]!;
      yr += cr * x[k]! - ci * x[m + k]!;
      yi += cr * x[m + k]! + ci * x[k]!;
    }
    let p = r * pairs;
    for (let k = 0; k < m; k++) {
      const br = cRe[r * m + k]!, bi = cIm[r * m + k]!;
      grad[k]! += w * (br * yr + bi * yi);
      grad[m + k]! += w * (-bi * yr + br * yi);
      for (let l = k; l < m; l++, p++) {
        const rr = w * stopGramRe[p]!, ri = w * stopGramIm[p]!;
        hess[k * dim + l]! += rr;
        hess[(m + k) * dim + (m + l)]! += rr;
        hess[k * dim + (m + l)]! += ri;
        if (l !== k) hess[l * dim + (m + k)]! -= ri;
      }
    }
  }
}

/** One Newton system at S.x for τ: the gradient into S.grad, the Hessian into S.hess. */
function newtonSystem(S: KernelState, tau: number): void {
  const { m, dim, rows, rho2, x, grad, hess, eR, eI, bRe, bIm, radius, qs, vs } = S;
  const { gramReT, gramImT } = S;
  const frozen = !Number.isNaN(S.fixT);
  const t = x[dim - 1]!;
  grad.fill(0);
  hess.fill(0);
  if (!frozen) grad[dim - 1] = tau;
  else {
    x[dim - 1] = S.fixT;
    addStopband(S, tau);
  }
  if (S.residualsOf !== x) residuals(S, x);
  // Σ_r ∇dv·∇dvᵀ/dv² − ∇²dv/dv with ∇dv = [−2·Mᵀe; 2ρ²t], ∇²dv = [−2·MᵀM, 0; 0, 2ρ²]
  // (Mᵀe, MᵀM over the real embedding of b_r), as weighted sums over the rows.
  let htt = 0;
  for (let r = 0; r < rows; r++) {
    const rad2 = radius[r]! ** 2;
    const er = eR[r]!, ei = eI[r]!;
    const inv = 1 / (rad2 * t * t - er * er - ei * ei);
    for (let k = 0; k < m; k++) {
      const br = bRe[r * m + k]!, bi = bIm[r * m + k]!;
      qs[k * rows + r] = -2 * (br * er + bi * ei) * inv; // ∂/∂Re z_k
      qs[(m + k) * rows + r] = -2 * (-bi * er + br * ei) * inv; // ∂/∂Im z_k
    }
    qs[(dim - 1) * rows + r] = 2 * rad2 * t * inv;
    vs[r] = 2 * inv;
    htt -= 2 * rad2 * inv;
  }
  for (let i = 0; i < dim; i++) {
    const oi = i * rows;
    let g = 0;
    for (let r = 0; r < rows; r++) g += qs[oi + r]!;
    grad[i]! -= g;
    for (let j = i; j < dim; j++) {
      const oj = j * rows;
      let h = 0;
      for (let r = 0; r < rows; r++) h += qs[oi + r]! * qs[oj + r]!;
      hess[i * dim + j]! += h;
    }
  }
  for (let k = 0, p = 0; k < m; k++) {
    for (let l = k; l < m; l++, p++) {
      const op = p * rows;
      let rr = 0, ri = 0;
      for (let r = 0; r < rows; r++) {
        rr += vs[r]! * gramReT[op + r]!; // (MᵀM) Re-Re and Im-Im blocks
        ri += vs[r]! * gramImT[op + r]!; // Re_k–Im_l block
      }
      hess[k * dim + l]! += rr;
      hess[(m + k) * dim + (m + l)]! += rr;
      hess[k * dim + (m + l)]! += ri;
      if (l !== k) hess[l * dim + (m + k)]! -= ri;
    }
  }
  hess[(dim - 1) * dim + (dim - 1)]! += htt;
  // Effort: −log(ρ_E² − ‖z‖²).
  let zz = 0;
  for (let k = 0; k < 2 * m; k++) zz += x[k]! ** 2;
  const de = rho2 - zz, ie = 1 / de;
  for (let i = 0; i < 2 * m; i++) {
    grad[i]! += 2 * x[i]! * ie;
    for (let j = i; j < 2 * m; j++) hess[i * dim + j]! += 4 * x[i]! * x[j]! * ie * ie;
    hess[i * dim + i]! += 2 * ie;
  }
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < i; j++) hess[i * dim + j] = hess[j * dim + i]!;
  }
  if (frozen) {
    // t is frozen: no step along it.
    for (let i = 0; i < dim; i++) hess[i * dim + dim - 1] = hess[(dim - 1) * dim + i] = 0;
    hess[dim * dim - 1] = 1;
    grad[dim - 1] = 0;
  }
}

/** The barrier method from S.x: centering by damped Newton steps for growing τ. */
function centre(S: KernelState, tau0: number, gap = GAP_TOLERANCE): void {
  const { dim, rows, x, grad, hess, step, trial } = S;
  let tau = tau0;
  S.residualsOf = null;
  for (let outer = 0; outer < 60; outer++) {
    // Centering: Newton on F(·, τ). fx: F at x for this τ once known.
    let fx = NaN;
    for (let it = 0; it < 60 && S.newtonSteps < MAX_NEWTON * S.passes; it++) {
      S.newtonSteps++;
      newtonSystem(S, tau);
      for (let i = 0; i < dim; i++) step[i] = -grad[i]!;
      if (!choleskySolveInPlace(dim, hess, step)) break;
      let decrement = 0;
      for (let i = 0; i < dim; i++) decrement -= grad[i]! * step[i]!;
      if (decrement / 2 < 1e-8) break;
      const f0 = Number.isNaN(fx) ? barrier(S, x, tau) : fx;
      let s = 1, f1 = NaN;
      for (let ls = 0; ls < 60; ls++, s *= 0.5) {
        for (let i = 0; i < dim; i++) trial[i] = x[i]! + s * step[i]!;
        f1 = barrier(S, trial, tau);
        if (f1 <= f0 - 0.25 * s * decrement) break;
      }
      x.set(trial);
      fx = f1;
      if (S.residualsOf === trial) S.residualsOf = x;
    }
    const scale = Number.isNaN(S.fixT) ? x[dim - 1]! : 1e2 * stopPower(S, x);
    if ((2 * rows + 1) / tau < gap * Math.max(scale, 1e-6)) break;
    tau *= TAU_STEP;
  }
}

/**
 * Orthonormal basis N (n × (n−1), row-major) of the null space of the row a₀:
 * columns 1..n−1 of the Householder reflector that maps a₀ᴴ/‖a₀‖ onto e₀.
 */
export function nullSpaceBasis(
  a0Re: Float64Array,
  a0Im: Float64Array,
  norm2: number,
): { nRe: Float64Array; nIm: Float64Array } {
  const n = a0Re.length, m = n - 1, norm = Math.sqrt(norm2);
  // u = a₀ᴴ/‖a₀‖; v = u + e^{j·arg u₀}·e₀; H = I − 2vvᴴ/(vᴴv).
  const uRe = new Float64Array(n), uIm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    uRe[i] = a0Re[i]! / norm;
    uIm[i] = -a0Im[i]! / norm;
  }
  const u0 = Math.hypot(uRe[0]!, uIm[0]!);
  const pr = u0 > 0 ? uRe[0]! / u0 : 1, pi = u0 > 0 ? uIm[0]! / u0 : 0;
  const vRe = Float64Array.from(uRe), vIm = Float64Array.from(uIm);
  vRe[0]! += pr;
  vIm[0]! += pi;
  let vv = 0;
  for (let i = 0; i < n; i++) vv += vRe[i]! ** 2 + vIm[i]! ** 2;
  const nRe = new Float64Array(n * m), nIm = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < m; k++) {
      const j = k + 1;
      // H_ij = δ_ij − 2 v_i conj(v_j)/vv
      const re = (i === j ? 1 : 0) - (2 * (vRe[i]! * vRe[j]! + vIm[i]! * vIm[j]!)) / vv;
      const im = -(2 * (vIm[i]! * vRe[j]! - vRe[i]! * vIm[j]!)) / vv;
      nRe[i * m + k] = re;
      nIm[i * m + k] = im;
    }
  }
  return { nRe, nIm };
}

/** Per row, for k ≤ l: re = br_k·br_l + bi_k·bi_l, im = bi_k·br_l − br_k·bi_l (row-major). */
function gramBlocks(
  bRe: Float64Array,
  bIm: Float64Array,
  rows: number,
  m: number,
  outRe: Float64Array,
  outIm: Float64Array,
): void {
  let p = 0;
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < m; k++) {
      const br = bRe[r * m + k]!, bi = bIm[r * m + k]!;
      for (let l = k; l < m; l++, p++) {
        const cr = bRe[r * m + l]!, ci = bIm[r * m + l]!;
        outRe[p] = br * cr + bi * ci;
        outIm[p] = bi * cr - br * ci;
      }
    }
  }
}

/** Solve H·x = b in place (b ← x) for symmetric positive definite H; false if not SPD. */
function choleskySolveInPlace(n: number, h: Float64Array, b: Float64Array): boolean {
  for (let j = 0; j < n; j++) {
    let d = h[j * n + j]!;
    for (let k = 0; k < j; k++) d -= h[j * n + k]! ** 2;
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    h[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = h[i * n + j]!;
      for (let k = 0; k < j; k++) s -= h[i * n + k]! * h[j * n + k]!;
      h[i * n + j] = s / l;
    }
  }
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= h[i * n + k]! * b[k]!;
    b[i] = s / h[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= h[k * n + i]! * b[k]!;
    b[i] = s / h[i * n + i]!;
  }
  return true;
}
