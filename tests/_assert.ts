/**
 * Test helpers shared by every test file.
 * @module
 */
import { AssertionError } from "node:assert/strict";

/**
 * Assert `|actual - expected| <= atol + rtol·|expected|` element-wise (numpy
 * `allclose` semantics). The failure message names the worst index.
 */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: { rtol?: number; atol?: number; message?: string } = {},
): void {
  const rtol = options.rtol ?? 1e-7;
  const atol = options.atol ?? 0;
  if (actual.length !== expected.length) {
    throw new AssertionError({
      message: `${
        options.message ?? "arrays"
      }: length ${actual.length} != expected ${expected.length}`,
    });
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number, e = expected[i] as number;
    const err = Math.abs(a - e);
    const tol = atol + rtol * Math.abs(e);
    const excess = Number.isNaN(err) ? Infinity : err - tol;
    if (excess > 0 && excess > worstExcess) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new AssertionError({
      message: `${
        options.message ?? "arrays"
      } not close (rtol=${rtol}, atol=${atol}): worst index ${worst}: actual ${
        actual[worst]
      }, expected ${expected[worst]}, |diff| ${
        Math.abs((actual[worst] as number) - (expected[worst] as number))
      }`,
    });
  }
}

/** Deterministic uniform [0, 1) generator (mulberry32) for test inputs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Energy ratio of `error` to `reference` in dB: 10·log10(Σe² / Σr²). */
export function errorDb(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let e = 0, r = 0;
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    const a = (actual[i] as number | undefined) ?? 0;
    const x = (expected[i] as number | undefined) ?? 0;
    e += (a - x) * (a - x);
    r += x * x;
  }
  return 10 * Math.log10(e / r);
}
