/**
 * Math kernel of the rigid-sphere head: the Duda & Martens (1998) series for
 * the pressure on the surface of a rigid sphere from a point source at a
 * finite distance, and its plane-wave limit.
 *
 * The paper's transfer function (its eq. 9, time convention e^{−iωt}, h_m the
 * spherical Hankel function of the first kind) is
 *
 *   H(ρ, μ, θ) = −(ρ/μ)·e^{−iμρ}·Σ_m (2m+1)·P_m(cos θ)·h_m(μρ)/h'_m(μ),
 *
 * with μ = ωa/c, ρ = r/a (r source distance from the centre, a radius) and θ
 * the angle between the source direction and the ear, relative to the free
 * field at the sphere's centre. This project's spectra use the e^{+jωt}
 * (FFT) convention, where a delay is e^{−jωτ}: the functions here return the
 * complex conjugate of the paper's H. The plane-wave limit (ρ → ∞) is
 * `H = −(1/μ²)·Σ (2m+1)·(−i)^{m+1}·P_m(cos θ)/h'_m(μ)`.
 *
 * `h_m(x)·e^{−ix}` is computed by the upward recurrence
 * `h_{m+1} = (2m+1)/x·h_m − h_{m−1}` from `h_0 = −i/x`,
 * `h_1 = −(x+i)/x²`; upward recursion is stable for h_m, which is dominated
 * by y_m. `h'_m = h_{m−1} − (m+1)/x·h_m`, `h'_0 = −h_1`.
 *
 * References:
 * 1. R. O. Duda, W. L. Martens, "Range dependence of the response of a
 *    spherical head model", J. Acoust. Soc. Am. 104(5), 3048–3058, 1998.
 *
 * @module
 */

/** Legendre polynomials P_0..P_mMax at `x` (Bonnet's recurrence). */
export function legendreSeries(x: number, mMax: number): Float64Array {
  const p = new Float64Array(mMax + 1);
  p[0] = 1;
  if (mMax >= 1) p[1] = x;
  for (let m = 1; m < mMax; m++) {
    p[m + 1] = ((2 * m + 1) * x * (p[m] as number) - m * (p[m - 1] as number)) / (m + 1);
  }
  return p;
}

/**
 * Number of series terms used at μ = ka and ρ = r/a. Past m ≈ μ the terms
 * fall off at least like ρ^{−m}, so `30/ln ρ` more terms reach 1e-13; the
 * plane wave (ρ = ∞) needs about 25. Capped at 400.
 */
export function sphereTermCount(mu: number, rho: number): number {
  const extra = Number.isFinite(rho) ? Math.max(25, Math.ceil(30 / Math.log(rho))) : 25;
  return Math.min(400, Math.ceil(1.1 * mu + extra));
}

/**
 * Per-frequency inverse derivatives 1/h'_m(μ) for m = 0..mMax (e^{−iμ}
 * removed: returns 1/(h'_m(μ)·e^{−iμ})), as interleaved [re, im] pairs.
 */
export function inverseHankelDerivative(mu: number, mMax: number): Float64Array {
  const out = new Float64Array(2 * (mMax + 1));
  // h_m(μ)·e^{−iμ}
  let h0r = 0, h0i = -1 / mu;
  let h1r = -1 / mu, h1i = -1 / (mu * mu);
  // m = 0: h'_0 = −h_1
  let dr = -h1r, di = -h1i;
  let den = dr * dr + di * di;
  out[0] = dr / den;
  out[1] = -di / den;
  for (let m = 1; m <= mMax; m++) {
    // h'_m = h_{m−1} − (m+1)/μ·h_m, here h0 = h_{m−1}, h1 = h_m
    dr = h0r - ((m + 1) / mu) * h1r;
    di = h0i - ((m + 1) / mu) * h1i;
    den = dr * dr + di * di;
    if (!Number.isFinite(den) || den === 0) {
      // overflow: the remaining terms are negligible
      for (let j = m; j <= mMax; j++) out[2 * j] = out[2 * j + 1] = 0;
      break;
    }
    out[2 * m] = dr / den;
    out[2 * m + 1] = -di / den;
    const f = (2 * m + 1) / mu;
    const h2r = f * h1r - h0r;
    const h2i = f * h1i - h0i;
    h0r = h1r;
    h0i = h1i;
    h1r = h2r;
    h1i = h2i;
  }
  return out;
}

