#!/usr/bin/env bash
# Side-by-side, in one run (issue 14):
# 1. whole process, interleaved: `deno task deconvolve` (float64, float32) against a careful scipy
#    user's script (tests/bench/scipy_deconvolve_cli.py: same WAV in/out, same 5-smooth grid
#    rule, workers=1) on a 10 s sweep recorded as 11.6 s x 8 channels float32 at 48 kHz; prints
#    medians and ratios (tests/bench/interleave.py). ROUNDS (default 7) sets the rounds.
# 2. in-process kernels: deno bench of deconvolve() and the FFTs, and the same in scipy.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DENO_TLS_CA_STORE=system
ROUNDS="${ROUNDS:-7}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
deno run -A tests/measure/_sweep_recording.ts "$dir" 10 11.6 8
py=/usr/bin/python3
# glibc keeps freed big blocks for reuse instead of unmapping them, so numpy's FFT outputs do
# not page-fault on every call (performance notes: 9127 faults per 2^20 rfft + irfft otherwise).
fast_malloc="MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824"
common="--sweep $dir/sweep.json --recording $dir/rec.wav --loopback-channel 1 --force"
$py tests/bench/interleave.py "$ROUNDS" \
  "scipy script (reference)" "$fast_malloc $py tests/bench/scipy_deconvolve_cli.py $dir/sweep.json $dir/rec.wav $dir/ir-scipy.wav --loopback 1" \
  "deno task deconvolve" "deno run -A cli/deconvolve.ts $common --out $dir/ir64.wav" \
  "deno task deconvolve float32" "deno run -A cli/deconvolve.ts $common --out $dir/ir32.wav --fft-precision float32"
if [ "${KERNELS:-1}" = 1 ]; then
  deno bench -A tests/bench/deconvolve_bench.ts tests/bench/fft_bench.ts
  $fast_malloc $py tests/bench/scipy_deconvolve_bench.py
  $fast_malloc $py tests/bench/scipy_fft_bench.py
fi
