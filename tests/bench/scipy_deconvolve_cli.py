#!/usr/bin/python3
"""A careful scipy user's whole-process deconvolution: the reference `deno task deconvolve` is
timed against (tests/bench/compare_deconvolve.sh runs both, interleaved).

Usage: /usr/bin/python3 tests/bench/scipy_deconvolve_cli.py SWEEP_JSON REC_WAV OUT_WAV [--loopback K]

The same work as the CLI with its defaults: regenerate the sweep from sweep.json (the same
formula), read the WAV (scipy.io.wavfile, channels made contiguous), the regularized division
H = Y conj(X) / (|X|^2 + eps(f)) on the same 5-smooth grid rule as measure/deconvolve.ts
(scipy.fft.next_fast_len(max(M, irLength) + L ln K fs + 4 ms, real=True)), rfft/irfft with
workers=1, the latency from the loopback channel, the IR and the harmonic windows 2..5 cut out,
peak-to-noise ratio and THD per channel, the IR written as float32 WAV.
"""
import json
import sys

import numpy as np
import scipy.fft as sfft
import scipy.io.wavfile as wavfile


def sweep_from_json(p):
    fs, f1, L = p["sampleRate"], p["startHz"], p["rateSeconds"]
    n = p["lengthSamples"]
    t = np.arange(n) / fs
    w = np.ones(n)
    fin, fout = round(p["fadeInSeconds"] * fs), round(p["fadeOutSeconds"] * fs)
    if fin > 0:
        w[:fin] = 0.5 - 0.5 * np.cos(np.pi * np.arange(fin) / fin)
    if fout > 0:
        from_end = np.arange(n)[::-1]
        tail = from_end < fout
        w[tail] *= 0.5 - 0.5 * np.cos(np.pi * from_end[tail] / fout)
    amp = 10 ** (p["levelDbfs"] / 20)
    return amp * w * np.sin(2 * np.pi * f1 * L * np.expm1(t / L))


def main():
    sweep_path, rec_path, out_path = sys.argv[1:4]
    loopback = int(sys.argv[5]) - 1 if len(sys.argv) > 5 and sys.argv[4] == "--loopback" else None
    with open(sweep_path) as f:
        p = json.load(f)
    fs, f1, f2, L = p["sampleRate"], p["startHz"], p["endHz"], p["rateSeconds"]
    x = sweep_from_json(p)
    rate, data = wavfile.read(rec_path)
    rec = np.ascontiguousarray(data.T, dtype=np.float64)  # channels contiguous
    C, M = rec.shape
    K, pre = 5, round(0.004 * fs)
    ir_len = max(M - len(x), round(0.1 * fs))
    adv = int(np.ceil(L * np.log(K) * fs))
    N = sfft.next_fast_len(max(M, ir_len) + adv + pre, real=True)
    amp = np.max(np.abs(x))
    X = sfft.rfft(x / amp, N, workers=1)
    f = np.arange(N // 2 + 1) * fs / N
    with np.errstate(divide="ignore"):
        out = np.maximum(0, np.maximum(np.log2(f1 / f), np.log2(f / f2)))
    w = 0.5 - 0.5 * np.cos(np.pi * np.minimum(1, out))
    P = X.real ** 2 + X.imag ** 2
    G = np.conj(X) / (P + P.max() * (1e-12 + w)) / amp
    shift = 0
    if loopback is not None:
        h = sfft.irfft(sfft.rfft(rec[loopback], N, workers=1) * G, N, workers=1)
        shift = int(np.argmax(np.abs(h[: N - adv])))
    hl = max(64, min(ir_len, int(np.floor(L * np.log((K + 1) / K) * fs)) - pre))
    irs = np.empty((C, ir_len), dtype=np.float32)
    report = []
    for c in range(C):
        h = sfft.irfft(sfft.rfft(rec[c], N, workers=1) * G, N, workers=1)
        ir = np.roll(h, -shift)[:ir_len]
        irs[c] = ir
        harm = [np.roll(h, -(shift - round(L * np.log(n) * fs) - pre))[: hl + pre] for n in range(2, K + 1)]
        lin = np.roll(h, -(shift - pre))[: hl + pre]
        lin_e = np.sum(np.abs(sfft.rfft(lin)) ** 2)
        thd = 100 * np.sqrt(sum(np.sum(np.abs(sfft.rfft(hh)) ** 2) for hh in harm) / lin_e)
        noise = np.mean(ir[3 * ir_len // 4:] ** 2)
        snr = 10 * np.log10(np.max(ir ** 2) / noise) if noise > 0 else np.inf
        report.append((c + 1, round(float(snr), 1), round(float(thd), 3)))
    wavfile.write(out_path, fs, irs.T)
    for c, snr, thd in report:
        print(f"channel {c}: SNR {snr} dB, THD {thd} %")


if __name__ == "__main__":
    main()