/**
 * Sphere transfer functions at one frequency for several angles at once
 * (e^{+jωt} convention, i.e. the conjugate of [1, eq. 9]).
 *
 * @param mu ωa/c (> 0).
 * @param rho Source distance over radius (> 1), or `Infinity` for a plane wave.
 * @param legendre `legendre[j]` = P_0..P_M at cos θ_j, M >= the term count.
 * @param outRe Receives Re H per angle.
 * @param outIm Receives Im H per angle.
 */
export function sphereResponseAt(
  mu: number,
  rho: number,
  legendre: readonly Float64Array[],
  outRe: Float64Array,
  outIm: Float64Array,
): void {
  const angleCount = legendre.length;
  if (mu <= 0) {
    for (let j = 0; j < angleCount; j++) {
      outRe[j] = 1;
      outIm[j] = 0;
    }
    return;
  }
  let mMax = sphereTermCount(mu, rho);
  for (const p of legendre) mMax = Math.min(mMax, p.length - 1);
  const inv = inverseHankelDerivative(mu, mMax);
  for (let j = 0; j < angleCount; j++) {
    outRe[j] = 0;
    outIm[j] = 0;
  }
  const plane = !Number.isFinite(rho);
  const x = mu * rho;
  // ĥ_m(x) = h_m(x)·e^{−ix}
  let a0r = 0, a0i = plane ? 0 : -1 / x;
  let a1r = plane ? 0 : -1 / x, a1i = plane ? 0 : -1 / (x * x);
  let scale: number;
  if (plane) scale = -1 / (mu * mu);
  else scale = -rho / mu;
  let peak = 0;
  for (let m = 0; m <= mMax; m++) {
    let hr: number, hi: number;
    if (plane) {
      // (ρ/μ)·ĥ_m(μρ) → (−i)^{m+1}/μ²: carry (−i)^{m+1} here, 1/μ² in scale.
      const phase = (m + 1) % 4; // (−i)^1 = −i, (−i)^2 = −1, (−i)^3 = i, (−i)^0 = 1
      hr = phase === 0 ? 1 : phase === 2 ? -1 : 0;
      hi = phase === 1 ? -1 : phase === 3 ? 1 : 0;
    } else if (m === 0) {
      hr = a0r;
      hi = a0i;
    } else {
      hr = a1r;
      hi = a1i;
      // advance for the next m: ĥ_{m+1} = (2m+1)/x·ĥ_m − ĥ_{m−1}
      const f = (2 * m + 1) / x;
      const nr = f * a1r - a0r;
      const ni = f * a1i - a0i;
      a0r = a1r;
      a0i = a1i;
      a1r = nr;
      a1i = ni;
    }
    const ir = inv[2 * m] as number, ii = inv[2 * m + 1] as number;
    const tr = (2 * m + 1) * (hr * ir - hi * ii);
    const ti = (2 * m + 1) * (hr * ii + hi * ir);
    const size = Math.abs(tr) + Math.abs(ti);
    if (!Number.isFinite(size)) break;
    for (let j = 0; j < angleCount; j++) {
      const p = (legendre[j] as Float64Array)[m] as number;
      outRe[j]! += tr * p;
      outIm[j]! += ti * p;
    }
    if (size > peak) peak = size;
    if (m > mu + 5 && size < 1e-15 * peak) break;
  }
  // 1/h'_m(μ) = e^{−iμ}·inv[m]: one common factor e^{−iμ}.
  const cr = scale * Math.cos(mu), ci = -scale * Math.sin(mu);
  for (let j = 0; j < angleCount; j++) {
    const sr = outRe[j] as number, si = outIm[j] as number;
    // multiply by scale·e^{−iμ}, then conjugate to the e^{+jωt} convention
    outRe[j] = sr * cr - si * ci;
    outIm[j] = -(sr * ci + si * cr);
  }
}
