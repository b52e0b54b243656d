"""scipy.signal.resample_poly on the same work as tests/bench/resample_bench.ts (10 s stereo
44.1 -> 48 kHz): scipy's default kernel, and our default kernel handed to it as its FIR."""
import timeit
import numpy as np
import scipy.signal as s

x = np.random.default_rng(2026).uniform(-1, 1, (2, 441000))
h = s.firwin(2 * 80 * 160 + 1, 0.95 / 160, window=("kaiser", 12))
for name, fn in [
    ("scipy default kernel (H = 10, beta = 5)", lambda: s.resample_poly(x, 160, 147, axis=1)),
    ("our default kernel (H = 80, beta = 12)", lambda: s.resample_poly(x, 160, 147, axis=1, window=h)),
]:
    t = min(timeit.repeat(fn, number=1, repeat=5))
    print(f"{name}: {t * 1000:.1f} ms (best of 5)")

# Clock-drift correction (resample_bench.ts "resampleAt"): 1 s mono by 20001/20000 (50 ppm),
# our default kernel as its FIR (2·80·20001 + 1 taps, built once outside the timing).
y = np.random.default_rng(2026).uniform(-1, 1, 48000)
hd = s.firwin(2 * 80 * 20001 + 1, 0.95 / 20001, window=("kaiser", 12))
t = min(timeit.repeat(lambda: s.resample_poly(y, 20001, 20000, window=hd), number=1, repeat=5))
print(f"drift 20001/20000, 1 s mono, our kernel: {t * 1000:.1f} ms (best of 5)")
