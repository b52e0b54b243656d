/**
 * Batched complex linear algebra for small per-frequency-bin systems.
 *
 * Acoustic plants (ears × drivers, microphones × drivers) are small complex
 * matrices, one per FFT bin. A {@linkcode ComplexMatrixStack} holds `bins`
 * such matrices of equal shape `rows × cols`, planar (separate real and
 * imaginary arrays, as every complex quantity in this project), row-major
 * inside each bin:
 *
 * ```text
 * index(bin, r, c) = (bin·rows + r)·cols + c
 * ```
 *
 * Every function here loops over the bins with small preallocated scratch
 * buffers and never allocates per bin. The cost per bin is O(n³) in the
 * matrix size; the functions target n ≤ 8 (larger sizes work, just slowly).
 * `npm:ml-matrix` has no complex type: solving through its real
 * 2m×2n embedding was measured ~200× slower, so it is only used by the
 * tests as an independent reference.
 *
 * Conventions: `Aᴴ` is the conjugate transpose. Regularization constants β
 * are absolute (same units as |A|²), either one number for all bins or one
 * per bin (frequency-dependent regularization after Kirkeby et al.).
 *
 * References:
 * 1. O. Kirkeby, P. A. Nelson, H. Hamada, F. Orduna-Bustamante, "Fast
 *    deconvolution of multichannel systems using regularization", IEEE Trans.
 *    Speech Audio Process. 6(2), 1998.
 * 2. G. H. Golub, C. F. Van Loan, "Matrix Computations", 4th ed., 2013:
 *    §3.4 (Gaussian elimination with partial pivoting), §8.6.3 (one-sided
 *    Jacobi SVD).
 *
 * @module
 */

/** `bins` complex matrices of shape `rows × cols`, planar, index `(bin·rows + r)·cols + c`. */
export interface ComplexMatrixStack {
  /** Rows per matrix (e.g. ears or microphones). */
  readonly rows: number;
  /** Columns per matrix (e.g. drivers). */
  readonly cols: number;
  /** Number of matrices (frequency bins). */
  readonly bins: number;
  /** Real parts, length `bins·rows·cols`. */
  readonly re: Float64Array;
  /** Imaginary parts, length `bins·rows·cols`. */
  readonly im: Float64Array;
}

/** Regularization: one β ≥ 0 for every bin, or one per bin. */
export type Regularization = number | ArrayLike<number>;

/**
 * Create a zero-filled {@linkcode ComplexMatrixStack}, or wrap given arrays
 * after checking their lengths.
 *
 * @param rows Rows per matrix, integer >= 1.
 * @param cols Columns per matrix, integer >= 1.
 * @param bins Number of matrices, integer >= 1.
 * @param data Optional planar data of length `bins·rows·cols` each (copied).
 * @returns The stack.
 * @throws {RangeError} for non-positive or non-integer sizes, or data of the wrong length.
 *
 * @example
 * ```ts
 * import { createComplexMatrixStack } from "./complex_linalg.ts";
 * const A = createComplexMatrixStack(2, 2, 1);
 * A.re[0] = 1; A.re[3] = 1; // identity in bin 0
 * ```
 */
export function createComplexMatrixStack(
  rows: number,
  cols: number,
  bins: number,
  data?: { readonly re: ArrayLike<number>; readonly im: ArrayLike<number> },
): ComplexMatrixStack {
  for (const [name, value] of [["rows", rows], ["cols", cols], ["bins", bins]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(
        `Cannot create complex matrix stack as ${name} must be an integer >= 1: current value is ${value}`,
      );
    }
  }
  const size = rows * cols * bins;
  if (data === undefined) {
    return { rows, cols, bins, re: new Float64Array(size), im: new Float64Array(size) };
  }
  if (data.re.length !== size || data.im.length !== size) {
    throw new RangeError(
      `Cannot create complex matrix stack as re and im must have bins·rows·cols = ${size} entries: re has ${data.re.length}, im has ${data.im.length}`,
    );
  }
  return { rows, cols, bins, re: Float64Array.from(data.re), im: Float64Array.from(data.im) };
}

/** Flat index of entry (r, c) of matrix `bin` in a stack of shape rows × cols. */
export function stackIndex(stack: ComplexMatrixStack, bin: number, r: number, c: number): number {
  return (bin * stack.rows + r) * stack.cols + c;
}

