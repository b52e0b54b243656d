/**
 * A mixed-radix complex FFT for any 2·3·5-smooth size, in float64: the
 * Stockham autosort formulation of the decimation-in-frequency Cooley–Tukey
 * algorithm (Van Loan 1992, §1.7), with radix-8, 4, 2, 3 and 5 butterflies and
 * the twiddle factors of every pass computed once, directly with
 * `Math.cos`/`Math.sin` (no recurrences, so the error stays at a few ulps),
 * into `Float64Array`s.
 *
 * Data are interleaved complex numbers (`re0, im0, re1, im1, …`) in a
 * `Float64Array` of 2n values. A pass reads one buffer and writes the other
 * (the autosort: no bit-reversal pass); {@linkcode ComplexFftKernel.run}
 * says which of the two buffers holds the result.
 *
 * Pass with radix r over sub-transforms of length L = r·m at stride s:
 * `y[q + s(rp + j)] = w_L^{jp} · Σ_k x[q + s(p + km)] · w_r^{jk}`
 * for p < m, q < s, j < r, with `w_L = e^{-2πi/L}`; the next pass has
 * L/r and stride s·r.
 *
 * Reference: C. Van Loan, "Computational Frameworks for the Fast Fourier
 * Transform", SIAM, 1992.
 *
 * @module
 */

/** One pass of the complex FFT. */
interface Pass {
  /** Radix r (2, 3, 4, 5 or 8). */
  readonly radix: number;
  /** m = L / r: butterflies per stride position. */
  readonly m: number;
  /** s: stride (product of the previous radices). */
  readonly stride: number;
  /** Twiddles w_L^{jp}, j = 1..r-1, p = 0..m-1, interleaved (re, im), index 2((r-1)p + j - 1). */
  readonly twiddles: Float64Array;
}

/** A forward complex FFT of one size, with precomputed twiddles. */
export interface ComplexFftKernel {
  /** Transform length n (complex points). */
  readonly size: number;
  /**
   * Forward transform (unscaled, `e^{-2πi kn/N}`) of the interleaved data in `a`,
   * using `b` as the other buffer (both 2n values).
   * @returns `a` or `b`: the buffer that holds the result.
   */
  run(a: Float64Array, b: Float64Array): Float64Array;
}

/** The radices of n in the order of the passes (8s, a 4 or 2, 3s, 5s); null if n is not 5-smooth. */
export function factorize(n: number): number[] | null {
  if (!Number.isInteger(n) || n < 1) return null;
  const radices: number[] = [];
  let rest = n;
  while (rest % 8 === 0) {
    radices.push(8);
    rest /= 8;
  }
  if (rest % 4 === 0) {
    radices.push(4);
    rest /= 4;
  }
  if (rest % 2 === 0) {
    radices.push(2);
    rest /= 2;
  }
  while (rest % 3 === 0) {
    radices.push(3);
    rest /= 3;
  }
  while (rest % 5 === 0) {
    radices.push(5);
    rest /= 5;
  }
  if (rest !== 1) return null;
  return radices;
}

/** Whether n is a positive integer whose only prime factors are 2, 3 and 5. */
export function isFiveSmooth(n: number): boolean {
  return factorize(n) !== null;
}

/**
 * Create the complex FFT kernel of size n (5-smooth, >= 1).
 * @param order The radices of the passes, in order (default {@linkcode factorize}); for tests
 *   and benchmarks of other pass orders.
 * @throws {RangeError} when n is not 5-smooth.
 */
