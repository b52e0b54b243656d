import assert from "node:assert/strict";
import { Matrix, SingularValueDecomposition, solve as mlSolve } from "ml-matrix";
import { assertAllClose, seededRandom } from "../_assert.ts";
import {
  type ComplexMatrixStack,
  conditionNumber,
  createComplexMatrixStack,
  hermitian,
  identityStack,
  minimumNormSolve,
  multiply,
  regularizedLeastSquares,
  singularValues,
  solve,
  stackIndex,
} from "../../dsp/complex_linalg.ts";

function randomStack(rows: number, cols: number, bins: number, seed: number): ComplexMatrixStack {
  const rand = seededRandom(seed);
  const A = createComplexMatrixStack(rows, cols, bins);
  for (let i = 0; i < A.re.length; i++) {
    A.re[i] = rand() * 2 - 1;
    A.im[i] = rand() * 2 - 1;
  }
  return A;
}

/** Real embedding [[Re, -Im], [Im, Re]] of matrix `bin` (2m × 2n): the ml-matrix reference. */
function embed(A: ComplexMatrixStack, bin: number): Matrix {
  const E = new Matrix(2 * A.rows, 2 * A.cols);
  for (let r = 0; r < A.rows; r++) {
    for (let c = 0; c < A.cols; c++) {
      const i = stackIndex(A, bin, r, c);
      E.set(r, c, A.re[i]!);
      E.set(r, c + A.cols, -A.im[i]!);
      E.set(r + A.rows, c, A.im[i]!);
      E.set(r + A.rows, c + A.cols, A.re[i]!);
    }
  }
  return E;
}

/** Right-hand side embedding [[Re], [Im]] (2m × k). */
function embedRhs(B: ComplexMatrixStack, bin: number): Matrix {
  const E = new Matrix(2 * B.rows, B.cols);
  for (let r = 0; r < B.rows; r++) {
    for (let c = 0; c < B.cols; c++) {
      const i = stackIndex(B, bin, r, c);
      E.set(r, c, B.re[i]!);
      E.set(r + B.rows, c, B.im[i]!);
    }
  }
  return E;
}

function column(X: ComplexMatrixStack, bin: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < X.rows; r++) {
    for (let c = 0; c < X.cols; c++) out.push(X.re[stackIndex(X, bin, r, c)]!);
  }
  for (let r = 0; r < X.rows; r++) {
    for (let c = 0; c < X.cols; c++) out.push(X.im[stackIndex(X, bin, r, c)]!);
  }
  return out;
}

function flat(M: Matrix): number[] {
  return M.to1DArray();
}

const SHAPES: [number, number][] = [[2, 2], [2, 5], [5, 5], [8, 8]];

Deno.test("solve() matches ml-matrix on the real embedding to 1e-10 for 2×2, 5×5, 8×8", () => {
  for (const [n] of SHAPES.filter(([r, c]) => r === c)) {
    const A = randomStack(n, n, 16, 10 + n);
    const B = randomStack(n, 3, 16, 20 + n);
    const X = solve(A, B);
    for (let b = 0; b < 16; b++) {
      const ref = mlSolve(embed(A, b), embedRhs(B, b));
      // Random well-conditioned O(1) systems: LU round-off is ~1e-14; 1e-10 leaves margin for cond ~1e3.
      assertAllClose(column(X, b), flat(ref), { atol: 1e-10, message: `${n}×${n} bin ${b}` });
    }
  }
});

Deno.test("regularizedLeastSquares() matches (EᵀE + βI)⁻¹EᵀB on the real embedding to 1e-10", () => {
  for (const [m, n] of [[2, 2], [5, 2], [5, 5], [8, 8], [2, 5]] as const) {
    const bins = 8;
    const A = randomStack(m, n, bins, 30 + m * n);
    const B = randomStack(m, 2, bins, 40 + m * n);
    const beta = Float64Array.from({ length: bins }, (_, b) => 0.01 * (b + 1));
    const X = regularizedLeastSquares(A, B, beta);
    for (let b = 0; b < bins; b++) {
      const E = embed(A, b);
      const G = E.transpose().mmul(E).add(Matrix.eye(2 * n).mul(beta[b]!));
      const ref = mlSolve(G, E.transpose().mmul(embedRhs(B, b)));
      // β ≥ 0.01 bounds cond(G) by ~1e3 for O(1) entries.
      assertAllClose(column(X, b), flat(ref), { atol: 1e-10, message: `${m}×${n} bin ${b}` });
    }
  }
});