/**
 * The columns `cols` of every matrix of a stack, in that order:
 * `out[b](r, j) = A[b](r, cols[j])`. The stack itself is returned when `cols`
 * is `0..A.cols − 1` in order (nothing to select).
 *
 * @param A A rows × cols stack.
 * @param cols Column indices in [0, A.cols), at least one; repeats allowed.
 * @returns A rows × cols.length stack.
 * @throws {RangeError} for an empty list or an index outside the stack.
 *
 * @example
 * ```ts
 * import { createComplexMatrixStack, selectColumns } from "./complex_linalg.ts";
 * const A = createComplexMatrixStack(1, 3, 1, { re: [1, 2, 3], im: [0, 0, 0] });
 * selectColumns(A, [2, 0]).re; // Float64Array [3, 1]
 * ```
 */
export function selectColumns(A: ComplexMatrixStack, cols: readonly number[]): ComplexMatrixStack {
  checkIndices("select columns", "cols", cols, A.cols);
  if (cols.length === A.cols && cols.every((c, i) => c === i)) return A;
  const out = createComplexMatrixStack(A.rows, cols.length, A.bins);
  for (let b = 0; b < A.bins; b++) {
    for (let r = 0; r < A.rows; r++) {
      cols.forEach((c, j) => {
        out.re[stackIndex(out, b, r, j)] = A.re[stackIndex(A, b, r, c)] as number;
        out.im[stackIndex(out, b, r, j)] = A.im[stackIndex(A, b, r, c)] as number;
      });
    }
  }
  return out;
}

/**
 * Scatter the rows of every matrix of a stack into `n` rows, zeros elsewhere:
 * `out[b](rows[j], c) = W[b](j, c)` — the inverse of selecting rows `rows`
 * (a design on a subset of drivers expanded to all of them). The stack itself
 * is returned when `rows` is `0..n − 1` in order.
 *
 * @param W A rows.length × cols stack.
 * @param rows Distinct target row of each of W's rows, in [0, n).
 * @param n Rows of the result.
 * @returns An n × W.cols stack.
 * @throws {RangeError} when `rows` does not have one entry per row of W or an index is outside [0, n).
 *
 * @example
 * ```ts
 * import { createComplexMatrixStack, expandRows } from "./complex_linalg.ts";
 * const W = createComplexMatrixStack(2, 1, 1, { re: [5, 7], im: [0, 0] });
 * expandRows(W, [0, 2], 3).re; // Float64Array [5, 0, 7]
 * ```
 */
export function expandRows(
  W: ComplexMatrixStack,
  rows: readonly number[],
  n: number,
): ComplexMatrixStack {
  if (rows.length !== W.rows) {
    throw new RangeError(
      `Cannot expand rows as rows must name one target row per row of the stack (${W.rows}): current length is ${rows.length}`,
    );
  }
  checkIndices("expand rows", "rows", rows, n);
  if (rows.length === n && rows.every((r, i) => r === i)) return W;
  const out = createComplexMatrixStack(n, W.cols, W.bins);
  for (let b = 0; b < W.bins; b++) {
    rows.forEach((r, j) => {
      for (let c = 0; c < W.cols; c++) {
        out.re[stackIndex(out, b, r, c)] = W.re[stackIndex(W, b, j, c)] as number;
        out.im[stackIndex(out, b, r, c)] = W.im[stackIndex(W, b, j, c)] as number;
      }
    });
  }
  return out;
}

function checkIndices(
  action: string,
  name: string,
  indices: readonly number[],
  size: number,
): void {
  if (indices.length === 0) {
    throw new RangeError(`Cannot ${action} as ${name} must name at least one index: it is empty`);
  }
  const bad = indices.find((i) => !Number.isInteger(i) || i < 0 || i >= size);
  if (bad !== undefined) {
    throw new RangeError(
      `Cannot ${action} as ${name} must be integers in [0, ${size}): current value is ${bad}`,
    );
  }
}

/**
 * The identity matrix of size n in every bin.
 *
 * @param n Matrix size, integer >= 1.
 * @param bins Number of bins, integer >= 1.
 */
export function identityStack(n: number, bins: number): ComplexMatrixStack {
  const I = createComplexMatrixStack(n, n, bins);
  for (let b = 0; b < bins; b++) {
    for (let i = 0; i < n; i++) I.re[(b * n + i) * n + i] = 1;
  }
  return I;
}

