/**
 * The Bessel function of the first kind of order one, J1, and the far-field
 * directivity of a baffled circular piston built on it.
 *
 * @module
 */

/**
 * Bessel function of the first kind, order 1, for real `x`.
 *
 * For |x| < 14 the power series `J1(x) = Σ_k (−1)^k (x/2)^(2k+1) / (k!·(k+1)!)`
 * [1, eq. 9.1.10] (largest term about 2e4 at x = 14, so about 1e-12 absolute
 * error from cancellation); for |x| >= 14 Hankel's asymptotic expansion
 * `J1(x) = √(2/(πx))·(P cos χ − Q sin χ)`, `χ = x − 3π/4` [1, eq. 9.2.5,
 * 9.2.9–10], summed until its terms stop shrinking (error below 1e-12).
 * Odd: `J1(−x) = −J1(x)`.
 *
 * References:
 * 1. M. Abramowitz, I. A. Stegun, "Handbook of Mathematical Functions",
 *    NBS, 1964, ch. 9.
 */
export function besselJ1(x: number): number {
  const ax = Math.abs(x);
  const sign = x < 0 ? -1 : 1;
  if (ax < 14) {
    const h = ax / 2;
    const h2 = h * h;
    let term = h; // k = 0
    let sum = term;
    for (let k = 1; k < 60; k++) {
      term *= -h2 / (k * (k + 1)); // [1, eq. 9.1.10]
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return sign * sum;
  }
  // Hankel expansion with μ = 4ν² = 4 [1, eq. 9.2.9–10]: a_k = Π_{j<=k}(μ − (2j−1)²) / (k!·(8x)^k)
  const mu = 4;
  let p = 1;
  let q = 0;
  let a = 1;
  let previous = Infinity;
  for (let k = 1; k < 40; k++) {
    a *= (mu - (2 * k - 1) * (2 * k - 1)) / (k * 8 * ax);
    const size = Math.abs(a);
    if (size >= previous || size < 1e-17) break;
    previous = size;
    // k odd → Q (signs +, −, +…), k even → P (signs −, +, …)
    if (k % 2 === 1) q += ((k - 1) / 2) % 2 === 0 ? a : -a;
    else p += (k / 2) % 2 === 1 ? -a : a;
  }
  const chi = ax - 0.75 * Math.PI;
  return sign * Math.sqrt(2 / (Math.PI * ax)) * (p * Math.cos(chi) - q * Math.sin(chi));
}

/**
 * Far-field directivity of a circular piston in an infinite baffle,
 * `D(x) = 2·J1(x)/x` with `x = k·a·sin θ` (k wavenumber, a piston radius, θ
 * angle off axis) [1, eq. 7.4.17]. D(0) = 1.
 *
 * References:
 * 1. L. E. Kinsler, A. R. Frey, A. B. Coppens, J. V. Sanders, "Fundamentals
 *    of Acoustics", 4th ed., Wiley, 2000.
 */
export function pistonDirectivity(x: number): number {
  if (Math.abs(x) < 1e-6) return 1 - (x * x) / 8;
  return (2 * besselJ1(x)) / x;
}