export function complexFftKernel(n: number, order?: readonly number[]): ComplexFftKernel {
  const radices = order ?? factorize(n);
  if (radices === null || radices.reduce((a, b) => a * b, 1) !== n) {
    throw new RangeError(
      `Cannot create complex FFT kernel as size must be a positive 2·3·5-smooth integer: current value is ${n}`,
    );
  }
  const passes: Pass[] = [];
  let length = n, stride = 1;
  for (const radix of radices) {
    const m = length / radix;
    const twiddles = new Float64Array(2 * (radix - 1) * m);
    for (let p = 0; p < m; p++) {
      for (let j = 1; j < radix; j++) {
        // Reduce j·p modulo L before scaling so the angle is exact-ish for any size.
        const angle = (-2 * Math.PI * ((j * p) % length)) / length;
        const t = 2 * ((radix - 1) * p + j - 1);
        twiddles[t] = Math.cos(angle);
        twiddles[t + 1] = Math.sin(angle);
      }
    }
    passes.push({ radix, m, stride, twiddles });
    length = m;
    stride *= radix;
  }

  function run(a: Float64Array, b: Float64Array): Float64Array {
    let x = a, y = b;
    for (const pass of passes) {
      if (pass.m === 1) {
        lastPass(x, y, pass.radix, pass.stride);
        const t = x;
        x = y;
        y = t;
        continue;
      }
      switch (pass.radix) {
        case 8:
          radix8(x, y, pass.m, pass.stride, pass.twiddles);
          break;
        case 4:
          radix4(x, y, pass.m, pass.stride, pass.twiddles);
          break;
        case 2:
          radix2(x, y, pass.m, pass.stride, pass.twiddles);
          break;
        case 3:
          radix3(x, y, pass.m, pass.stride, pass.twiddles);
          break;
        default:
          radix5(x, y, pass.m, pass.stride, pass.twiddles);
      }
      const t = x;
      x = y;
      y = t;
    }
    return x;
  }
  return { size: n, run };
}

function lastPass(x: Float64Array, y: Float64Array, radix: number, s: number): void {
  switch (radix) {
    case 8:
      return radix8Last(x, y, s);
    case 4:
      return radix4Last(x, y, s);
    case 3:
      return radix3Last(x, y, s);
    case 5:
      return radix5Last(x, y, s);
    default:
      return radix2(x, y, 1, s, ONE);
  }
}

const ONE = new Float64Array([1, 0]);

function radix2(x: Float64Array, y: Float64Array, m: number, s: number, tw: Float64Array): void {
  const xs = 2 * s * m; // offset between inputs k and k+1
  const ys = 2 * s; // offset between outputs j and j+1
  for (let p = 0; p < m; p++) {
    const w1r = tw[2 * p]!, w1i = tw[2 * p + 1]!;
    let i = 2 * s * p, o = 2 * s * 2 * p;
    const end = i + 2 * s;
    if (p === 0) {
      for (; i < end; i += 2, o += 2) {
        const a0r = x[i]!, a0i = x[i + 1]!, a1r = x[i + xs]!, a1i = x[i + xs + 1]!;
        y[o] = a0r + a1r;
        y[o + 1] = a0i + a1i;
        y[o + ys] = a0r - a1r;
        y[o + ys + 1] = a0i - a1i;
      }
      continue;
    }
    for (; i < end; i += 2, o += 2) {
      const a0r = x[i]!, a0i = x[i + 1]!, a1r = x[i + xs]!, a1i = x[i + xs + 1]!;
      y[o] = a0r + a1r;
      y[o + 1] = a0i + a1i;
      const dr = a0r - a1r, di = a0i - a1i;
      y[o + ys] = dr * w1r - di * w1i;
      y[o + ys + 1] = dr * w1i + di * w1r;
    }
  }
}