function checkStack(action: string, name: string, A: ComplexMatrixStack): void {
  const size = A.rows * A.cols * A.bins;
  if (A.re.length !== size || A.im.length !== size) {
    throw new TypeError(
      `Cannot ${action} as ${name} must hold bins·rows·cols = ${size} entries in re and im: re has ${A.re.length}, im has ${A.im.length}`,
    );
  }
}

function checkBins(action: string, A: ComplexMatrixStack, B: ComplexMatrixStack): void {
  if (A.bins !== B.bins) {
    throw new RangeError(
      `Cannot ${action} as A and B must have the same number of bins: A has ${A.bins}, B has ${B.bins}`,
    );
  }
}

function regularizationAt(
  action: string,
  beta: Regularization,
  bins: number,
): (bin: number) => number {
  if (typeof beta === "number") {
    if (!Number.isFinite(beta) || beta < 0) {
      throw new RangeError(
        `Cannot ${action} as beta must be a finite number >= 0: current value is ${beta}`,
      );
    }
    return () => beta;
  }
  if (beta.length !== bins) {
    throw new RangeError(
      `Cannot ${action} as beta must have one value per bin (${bins}): current length is ${beta.length}`,
    );
  }
  for (let b = 0; b < bins; b++) {
    const v = beta[b] as number;
    if (!Number.isFinite(v) || v < 0) {
      throw new RangeError(
        `Cannot ${action} as beta must be finite and >= 0 in every bin: bin ${b} is ${v}`,
      );
    }
  }
  return (bin) => beta[bin] as number;
}

/**
 * Conjugate transpose of every matrix: `X[b] = A[b]ᴴ` (cols × rows).
 *
 * @param A Stack of shape m × n.
 * @returns Stack of shape n × m.
 */
export function hermitian(A: ComplexMatrixStack): ComplexMatrixStack {
  checkStack("take conjugate transpose", "A", A);
  const { rows: m, cols: n, bins } = A;
  const X = createComplexMatrixStack(n, m, bins);
  for (let b = 0; b < bins; b++) {
    const base = b * m * n;
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        X.re[base + c * m + r] = A.re[base + r * n + c] as number;
        X.im[base + c * m + r] = -(A.im[base + r * n + c] as number);
      }
    }
  }
  return X;
}

/**
 * Per-bin matrix product `X[b] = A[b]·B[b]`.
 *
 * @param A Stack m × k.
 * @param B Stack k × n, same bins.
 * @returns Stack m × n.
 * @throws {RangeError} when the inner sizes or bin counts differ.
 */
export function multiply(A: ComplexMatrixStack, B: ComplexMatrixStack): ComplexMatrixStack {
  const action = "multiply matrix stacks";
  checkStack(action, "A", A);
  checkStack(action, "B", B);
  checkBins(action, A, B);
  if (A.cols !== B.rows) {
    throw new RangeError(
      `Cannot ${action} as A.cols must equal B.rows: A is ${A.rows}×${A.cols}, B is ${B.rows}×${B.cols}`,
    );
  }
  const m = A.rows, k = A.cols, n = B.cols;
  const X = createComplexMatrixStack(m, n, A.bins);
  for (let b = 0; b < A.bins; b++) {
    const aBase = b * m * k, bBase = b * k * n, xBase = b * m * n;
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        let sr = 0, si = 0;
        for (let i = 0; i < k; i++) {
          const ar = A.re[aBase + r * k + i] as number, ai = A.im[aBase + r * k + i] as number;
          const br = B.re[bBase + i * n + c] as number, bi = B.im[bBase + i * n + c] as number;
          sr += ar * br - ai * bi;
          si += ar * bi + ai * br;
        }
        X.re[xBase + r * n + c] = sr;
        X.im[xBase + r * n + c] = si;
      }
    }
  }
  return X;
}

/**
 * Kernel: solve `M·X = R` in place for one n×n system by Gaussian
 * elimination with partial pivoting [2, §3.4]. `M` (n×n) and `R` (n×k) are
 * row-major scratch arrays starting at offset 0; on return `R` holds X.
 *
 * @returns false when a pivot is exactly zero or not finite (singular system).
 * @internal
 */
