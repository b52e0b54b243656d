#!/usr/bin/python3
"""Time in Debian's numpy the per-bin complex solves tests/bench/design_bench.ts times in Deno.

Run: /usr/bin/python3 tests/bench/numpy_solver_bench.py [--json]
Batched numpy equivalents on a (bins, n, n) complex128 stack, 2049 bins (a
4096-point real FFT): np.linalg.solve for n = 2, 5, 8, and the Kirkeby
minimum-norm form Aᴴ(AAᴴ + βI)⁻¹B for a 2 × 5 plant. Inputs are made once,
outside the timed region; reports mean and best time per call.
"""
import json
import os
import sys
import timeit

# One BLAS thread: the Deno side is single-threaded, and the machine's 2 cores are shared.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

BINS = 2049


def report(name, fn, number, results):
    fn()  # warm-up
    runs = timeit.repeat(fn, number=number, repeat=7)
    per_call = [r / number for r in runs]
    results[name] = {"meanMs": float(np.mean(per_call) * 1e3), "bestMs": float(min(per_call) * 1e3)}


def main():
    rng = np.random.default_rng(1)
    results = {}
    for n in (2, 5, 8):
        a = rng.standard_normal((BINS, n, n)) + 1j * rng.standard_normal((BINS, n, n))
        b = rng.standard_normal((BINS, n, 1)) + 1j * rng.standard_normal((BINS, n, 1))
        report(f"solve {n}x{n} x {BINS} bins", lambda a=a, b=b: np.linalg.solve(a, b), 20, results)
    a = rng.standard_normal((BINS, 2, 5)) + 1j * rng.standard_normal((BINS, 2, 5))
    b = rng.standard_normal((BINS, 2, 2)) + 1j * rng.standard_normal((BINS, 2, 2))
    beta = np.full((BINS, 1, 1), 1e-3)
    eye = np.eye(2)

    def min_norm():
        ah = np.conj(np.swapaxes(a, 1, 2))
        return ah @ np.linalg.solve(a @ ah + beta * eye, b)

    report(f"minimumNormSolve 2x5 (2 rhs) x {BINS} bins", min_norm, 20, results)
    if "--json" in sys.argv:
        print(json.dumps({"numpy": np.__version__, "results": results}))
    else:
        print(f"numpy {np.__version__}")
        for name, r in results.items():
            print(f"{name:48s} mean {r['meanMs']:8.3f} ms   best {r['bestMs']:8.3f} ms")


if __name__ == "__main__":
    main()