function radix4(x: Float64Array, y: Float64Array, m: number, s: number, tw: Float64Array): void {
  const xs = 2 * s * m;
  const ys = 2 * s;
  for (let p = 0; p < m; p++) {
    const t = 6 * p;
    const w1r = tw[t]!, w1i = tw[t + 1]!;
    const w2r = tw[t + 2]!, w2i = tw[t + 3]!;
    const w3r = tw[t + 4]!, w3i = tw[t + 5]!;
    let i = 2 * s * p, o = 8 * s * p;
    const end = i + 2 * s;
    for (; i < end; i += 2, o += 2) {
      const a0r = x[i]!, a0i = x[i + 1]!;
      const a1r = x[i + xs]!, a1i = x[i + xs + 1]!;
      const a2r = x[i + 2 * xs]!, a2i = x[i + 2 * xs + 1]!;
      const a3r = x[i + 3 * xs]!, a3i = x[i + 3 * xs + 1]!;
      const t0r = a0r + a2r, t0i = a0i + a2i;
      const t1r = a0r - a2r, t1i = a0i - a2i;
      const t2r = a1r + a3r, t2i = a1i + a3i;
      const t3r = a1r - a3r, t3i = a1i - a3i;
      y[o] = t0r + t2r;
      y[o + 1] = t0i + t2i;
      // b1 = t1 - i·t3, b2 = t0 - t2, b3 = t1 + i·t3, each times its twiddle
      const b1r = t1r + t3i, b1i = t1i - t3r;
      const b2r = t0r - t2r, b2i = t0i - t2i;
      const b3r = t1r - t3i, b3i = t1i + t3r;
      y[o + ys] = b1r * w1r - b1i * w1i;
      y[o + ys + 1] = b1r * w1i + b1i * w1r;
      y[o + 2 * ys] = b2r * w2r - b2i * w2i;
      y[o + 2 * ys + 1] = b2r * w2i + b2i * w2r;
      y[o + 3 * ys] = b3r * w3r - b3i * w3i;
      y[o + 3 * ys + 1] = b3r * w3i + b3i * w3r;
    }
  }
}

const SIN60 = Math.sqrt(3) / 2;

function radix3(x: Float64Array, y: Float64Array, m: number, s: number, tw: Float64Array): void {
  const xs = 2 * s * m;
  const ys = 2 * s;
  for (let p = 0; p < m; p++) {
    const t = 4 * p;
    const w1r = tw[t]!, w1i = tw[t + 1]!;
    const w2r = tw[t + 2]!, w2i = tw[t + 3]!;
    let i = 2 * s * p, o = 6 * s * p;
    const end = i + 2 * s;
    for (; i < end; i += 2, o += 2) {
      const a0r = x[i]!, a0i = x[i + 1]!;
      const a1r = x[i + xs]!, a1i = x[i + xs + 1]!;
      const a2r = x[i + 2 * xs]!, a2i = x[i + 2 * xs + 1]!;
      const sr = a1r + a2r, si = a1i + a2i;
      const mr = a0r - 0.5 * sr, mi = a0i - 0.5 * si;
      const dr = SIN60 * (a1r - a2r), di = SIN60 * (a1i - a2i);
      y[o] = a0r + sr;
      y[o + 1] = a0i + si;
      // b1 = m - i·d, b2 = m + i·d
      const b1r = mr + di, b1i = mi - dr;
      const b2r = mr - di, b2i = mi + dr;
      y[o + ys] = b1r * w1r - b1i * w1i;
      y[o + ys + 1] = b1r * w1i + b1i * w1r;
      y[o + 2 * ys] = b2r * w2r - b2i * w2i;
      y[o + 2 * ys + 1] = b2r * w2i + b2i * w2r;
    }
  }
}

const C1 = Math.cos((2 * Math.PI) / 5), C2 = Math.cos((4 * Math.PI) / 5);
const S1 = Math.sin((2 * Math.PI) / 5), S2 = Math.sin((4 * Math.PI) / 5);