export function luSolveInPlace(
  n: number,
  k: number,
  mRe: Float64Array,
  mIm: Float64Array,
  rRe: Float64Array,
  rIm: Float64Array,
): boolean {
  for (let col = 0; col < n; col++) {
    // Partial pivoting on |m|² (the largest modulus in this column).
    let pivot = col;
    let best = -1;
    for (let r = col; r < n; r++) {
      const re = mRe[r * n + col] as number, im = mIm[r * n + col] as number;
      const mag = re * re + im * im;
      if (mag > best) {
        best = mag;
        pivot = r;
      }
    }
    if (!(best > 0) || !Number.isFinite(best)) return false;
    if (pivot !== col) {
      for (let c = 0; c < n; c++) {
        const a = col * n + c, p = pivot * n + c;
        let t = mRe[a] as number;
        mRe[a] = mRe[p] as number;
        mRe[p] = t;
        t = mIm[a] as number;
        mIm[a] = mIm[p] as number;
        mIm[p] = t;
      }
      for (let c = 0; c < k; c++) {
        const a = col * k + c, p = pivot * k + c;
        let t = rRe[a] as number;
        rRe[a] = rRe[p] as number;
        rRe[p] = t;
        t = rIm[a] as number;
        rIm[a] = rIm[p] as number;
        rIm[p] = t;
      }
    }
    // 1 / pivot
    const pr = mRe[col * n + col] as number, pi = mIm[col * n + col] as number;
    const invRe = pr / best, invIm = -pi / best;
    for (let r = col + 1; r < n; r++) {
      const xr = mRe[r * n + col] as number, xi = mIm[r * n + col] as number;
      if (xr === 0 && xi === 0) continue;
      const fr = xr * invRe - xi * invIm, fi = xr * invIm + xi * invRe; // factor = m[r][col] / pivot
      for (let c = col + 1; c < n; c++) {
        const ur = mRe[col * n + c] as number, ui = mIm[col * n + c] as number;
        mRe[r * n + c]! -= fr * ur - fi * ui;
        mIm[r * n + c]! -= fr * ui + fi * ur;
      }
      mRe[r * n + col] = 0;
      mIm[r * n + col] = 0;
      for (let c = 0; c < k; c++) {
        const ur = rRe[col * k + c] as number, ui = rIm[col * k + c] as number;
        rRe[r * k + c]! -= fr * ur - fi * ui;
        rIm[r * k + c]! -= fr * ui + fi * ur;
      }
    }
  }
  // Back substitution.
  for (let row = n - 1; row >= 0; row--) {
    const pr = mRe[row * n + row] as number, pi = mIm[row * n + row] as number;
    const d = pr * pr + pi * pi;
    const invRe = pr / d, invIm = -pi / d;
    for (let c = 0; c < k; c++) {
      let sr = rRe[row * k + c] as number, si = rIm[row * k + c] as number;
      for (let j = row + 1; j < n; j++) {
        const ar = mRe[row * n + j] as number, ai = mIm[row * n + j] as number;
        const xr = rRe[j * k + c] as number, xi = rIm[j * k + c] as number;
        sr -= ar * xr - ai * xi;
        si -= ar * xi + ai * xr;
      }
      rRe[row * k + c] = sr * invRe - si * invIm;
      rIm[row * k + c] = sr * invIm + si * invRe;
    }
  }
  return true;
}

/**
 * Solve the square systems `A[b]·X[b] = B[b]` for every bin by LU
 * decomposition with partial pivoting [2, §3.4].
 *
 * @param A Stack n × n (n ≤ 8 intended).
 * @param B Stack n × k, same bins.
 * @returns X, stack n × k.
 * @throws {RangeError} when A is not square, shapes or bins differ, or a bin is exactly singular
 *   (use {@linkcode regularizedLeastSquares} with β > 0 for plants that may be singular).
 *
 * @example
 * ```ts
 * import { createComplexMatrixStack, identityStack, solve } from "./complex_linalg.ts";
 * const B = createComplexMatrixStack(2, 1, 1, { re: [1, 2], im: [0, 0] });
 * const X = solve(identityStack(2, 1), B); // X = B
 * ```
 */
