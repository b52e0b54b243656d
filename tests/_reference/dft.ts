/** Slow, obvious O(N²) DFT: the reference the FFT is tested against. */
export function dftReference(x: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
  const n = x.length;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sr = 0, si = 0;
    for (let t = 0; t < n; t++) {
      const phi = (-2 * Math.PI * ((k * t) % n)) / n;
      sr += (x[t] as number) * Math.cos(phi);
      si += (x[t] as number) * Math.sin(phi);
    }
    re[k] = sr;
    im[k] = si;
  }
  return { re, im };
}
