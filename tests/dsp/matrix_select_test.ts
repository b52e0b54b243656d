import assert from "node:assert/strict";
import { assertAllClose, seededRandom } from "../_assert.ts";
import {
  type ComplexMatrixStack,
  createComplexMatrixStack,
  expandRows,
  multiply,
  selectColumns,
  stackIndex,
} from "../../dsp/complex_linalg.ts";

function randomStack(rows: number, cols: number, bins: number, seed: number): ComplexMatrixStack {
  const random = seededRandom(seed);
  const n = rows * cols * bins;
  return createComplexMatrixStack(rows, cols, bins, {
    re: Array.from({ length: n }, () => random() - 0.5),
    im: Array.from({ length: n }, () => random() - 0.5),
  });
}

Deno.test("selectColumns() picks columns in the given order, repeats included, in every bin", () => {
  const A = randomStack(3, 5, 4, 1);
  const cols = [4, 1, 1];
  const S = selectColumns(A, cols);
  assert.deepEqual([S.rows, S.cols, S.bins], [3, 3, 4]);
  for (let b = 0; b < A.bins; b++) {
    for (let r = 0; r < A.rows; r++) {
      cols.forEach((c, j) => {
        assert.equal(S.re[stackIndex(S, b, r, j)], A.re[stackIndex(A, b, r, c)]);
        assert.equal(S.im[stackIndex(S, b, r, j)], A.im[stackIndex(A, b, r, c)]);
      });
    }
  }
  assert.equal(selectColumns(A, [0, 1, 2, 3, 4]), A); // nothing to select: the same stack
});

Deno.test("expandRows() is the adjoint of selectColumns(): A·expandRows(W) = selectColumns(A)·W", () => {
  // A design on drivers [0, 2, 3] of 5, expanded to all 5, drives the plant exactly as the
  // sub-plant driven by the design: the identity fit relies on. Exact up to rounding (the
  // zeros add nothing), so 1e-15.
  const A = randomStack(2, 5, 3, 2);
  const use = [0, 2, 3];
  const W = randomStack(use.length, 2, 3, 3);
  const full = expandRows(W, use, 5);
  const left = multiply(A, full), right = multiply(selectColumns(A, use), W);
  assertAllClose(left.re, right.re, { atol: 1e-15 });
  assertAllClose(left.im, right.im, { atol: 1e-15 });
  // rows not in `use` are zero
  for (let b = 0; b < 3; b++) {
    for (const r of [1, 4]) {
      for (let c = 0; c < 2; c++) assert.equal(full.re[stackIndex(full, b, r, c)], 0);
    }
  }
});

Deno.test("selectColumns() and expandRows() name the bad index or length", () => {
  const A = randomStack(2, 3, 1, 4);
  assert.throws(() => selectColumns(A, [0, 3]), {
    name: "RangeError",
    message: "Cannot select columns as cols must be integers in [0, 3): current value is 3",
  });
  assert.throws(() => selectColumns(A, []), {
    name: "RangeError",
    message: "Cannot select columns as cols must name at least one index: it is empty",
  });
  assert.throws(() => expandRows(A, [0], 4), {
    name: "RangeError",
    message:
      "Cannot expand rows as rows must name one target row per row of the stack (2): current length is 1",
  });
  assert.throws(() => expandRows(A, [0, -1], 4), {
    name: "RangeError",
    message: "Cannot expand rows as rows must be integers in [0, 4): current value is -1",
  });
});