export function solve(A: ComplexMatrixStack, B: ComplexMatrixStack): ComplexMatrixStack {
  const action = "solve linear systems";
  checkStack(action, "A", A);
  checkStack(action, "B", B);
  checkBins(action, A, B);
  if (A.rows !== A.cols) {
    throw new RangeError(`Cannot ${action} as A must be square: A is ${A.rows}×${A.cols}`);
  }
  if (B.rows !== A.rows) {
    throw new RangeError(
      `Cannot ${action} as B.rows must equal A.rows: A is ${A.rows}×${A.cols}, B is ${B.rows}×${B.cols}`,
    );
  }
  const n = A.rows, k = B.cols;
  const X = createComplexMatrixStack(n, k, A.bins);
  const mRe = new Float64Array(n * n), mIm = new Float64Array(n * n);
  for (let b = 0; b < A.bins; b++) {
    mRe.set(A.re.subarray(b * n * n, (b + 1) * n * n));
    mIm.set(A.im.subarray(b * n * n, (b + 1) * n * n));
    const rRe = X.re.subarray(b * n * k, (b + 1) * n * k);
    const rIm = X.im.subarray(b * n * k, (b + 1) * n * k);
    rRe.set(B.re.subarray(b * n * k, (b + 1) * n * k));
    rIm.set(B.im.subarray(b * n * k, (b + 1) * n * k));
    if (!luSolveInPlace(n, k, mRe, mIm, rRe, rIm)) {
      throw new RangeError(
        `Cannot ${action} as A must be non-singular in every bin: bin ${b} has a zero or non-finite pivot`,
      );
    }
  }
  return X;
}

/**
 * Regularized least squares per bin (Tikhonov; Kirkeby et al. [1]):
 *
 * ```text
 * X[b] = (A[b]ᴴ·A[b] + β[b]·I)⁻¹ · A[b]ᴴ · B[b]
 * ```
 *
 * minimizes ‖A·X − B‖² + β‖X‖² per column. With β > 0 the normal matrix is
 * Hermitian positive definite, so the result is finite for any finite A,
 * including singular plants. Best for tall or square A (m ≥ n); for wide A
 * use {@linkcode minimumNormSolve}, which gives the same X with a smaller
 * system.
 *
 * @param A Stack m × n (the plant).
 * @param B Stack m × k (the desired responses), same bins.
 * @param beta β ≥ 0, absolute (units of |A|²), one number or one per bin.
 * @returns X, stack n × k.
 * @throws {RangeError} for mismatched shapes, invalid β, or β = 0 with a singular AᴴA.
 */
export function regularizedLeastSquares(
  A: ComplexMatrixStack,
  B: ComplexMatrixStack,
  beta: Regularization,
): ComplexMatrixStack {
  const action = "solve regularized least squares";
  checkStack(action, "A", A);
  checkStack(action, "B", B);
  checkBins(action, A, B);
  if (B.rows !== A.rows) {
    throw new RangeError(
      `Cannot ${action} as B.rows must equal A.rows: A is ${A.rows}×${A.cols}, B is ${B.rows}×${B.cols}`,
    );
  }
  const betaAt = regularizationAt(action, beta, A.bins);
  const m = A.rows, n = A.cols, k = B.cols;
  const X = createComplexMatrixStack(n, k, A.bins);
  const gRe = new Float64Array(n * n), gIm = new Float64Array(n * n);
  for (let b = 0; b < A.bins; b++) {
    const aBase = b * m * n, bBase = b * m * k;
    // G = AᴴA + βI (Hermitian: fill the upper triangle, mirror).
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let sr = 0, si = 0;
        for (let r = 0; r < m; r++) {
          const ar = A.re[aBase + r * n + i] as number, ai = A.im[aBase + r * n + i] as number;
          const br = A.re[aBase + r * n + j] as number, bi = A.im[aBase + r * n + j] as number;
          sr += ar * br + ai * bi; // conj(a)·b
          si += ar * bi - ai * br;
        }
        gRe[i * n + j] = sr;
        gIm[i * n + j] = si;
        gRe[j * n + i] = sr;
        gIm[j * n + i] = -si;
      }
      gIm[i * n + i] = 0;
      gRe[i * n + i]! += betaAt(b);
    }
    // R = AᴴB, written straight into X's slot.
    const rRe = X.re.subarray(b * n * k, (b + 1) * n * k);
    const rIm = X.im.subarray(b * n * k, (b + 1) * n * k);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        let sr = 0, si = 0;
        for (let r = 0; r < m; r++) {
          const ar = A.re[aBase + r * n + i] as number, ai = A.im[aBase + r * n + i] as number;
          const br = B.re[bBase + r * k + c] as number, bi = B.im[bBase + r * k + c] as number;
          sr += ar * br + ai * bi;
          si += ar * bi - ai * br;
        }
        rRe[i * k + c] = sr;
        rIm[i * k + c] = si;
      }
    }
    if (!luSolveInPlace(n, k, gRe, gIm, rRe, rIm)) {
      throw new RangeError(
        `Cannot ${action} as AᴴA + βI must be non-singular in every bin: bin ${b} is singular with beta ${
          betaAt(b)
        } (use beta > 0)`,
      );
    }
  }
  return X;
}

