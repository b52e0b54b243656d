#!/usr/bin/python3
"""Time in Debian's scipy what tests/bench/fft_bench.ts times in Deno.

Run: /usr/bin/python3 tests/bench/scipy_fft_bench.py
Reports the mean and the best time per call over repeated runs (inputs made
once, outside the timed region; float64 throughout).
"""
import timeit

import numpy as np
import scipy
import scipy.fft
import scipy.signal

SAMPLE_RATE = 48000


def sweep(duration_seconds):
    n = round(duration_seconds * SAMPLE_RATE)
    f1, f2 = 20.0, 20000.0
    rate = np.log(f2 / f1)
    t = np.arange(n) / SAMPLE_RATE
    return 0.5 * np.sin(2 * np.pi * f1 * duration_seconds / rate
                        * (np.exp(t / duration_seconds * rate) - 1))


def report(name, fn, number):
    fn()  # warm-up (plan caches, page faults)
    runs = timeit.repeat(fn, number=number, repeat=7)
    per_call = [r / number for r in runs]
    print(f"{name:62s} mean {np.mean(per_call) * 1e3:8.3f} ms   best {min(per_call) * 1e3:8.3f} ms")


def main():
    print(f"scipy {scipy.__version__}, numpy {np.__version__}")
    rng = np.random.default_rng(1)
    # Issue 14's sizes, workers=1. Run with MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ set
    # high (compare_deconvolve.sh does) so the outputs reuse freed memory instead of faulting.
    sizes = [(f"2^{e}", 2 ** e) for e in range(16, 22)] + [("480000", 480000), ("559872", 559872)]
    for label, size in sizes:
        x = rng.random(size) - 0.5
        report(f"rfft + irfft {label} (workers=1)",
               lambda x=x, size=size: scipy.fft.irfft(scipy.fft.rfft(x, workers=1), size, workers=1),
               number=max(1, 2 ** 21 // size))
    signal10s = rng.random(10 * SAMPLE_RATE) - 0.5
    sweep2s = sweep(2)
    report("fftconvolve 10 s x 48 kHz (480000) with a 2 s sweep (96000)",
           lambda: scipy.signal.fftconvolve(signal10s, sweep2s), number=3)
    # fftconvolve pads to a fast 5-smooth size; time a power-of-two padding too, as ours does.
    n = len(signal10s) + len(sweep2s) - 1
    size = 1 << (n - 1).bit_length()
    report(f"  same via rfft/irfft at the next power of two ({size})",
           lambda: scipy.fft.irfft(scipy.fft.rfft(signal10s, size) * scipy.fft.rfft(sweep2s, size),
                                   size)[:n], number=3)


if __name__ == "__main__":
    main()