function radix5(x: Float64Array, y: Float64Array, m: number, s: number, tw: Float64Array): void {
  const xs = 2 * s * m;
  const ys = 2 * s;
  for (let p = 0; p < m; p++) {
    const t = 8 * p;
    const w1r = tw[t]!, w1i = tw[t + 1]!;
    const w2r = tw[t + 2]!, w2i = tw[t + 3]!;
    const w3r = tw[t + 4]!, w3i = tw[t + 5]!;
    const w4r = tw[t + 6]!, w4i = tw[t + 7]!;
    let i = 2 * s * p, o = 10 * s * p;
    const end = i + 2 * s;
    for (; i < end; i += 2, o += 2) {
      const a0r = x[i]!, a0i = x[i + 1]!;
      const a1r = x[i + xs]!, a1i = x[i + xs + 1]!;
      const a2r = x[i + 2 * xs]!, a2i = x[i + 2 * xs + 1]!;
      const a3r = x[i + 3 * xs]!, a3i = x[i + 3 * xs + 1]!;
      const a4r = x[i + 4 * xs]!, a4i = x[i + 4 * xs + 1]!;
      const u1r = a1r + a4r, u1i = a1i + a4i, v1r = a1r - a4r, v1i = a1i - a4i;
      const u2r = a2r + a3r, u2i = a2i + a3i, v2r = a2r - a3r, v2i = a2i - a3i;
      y[o] = a0r + u1r + u2r;
      y[o + 1] = a0i + u1i + u2i;
      // b1,4 = a0 + C1·u1 + C2·u2 ∓ i(S1·v1 + S2·v2); b2,3 = a0 + C2·u1 + C1·u2 ∓ i(S2·v1 − S1·v2)
      const pr = a0r + C1 * u1r + C2 * u2r, pi = a0i + C1 * u1i + C2 * u2i;
      const qr = S1 * v1r + S2 * v2r, qi = S1 * v1i + S2 * v2i;
      const rr = a0r + C2 * u1r + C1 * u2r, ri = a0i + C2 * u1i + C1 * u2i;
      const zr = S2 * v1r - S1 * v2r, zi = S2 * v1i - S1 * v2i;
      const b1r = pr + qi, b1i = pi - qr;
      const b4r = pr - qi, b4i = pi + qr;
      const b2r = rr + zi, b2i = ri - zr;
      const b3r = rr - zi, b3i = ri + zr;
      y[o + ys] = b1r * w1r - b1i * w1i;
      y[o + ys + 1] = b1r * w1i + b1i * w1r;
      y[o + 2 * ys] = b2r * w2r - b2i * w2i;
      y[o + 2 * ys + 1] = b2r * w2i + b2i * w2r;
      y[o + 3 * ys] = b3r * w3r - b3i * w3i;
      y[o + 3 * ys + 1] = b3r * w3i + b3i * w3r;
      y[o + 4 * ys] = b4r * w4r - b4i * w4i;
      y[o + 4 * ys + 1] = b4r * w4i + b4i * w4r;
    }
  }
}

const H = Math.SQRT1_2;