/**
 * Regularized minimum-norm solution per bin, for wide plants (m ≤ n, more
 * drivers than control points):
 *
 * ```text
 * X[b] = A[b]ᴴ · (A[b]·A[b]ᴴ + β[b]·I)⁻¹ · B[b]
 * ```
 *
 * With β = 0 and A of full row rank this is the exact solution of A·X = B
 * with the least drive effort ‖X‖²; with β > 0 it equals
 * {@linkcode regularizedLeastSquares} (push-through identity) but inverts an
 * m×m instead of an n×n matrix [1].
 *
 * @param A Stack m × n.
 * @param B Stack m × k, same bins.
 * @param beta β ≥ 0, absolute (units of |A|²), one number or one per bin.
 * @returns X, stack n × k.
 * @throws {RangeError} for mismatched shapes, invalid β, or β = 0 with a singular AAᴴ.
 */
export function minimumNormSolve(
  A: ComplexMatrixStack,
  B: ComplexMatrixStack,
  beta: Regularization,
): ComplexMatrixStack {
  const action = "solve minimum-norm system";
  checkStack(action, "A", A);
  checkStack(action, "B", B);
  checkBins(action, A, B);
  if (B.rows !== A.rows) {
    throw new RangeError(
      `Cannot ${action} as B.rows must equal A.rows: A is ${A.rows}×${A.cols}, B is ${B.rows}×${B.cols}`,
    );
  }
  const betaAt = regularizationAt(action, beta, A.bins);
  const m = A.rows, n = A.cols, k = B.cols;
  const X = createComplexMatrixStack(n, k, A.bins);
  const gRe = new Float64Array(m * m), gIm = new Float64Array(m * m);
  const yRe = new Float64Array(m * k), yIm = new Float64Array(m * k);
  for (let b = 0; b < A.bins; b++) {
    const aBase = b * m * n, bBase = b * m * k;
    // G = AAᴴ + βI
    for (let i = 0; i < m; i++) {
      for (let j = i; j < m; j++) {
        let sr = 0, si = 0;
        for (let c = 0; c < n; c++) {
          const ar = A.re[aBase + i * n + c] as number, ai = A.im[aBase + i * n + c] as number;
          const br = A.re[aBase + j * n + c] as number, bi = A.im[aBase + j * n + c] as number;
          sr += ar * br + ai * bi; // a_i · conj(a_j)
          si += ai * br - ar * bi;
        }
        gRe[i * m + j] = sr;
        gIm[i * m + j] = si;
        gRe[j * m + i] = sr;
        gIm[j * m + i] = -si;
      }
      gIm[i * m + i] = 0;
      gRe[i * m + i]! += betaAt(b);
    }
    yRe.set(B.re.subarray(bBase, bBase + m * k));
    yIm.set(B.im.subarray(bBase, bBase + m * k));
    if (!luSolveInPlace(m, k, gRe, gIm, yRe, yIm)) {
      throw new RangeError(
        `Cannot ${action} as AAᴴ + βI must be non-singular in every bin: bin ${b} is singular with beta ${
          betaAt(b)
        } (use beta > 0)`,
      );
    }
    // X = Aᴴ·Y
    const xBase = b * n * k;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        let sr = 0, si = 0;
        for (let r = 0; r < m; r++) {
          const ar = A.re[aBase + r * n + i] as number, ai = A.im[aBase + r * n + i] as number;
          const yr = yRe[r * k + c] as number, yi = yIm[r * k + c] as number;
          sr += ar * yr + ai * yi;
          si += ar * yi - ai * yr;
        }
        X.re[xBase + i * k + c] = sr;
        X.im[xBase + i * k + c] = si;
      }
    }
  }
  return X;
}