Deno.test("minimumNormSolve() equals regularizedLeastSquares() for wide 2×5 and 2×8 plants (push-through identity)", () => {
  for (const n of [5, 8]) {
    const A = randomStack(2, n, 12, 50 + n);
    const B = randomStack(2, 2, 12, 60 + n);
    const a = minimumNormSolve(A, B, 0.05);
    const b = regularizedLeastSquares(A, B, 0.05);
    // Two algebraically equal forms; both well conditioned with β = 0.05.
    assertAllClose(a.re, b.re, { atol: 1e-10 });
    assertAllClose(a.im, b.im, { atol: 1e-10 });
  }
});

Deno.test("minimumNormSolve() with β = 0 solves a wide 2×5 system exactly and matches the ml-matrix pseudo-inverse", () => {
  const A = randomStack(2, 5, 6, 70);
  const B = randomStack(2, 2, 6, 71);
  const X = minimumNormSolve(A, B, 0);
  const AX = multiply(A, X);
  // Exact solve of a random full-row-rank system: round-off only.
  assertAllClose(AX.re, B.re, { atol: 1e-12 });
  assertAllClose(AX.im, B.im, { atol: 1e-12 });
  for (let b = 0; b < 6; b++) {
    const E = embed(A, b);
    const ref = E.transpose().mmul(mlSolve(E.mmul(E.transpose()), embedRhs(B, b)));
    assertAllClose(column(X, b), flat(ref), { atol: 1e-10 });
  }
});

Deno.test("hermitian() and multiply() match the real embedding: emb(AᴴB) = emb(A)ᵀ·emb(B)", () => {
  const A = randomStack(5, 2, 4, 80);
  const B = randomStack(5, 3, 4, 81);
  const C = multiply(hermitian(A), B);
  assert.equal(C.rows, 2);
  assert.equal(C.cols, 3);
  for (let b = 0; b < 4; b++) {
    const ref = embed(A, b).transpose().mmul(embedRhs(B, b));
    // A handful of O(1) products: round-off ~1e-15.
    assertAllClose(column(C, b), flat(ref), { atol: 1e-12 });
  }
});

Deno.test("singularValues() matches ml-matrix SVD of the embedding (each σ doubled) for 2×2, 2×5, 5×5, 8×8", () => {
  for (const [m, n] of SHAPES) {
    const A = randomStack(m, n, 4, 90 + m * n);
    const s = singularValues(A);
    const p = Math.min(m, n);
    for (let b = 0; b < 4; b++) {
      const ref = new SingularValueDecomposition(embed(A, b), { autoTranspose: true }).diagonal
        .sort((x, y) => y - x);
      const expected = Array.from({ length: p }, (_, i) => ref[2 * i]!);
      // Jacobi SVD is accurate to a few ulps of σ_max.
      assertAllClose(s.subarray(b * p, (b + 1) * p), expected, { atol: 1e-12 });
    }
  }
});

Deno.test("conditionNumber() is 1 for the identity and Infinity for a rank-deficient bin", () => {
  const I = identityStack(3, 2);
  I.re[stackIndex(I, 1, 2, 2)] = 0;
  const k = conditionNumber(I);
  assertAllClose([k[0]!], [1], { atol: 1e-15 });
  assert.equal(k[1], Infinity);
});

Deno.test("near-singular and singular plants give finite regularized solutions, never NaN", () => {
  // Two identical driver columns (singular) and two nearly identical ones (cond ~1e12).
  const bins = 4;
  const A = randomStack(2, 2, bins, 100);
  for (let b = 0; b < bins; b++) {
    for (let r = 0; r < 2; r++) {
      const i0 = stackIndex(A, b, r, 0), i1 = stackIndex(A, b, r, 1);
      const eps = b < 2 ? 0 : 1e-12;
      A.re[i1] = A.re[i0]! * (1 + eps);
      A.im[i1] = A.im[i0]!;
    }
  }
  const B = identityStack(2, bins);
  for (const X of [regularizedLeastSquares(A, B, 1e-3), minimumNormSolve(A, B, 1e-3)]) {
    for (let i = 0; i < X.re.length; i++) {
      assert.ok(Number.isFinite(X.re[i]!) && Number.isFinite(X.im[i]!), `entry ${i} finite`);
    }
    // ‖X‖² ≤ ‖B‖²/(4β) bounds a Tikhonov solution: 2 columns × 1/(4·1e-3) = 500.
    let norm = 0;
    for (let i = 0; i < X.re.length / bins; i++) norm += X.re[i]! ** 2 + X.im[i]! ** 2;
    assert.ok(norm <= 500, `norm ${norm}`);
  }
});