function radix8(x: Float64Array, y: Float64Array, m: number, s: number, tw: Float64Array): void {
  const xs = 2 * s * m;
  const ys = 2 * s;
  for (let p = 0; p < m; p++) {
    const t = 14 * p;
    const w1r = tw[t]!, w1i = tw[t + 1]!, w2r = tw[t + 2]!, w2i = tw[t + 3]!;
    const w3r = tw[t + 4]!, w3i = tw[t + 5]!, w4r = tw[t + 6]!, w4i = tw[t + 7]!;
    const w5r = tw[t + 8]!, w5i = tw[t + 9]!, w6r = tw[t + 10]!, w6i = tw[t + 11]!;
    const w7r = tw[t + 12]!, w7i = tw[t + 13]!;
    let i = 2 * s * p, o = 16 * s * p;
    const end = i + 2 * s;
    for (; i < end; i += 2, o += 2) {
      const a0r = x[i]!, a0i = x[i + 1]!;
      const a1r = x[i + xs]!, a1i = x[i + xs + 1]!;
      const a2r = x[i + 2 * xs]!, a2i = x[i + 2 * xs + 1]!;
      const a3r = x[i + 3 * xs]!, a3i = x[i + 3 * xs + 1]!;
      const a4r = x[i + 4 * xs]!, a4i = x[i + 4 * xs + 1]!;
      const a5r = x[i + 5 * xs]!, a5i = x[i + 5 * xs + 1]!;
      const a6r = x[i + 6 * xs]!, a6i = x[i + 6 * xs + 1]!;
      const a7r = x[i + 7 * xs]!, a7i = x[i + 7 * xs + 1]!;
      // Radix 2 × 4: u_k = a_k + a_{k+4}, v_k = (a_k − a_{k+4})·w8^k; even outputs DFT4(u), odd DFT4(v).
      const u0r = a0r + a4r, u0i = a0i + a4i, d0r = a0r - a4r, d0i = a0i - a4i;
      const u1r = a1r + a5r, u1i = a1i + a5i, d1r = a1r - a5r, d1i = a1i - a5i;
      const u2r = a2r + a6r, u2i = a2i + a6i, d2r = a2r - a6r, d2i = a2i - a6i;
      const u3r = a3r + a7r, u3i = a3i + a7i, d3r = a3r - a7r, d3i = a3i - a7i;
      const v1r = H * (d1r + d1i), v1i = H * (d1i - d1r); // ·(1 − j)/√2
      const v2r = d2i, v2i = -d2r; // ·(−j)
      const v3r = H * (d3i - d3r), v3i = -H * (d3r + d3i); // ·(−1 − j)/√2
      // DFT4 of u → b0, b2, b4, b6
      let c0r = u0r + u2r, c0i = u0i + u2i, c1r = u0r - u2r, c1i = u0i - u2i;
      let c2r = u1r + u3r, c2i = u1i + u3i, c3r = u1r - u3r, c3i = u1i - u3i;
      y[o] = c0r + c2r;
      y[o + 1] = c0i + c2i;
      let br = c1r + c3i, bi = c1i - c3r;
      y[o + 2 * ys] = br * w2r - bi * w2i;
      y[o + 2 * ys + 1] = br * w2i + bi * w2r;
      br = c0r - c2r;
      bi = c0i - c2i;
      y[o + 4 * ys] = br * w4r - bi * w4i;
      y[o + 4 * ys + 1] = br * w4i + bi * w4r;
      br = c1r - c3i;
      bi = c1i + c3r;
      y[o + 6 * ys] = br * w6r - bi * w6i;
      y[o + 6 * ys + 1] = br * w6i + bi * w6r;
      // DFT4 of v → b1, b3, b5, b7
      c0r = d0r + v2r;
      c0i = d0i + v2i;
      c1r = d0r - v2r;
      c1i = d0i - v2i;
      c2r = v1r + v3r;
      c2i = v1i + v3i;
      c3r = v1r - v3r;
      c3i = v1i - v3i;
      br = c0r + c2r;
      bi = c0i + c2i;
      y[o + ys] = br * w1r - bi * w1i;
      y[o + ys + 1] = br * w1i + bi * w1r;
      br = c1r + c3i;
      bi = c1i - c3r;
      y[o + 3 * ys] = br * w3r - bi * w3i;
      y[o + 3 * ys + 1] = br * w3i + bi * w3r;
      br = c0r - c2r;
      bi = c0i - c2i;
      y[o + 5 * ys] = br * w5r - bi * w5i;
      y[o + 5 * ys + 1] = br * w5i + bi * w5r;
      br = c1r - c3i;
      bi = c1i + c3r;
      y[o + 7 * ys] = br * w7r - bi * w7i;
      y[o + 7 * ys + 1] = br * w7i + bi * w7r;
    }
  }
}

/** The last pass of radix 3 (m = 1): every twiddle is 1. */
function radix3Last(x: Float64Array, y: Float64Array, s: number): void {
  const xs = 2 * s;
  const ys = 2 * s;
  {
    let i = 0, o = 0;
    const end = i + 2 * s;
    for (; i < end; i += 2, o += 2) {
      const a0r = x[i]!, a0i = x[i + 1]!;
      const a1r = x[i + xs]!, a1i = x[i + xs + 1]!;
      const a2r = x[i + 2 * xs]!, a2i = x[i + 2 * xs + 1]!;
      const sr = a1r + a2r, si = a1i + a2i;
      const mr = a0r - 0.5 * sr, mi = a0i - 0.5 * si;
      const dr = SIN60 * (a1r - a2r), di = SIN60 * (a1i - a2i);
      y[o] = a0r + sr;
      y[o + 1] = a0i + si;
      // b1 = m - i·d, b2 = m + i·d
      const b1r = mr + di, b1i = mi - dr;
      const b2r = mr - di, b2i = mi + dr;
      y[o + ys] = b1r;
      y[o + ys + 1] = b1i;
      y[o + 2 * ys] = b2r;
      y[o + 2 * ys + 1] = b2i;
    }
  }
}

