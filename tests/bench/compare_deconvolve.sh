#!/usr/bin/env bash
# Side-by-side, in one run: deconvolution of a 10 s x 48 kHz x 8-channel recording of a 5 s sweep
# in spatialcal (deno bench) and in numpy/scipy (Debian's /usr/bin/python3), same algorithm.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DENO_TLS_CA_STORE=system
deno bench -A tests/bench/deconvolve_bench.ts
/usr/bin/python3 tests/bench/scipy_deconvolve_bench.py
