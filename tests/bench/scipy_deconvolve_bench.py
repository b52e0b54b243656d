"""Same work as tests/bench/deconvolve_bench.ts in numpy/scipy (Debian's, /usr/bin/python3):
a 5 s synchronized sweep, a 10 s x 48 kHz x 8-channel recording, the regularized spectral
division H = Y conj(X) / (|X|^2 + eps(f)) on one FFT grid, the IR and harmonic windows cut out.
Prints milliseconds per call (best and mean of repeated runs)."""
import time
import numpy as np
import scipy
import scipy.signal
import scipy.fft as sfft

fs = 48000
f1, f2, T, level = 20.0, 20000.0, 5.0, 10 ** (-12 / 20)
L = round(f1 * T / np.log(f2 / f1)) / f1
n = int(np.ceil(L * np.log(f2 / f1) * fs))
t = np.arange(n) / fs
x = level * np.sin(2 * np.pi * f1 * L * np.expm1(t / L))
fin, fout = round(L * np.log(2) / 3 * fs), round(L * np.log(2) / 24 * fs)
x[:fin] *= 0.5 - 0.5 * np.cos(np.pi * np.arange(fin) / fin)
x[n - fout:] *= (0.5 - 0.5 * np.cos(np.pi * np.arange(fout) / fout))[::-1]

rng = np.random.default_rng(42)
length = 10 * fs
rec = np.zeros((8, length))
for c in range(8):
    h = np.zeros(2048)
    h[100 + 10 * c] = 0.5
    h[400 + 7 * c] = -0.2
    y = scipy.signal.fftconvolve(x, h)[:length]
    rec[c, :len(y)] = y
    rec[c] += 1e-4 * (rng.random(length) - 0.5)


def deconvolve(rec):
    K, ir_len = 5, fs
    adv = int(np.ceil(L * np.log(K) * fs))
    # The grid rule of measure/deconvolve.ts: the smallest 5-smooth size holding the recording
    # and the harmonic windows without folding (circular division).
    N = sfft.next_fast_len(max(length, ir_len) + adv + 192, real=True)
    X = sfft.rfft(x / level, N, workers=1)
    f = np.arange(N // 2 + 1) * fs / N
    with np.errstate(divide="ignore"):
        out = np.maximum(0, np.maximum(np.log2(f1 / f), np.log2(f / f2)))
    w = 0.5 - 0.5 * np.cos(np.pi * np.minimum(1, out))
    p = np.abs(X) ** 2
    G = np.conj(X) / (p + p.max() * (1e-12 + w))
    H = sfft.irfft(sfft.rfft(rec, N, axis=1, workers=1) * G / level, N, axis=1, workers=1)
    ir = H[:, :ir_len]
    harmonics = [np.roll(H, int(round(L * np.log(k) * fs)) + 192, axis=1)[:, :4000] for k in range(2, K + 1)]
    return ir, harmonics


times = []
for _ in range(10):
    t0 = time.perf_counter()
    deconvolve(rec)
    times.append((time.perf_counter() - t0) * 1000)
print(f"scipy {scipy.__version__} numpy {np.__version__}: deconvolve 10 s x 48 kHz x 8 ch: "
      f"best {min(times):.1f} ms, mean {np.mean(times):.1f} ms")