/** The last pass of radix 4 (m = 1): every twiddle is 1. */
function radix4Last(x: Float64Array, y: Float64Array, s: number): void {
  const xs = 2 * s;
  const ys = 2 * s;
  {
    let i = 0, o = 0;
    const end = i + 2 * s;
    for (; i < end; i += 2, o += 2) {
      const a0r = x[i]!, a0i = x[i + 1]!;
      const a1r = x[i + xs]!, a1i = x[i + xs + 1]!;
      const a2r = x[i + 2 * xs]!, a2i = x[i + 2 * xs + 1]!;
      const a3r = x[i + 3 * xs]!, a3i = x[i + 3 * xs + 1]!;
      const t0r = a0r + a2r, t0i = a0i + a2i;
      const t1r = a0r - a2r, t1i = a0i - a2i;
      const t2r = a1r + a3r, t2i = a1i + a3i;
      const t3r = a1r - a3r, t3i = a1i - a3i;
      y[o] = t0r + t2r;
      y[o + 1] = t0i + t2i;
      // b1 = t1 - i·t3, b2 = t0 - t2, b3 = t1 + i·t3, each times its twiddle
      const b1r = t1r + t3i, b1i = t1i - t3r;
      const b2r = t0r - t2r, b2i = t0i - t2i;
      const b3r = t1r - t3i, b3i = t1i + t3r;
      y[o + ys] = b1r;
      y[o + ys + 1] = b1i;
      y[o + 2 * ys] = b2r;
      y[o + 2 * ys + 1] = b2i;
      y[o + 3 * ys] = b3r;
      y[o + 3 * ys + 1] = b3i;
    }
  }
}

/** The last pass of radix 5 (m = 1): every twiddle is 1. */
function radix5Last(x: Float64Array, y: Float64Array, s: number): void {
  const xs = 2 * s;
  const ys = 2 * s;
  {
    let i = 0, o = 0;
    const end = i + 2 * s;
    for (; i < end; i += 2, o += 2) {
      const a0r = x[i]!, a0i = x[i + 1]!;
      const a1r = x[i + xs]!, a1i = x[i + xs + 1]!;
      const a2r = x[i + 2 * xs]!, a2i = x[i + 2 * xs + 1]!;
      const a3r = x[i + 3 * xs]!, a3i = x[i + 3 * xs + 1]!;
      const a4r = x[i + 4 * xs]!, a4i = x[i + 4 * xs + 1]!;
      const u1r = a1r + a4r, u1i = a1i + a4i, v1r = a1r - a4r, v1i = a1i - a4i;
      const u2r = a2r + a3r, u2i = a2i + a3i, v2r = a2r - a3r, v2i = a2i - a3i;
      y[o] = a0r + u1r + u2r;
      y[o + 1] = a0i + u1i + u2i;
      // b1,4 = a0 + C1·u1 + C2·u2 ∓ i(S1·v1 + S2·v2); b2,3 = a0 + C2·u1 + C1·u2 ∓ i(S2·v1 − S1·v2)
      const pr = a0r + C1 * u1r + C2 * u2r, pi = a0i + C1 * u1i + C2 * u2i;
      const qr = S1 * v1r + S2 * v2r, qi = S1 * v1i + S2 * v2i;
      const rr = a0r + C2 * u1r + C1 * u2r, ri = a0i + C2 * u1i + C1 * u2i;
      const zr = S2 * v1r - S1 * v2r, zi = S2 * v1i - S1 * v2i;
      const b1r = pr + qi, b1i = pi - qr;
      const b4r = pr - qi, b4i = pi + qr;
      const b2r = rr + zi, b2i = ri - zr;
      const b3r = rr - zi, b3i = ri + zr;
      y[o + ys] = b1r;
      y[o + ys + 1] = b1i;
      y[o + 2 * ys] = b2r;
      y[o + 2 * ys + 1] = b2i;
      y[o + 3 * ys] = b3r;
      y[o + 3 * ys + 1] = b3i;
      y[o + 4 * ys] = b4r;
      y[o + 4 * ys + 1] = b4i;
    }
  }
}

