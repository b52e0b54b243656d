/** Modified Bessel function of the first kind, order 0, by its power series (slow, obvious). */
export function besselI0(x: number): number {
  let sum = 1, term = 1;
  for (let k = 1; k < 200; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

/**
 * Kaiser-windowed-sinc high-pass FIR (odd `taps`), cut-off `cutoffHz`, window shape `beta`
 * (β = 12 gives ≈ −120 dB stop band; Kaiser & Schafer 1980).
 */
export function kaiserHighpass(
  taps: number,
  cutoffHz: number,
  sampleRate: number,
  beta = 12,
): Float64Array {
  const c = (taps - 1) / 2;
  const fc = cutoffHz / sampleRate;
  const h = new Float64Array(taps);
  const norm = besselI0(beta);
  for (let n = 0; n < taps; n++) {
    const m = n - c;
    const w = besselI0(beta * Math.sqrt(1 - (m / c) ** 2)) / norm;
    const lp = m === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * m) / (Math.PI * m);
    h[n] = (m === 0 ? 1 : 0) - lp * w;
  }
  return h;
}