Deno.test("solve() throws RangeError naming the singular bin", () => {
  const A = identityStack(2, 3);
  A.re[stackIndex(A, 1, 1, 1)] = 0;
  assert.throws(() => solve(A, identityStack(2, 3)), {
    name: "RangeError",
    message:
      "Cannot solve linear systems as A must be non-singular in every bin: bin 1 has a zero or non-finite pivot",
  });
});

Deno.test("regularizedLeastSquares() and minimumNormSolve() with β = 0 throw on a singular bin", () => {
  const A = createComplexMatrixStack(2, 2, 1);
  const B = identityStack(2, 1);
  assert.throws(() => regularizedLeastSquares(A, B, 0), {
    name: "RangeError",
    message:
      "Cannot solve regularized least squares as AᴴA + βI must be non-singular in every bin: bin 0 is singular with beta 0 (use beta > 0)",
  });
  assert.throws(() => minimumNormSolve(A, B, 0), {
    name: "RangeError",
    message:
      "Cannot solve minimum-norm system as AAᴴ + βI must be non-singular in every bin: bin 0 is singular with beta 0 (use beta > 0)",
  });
});

Deno.test("shape, bin and beta errors name both sides", () => {
  const A = randomStack(2, 3, 4, 1);
  assert.throws(() => solve(A, randomStack(2, 1, 4, 2)), {
    name: "RangeError",
    message: "Cannot solve linear systems as A must be square: A is 2×3",
  });
  assert.throws(() => solve(identityStack(2, 4), randomStack(3, 1, 4, 2)), {
    name: "RangeError",
    message: "Cannot solve linear systems as B.rows must equal A.rows: A is 2×2, B is 3×1",
  });
  assert.throws(() => multiply(A, randomStack(3, 1, 5, 2)), {
    name: "RangeError",
    message:
      "Cannot multiply matrix stacks as A and B must have the same number of bins: A has 4, B has 5",
  });
  assert.throws(() => multiply(A, A), {
    name: "RangeError",
    message: "Cannot multiply matrix stacks as A.cols must equal B.rows: A is 2×3, B is 2×3",
  });
  assert.throws(() => regularizedLeastSquares(A, randomStack(2, 1, 4, 3), -1), {
    name: "RangeError",
    message:
      "Cannot solve regularized least squares as beta must be a finite number >= 0: current value is -1",
  });
  assert.throws(() => minimumNormSolve(A, randomStack(2, 1, 4, 3), [1, 1]), {
    name: "RangeError",
    message:
      "Cannot solve minimum-norm system as beta must have one value per bin (4): current length is 2",
  });
  assert.throws(() => minimumNormSolve(A, randomStack(2, 1, 4, 3), [1, NaN, 1, 1]), {
    name: "RangeError",
    message:
      "Cannot solve minimum-norm system as beta must be finite and >= 0 in every bin: bin 1 is NaN",
  });
  assert.throws(() => createComplexMatrixStack(0, 1, 1), {
    name: "RangeError",
    message:
      "Cannot create complex matrix stack as rows must be an integer >= 1: current value is 0",
  });
  assert.throws(() => createComplexMatrixStack(2, 2, 2, { re: [1], im: [1] }), {
    name: "RangeError",
    message:
      "Cannot create complex matrix stack as re and im must have bins·rows·cols = 8 entries: re has 1, im has 1",
  });
  const bad = { rows: 2, cols: 2, bins: 1, re: new Float64Array(3), im: new Float64Array(4) };
  assert.throws(() => hermitian(bad), {
    name: "TypeError",
    message:
      "Cannot take conjugate transpose as A must hold bins·rows·cols = 4 entries in re and im: re has 3, im has 4",
  });
});