/** The last pass of radix 8 (m = 1): every twiddle is 1. */
function radix8Last(x: Float64Array, y: Float64Array, s: number): void {
  const xs = 2 * s;
  const ys = 2 * s;
  {
    let i = 0, o = 0;
    const end = i + 2 * s;
    for (; i < end; i += 2, o += 2) {
      const a0r = x[i]!, a0i = x[i + 1]!;
      const a1r = x[i + xs]!, a1i = x[i + xs + 1]!;
      const a2r = x[i + 2 * xs]!, a2i = x[i + 2 * xs + 1]!;
      const a3r = x[i + 3 * xs]!, a3i = x[i + 3 * xs + 1]!;
      const a4r = x[i + 4 * xs]!, a4i = x[i + 4 * xs + 1]!;
      const a5r = x[i + 5 * xs]!, a5i = x[i + 5 * xs + 1]!;
      const a6r = x[i + 6 * xs]!, a6i = x[i + 6 * xs + 1]!;
      const a7r = x[i + 7 * xs]!, a7i = x[i + 7 * xs + 1]!;
      // Radix 2 × 4: u_k = a_k + a_{k+4}, v_k = (a_k − a_{k+4})·w8^k; even outputs DFT4(u), odd DFT4(v).
      const u0r = a0r + a4r, u0i = a0i + a4i, d0r = a0r - a4r, d0i = a0i - a4i;
      const u1r = a1r + a5r, u1i = a1i + a5i, d1r = a1r - a5r, d1i = a1i - a5i;
      const u2r = a2r + a6r, u2i = a2i + a6i, d2r = a2r - a6r, d2i = a2i - a6i;
      const u3r = a3r + a7r, u3i = a3i + a7i, d3r = a3r - a7r, d3i = a3i - a7i;
      const v1r = H * (d1r + d1i), v1i = H * (d1i - d1r); // ·(1 − j)/√2
      const v2r = d2i, v2i = -d2r; // ·(−j)
      const v3r = H * (d3i - d3r), v3i = -H * (d3r + d3i); // ·(−1 − j)/√2
      // DFT4 of u → b0, b2, b4, b6
      let c0r = u0r + u2r, c0i = u0i + u2i, c1r = u0r - u2r, c1i = u0i - u2i;
      let c2r = u1r + u3r, c2i = u1i + u3i, c3r = u1r - u3r, c3i = u1i - u3i;
      y[o] = c0r + c2r;
      y[o + 1] = c0i + c2i;
      let br = c1r + c3i, bi = c1i - c3r;
      y[o + 2 * ys] = br;
      y[o + 2 * ys + 1] = bi;
      br = c0r - c2r;
      bi = c0i - c2i;
      y[o + 4 * ys] = br;
      y[o + 4 * ys + 1] = bi;
      br = c1r - c3i;
      bi = c1i + c3r;
      y[o + 6 * ys] = br;
      y[o + 6 * ys + 1] = bi;
      // DFT4 of v → b1, b3, b5, b7
      c0r = d0r + v2r;
      c0i = d0i + v2i;
      c1r = d0r - v2r;
      c1i = d0i - v2i;
      c2r = v1r + v3r;
      c2i = v1i + v3i;
      c3r = v1r - v3r;
      c3i = v1i - v3i;
      br = c0r + c2r;
      bi = c0i + c2i;
      y[o + ys] = br;
      y[o + ys + 1] = bi;
      br = c1r + c3i;
      bi = c1i - c3r;
      y[o + 3 * ys] = br;
      y[o + 3 * ys + 1] = bi;
      br = c0r - c2r;
      bi = c0i - c2i;
      y[o + 5 * ys] = br;
      y[o + 5 * ys + 1] = bi;
      br = c1r - c3i;
      bi = c1i + c3r;
      y[o + 7 * ys] = br;
      y[o + 7 * ys + 1] = bi;
    }
  }
}