/**
 * Singular values of every matrix, by one-sided (Hestenes) Jacobi rotations
 * on the columns of A (or of Aᵀ when A is wide) [2, §8.6.3]. Accurate to
 * round-off relative to σ_max without squaring the condition number.
 *
 * @param A Stack m × n.
 * @returns `bins·min(m, n)` values, descending within each bin
 *   (`σ[b·p + i]`, p = min(m, n)).
 */
export function singularValues(A: ComplexMatrixStack): Float64Array {
  checkStack("compute singular values", "A", A);
  const { rows: m, cols: n, bins } = A;
  const wide = n > m;
  const p = wide ? m : n; // number of vectors rotated
  const len = wide ? n : m; // length of each vector
  const vRe = new Float64Array(p * len), vIm = new Float64Array(p * len);
  const out = new Float64Array(bins * p);
  const sig = new Float64Array(p);
  for (let b = 0; b < bins; b++) {
    const base = b * m * n;
    // Vector j, element t stored at j·len + t.
    for (let j = 0; j < p; j++) {
      for (let t = 0; t < len; t++) {
        const idx = wide ? base + j * n + t : base + t * n + j;
        vRe[j * len + t] = A.re[idx] as number;
        vIm[j * len + t] = A.im[idx] as number;
      }
    }
    for (let sweep = 0; sweep < 60; sweep++) {
      let rotated = false;
      for (let i = 0; i < p - 1; i++) {
        for (let j = i + 1; j < p; j++) {
          let alpha = 0, beta = 0, gr = 0, gi = 0;
          for (let t = 0; t < len; t++) {
            const xr = vRe[i * len + t] as number, xi = vIm[i * len + t] as number;
            const yr = vRe[j * len + t] as number, yi = vIm[j * len + t] as number;
            alpha += xr * xr + xi * xi;
            beta += yr * yr + yi * yi;
            gr += xr * yr + xi * yi; // conj(x)·y
            gi += xr * yi - xi * yr;
          }
          const gAbs = Math.hypot(gr, gi);
          if (gAbs === 0 || gAbs <= 1e-15 * Math.sqrt(alpha * beta)) continue;
          rotated = true;
          // Rotate (x, y·e^{-jφ}) with the real Jacobi rotation that zeroes the Gram entry.
          const zeta = (beta - alpha) / (2 * gAbs);
          const tan = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
          const cos = 1 / Math.sqrt(1 + tan * tan), sin = cos * tan;
          const er = gr / gAbs, ei = -gi / gAbs; // e^{-jφ}
          for (let t = 0; t < len; t++) {
            const xr = vRe[i * len + t] as number, xi = vIm[i * len + t] as number;
            const y0r = vRe[j * len + t] as number, y0i = vIm[j * len + t] as number;
            const yr = y0r * er - y0i * ei, yi = y0r * ei + y0i * er;
            vRe[i * len + t] = cos * xr - sin * yr;
            vIm[i * len + t] = cos * xi - sin * yi;
            vRe[j * len + t] = sin * xr + cos * yr;
            vIm[j * len + t] = sin * xi + cos * yi;
          }
        }
      }
      if (!rotated) break;
    }
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let t = 0; t < len; t++) {
        s += (vRe[j * len + t] as number) ** 2 + (vIm[j * len + t] as number) ** 2;
      }
      sig[j] = Math.sqrt(s);
    }
    sig.sort();
    for (let j = 0; j < p; j++) out[b * p + j] = sig[p - 1 - j] as number;
  }
  return out;
}

/**
 * 2-norm condition number σ_max/σ_min of every matrix (Infinity for a
 * rank-deficient bin, NaN never: an all-zero bin gives Infinity). A
 * diagnostic for how hard a plant is to invert; regularize bins whose
 * condition number exceeds ~1e3 (60 dB of dynamic range).
 *
 * @param A Stack m × n.
 * @returns One value per bin.
 */
export function conditionNumber(A: ComplexMatrixStack): Float64Array {
  const p = Math.min(A.rows, A.cols);
  const s = singularValues(A);
  const out = new Float64Array(A.bins);
  for (let b = 0; b < A.bins; b++) {
    const hi = s[b * p] as number, lo = s[b * p + p - 1] as number;
    out[b] = lo > 0 ? hi / lo : Infinity;
  }
  return out;
}
