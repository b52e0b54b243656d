#!/usr/bin/python3
"""FFT kernels side by side (issue 14): rounds of tests/bench/fft_timing.ts (Deno, float64 and
float32) alternating with the same timing in scipy (rfft + irfft, workers=1, glibc told to keep
freed memory so scipy's outputs do not page-fault); prints the median over rounds of each
round's median, and the ratio to scipy. Run: /usr/bin/python3 tests/bench/fft_ratios.py [ROUNDS]
from the repository root."""
import json
import os
import statistics
import subprocess
import sys
import time

os.environ["MALLOC_MMAP_THRESHOLD_"] = "1073741824"  # only honoured at start: re-exec once
os.environ["MALLOC_TRIM_THRESHOLD_"] = "1073741824"
if os.environ.get("_FFT_RATIOS_CHILD") != "1":
    os.environ["_FFT_RATIOS_CHILD"] = "1"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402
import scipy.fft  # noqa: E402

SIZES = [(f"2^{e}", 2 ** e) for e in range(16, 22)] + [("480000", 480000), ("559872", 559872)]


def scipy_round():
    rng = np.random.default_rng(5)
    out = {}
    for label, size in SIZES:
        x = rng.random(size) - 0.5
        reps = max(9, round(2 ** 23 / size))
        times = []
        for r in range(reps + 2):
            t0 = time.perf_counter()
            scipy.fft.irfft(scipy.fft.rfft(x, workers=1), size, workers=1)
            if r >= 2:
                times.append((time.perf_counter() - t0) * 1000)
        out[label] = statistics.median(times)
    return out


def deno_round(*args):
    done = subprocess.run(["deno", "run", "-A", "tests/bench/fft_timing.ts", *args],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    runs = {"scipy": [], "deno float64": [], "deno float32": []}
    for _ in range(rounds):
        runs["scipy"].append(scipy_round())
        runs["deno float64"].append(deno_round())
        runs["deno float32"].append(deno_round("float32"))
    med = {k: {label: statistics.median(r[label] for r in v) for label, _ in SIZES} for k, v in runs.items()}
    print(f"rfft + irfft, ms (median of {rounds} interleaved rounds); ratio to scipy workers=1")
    print(f"{'size':>8s} {'scipy':>8s} {'float64':>8s} {'x':>5s} {'float32':>8s} {'x':>5s}")
    for label, _ in SIZES:
        s, d, f = med["scipy"][label], med["deno float64"][label], med["deno float32"][label]
        print(f"{label:>8s} {s:8.2f} {d:8.2f} {d / s:5.2f} {f:8.2f} {f / s:5.2f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
