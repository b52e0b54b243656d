#!/usr/bin/env bash
# Whole-process `deno task fit` on a studio5 set (binaural at 72 head positions + a 72-point
# arc, 1080 captures, 2048 taps), ROUNDS (default 7) runs, median wall and CPU time
# (tests/bench/interleave.py), the load noted. Issue 14's target: <= 0.5 s. With
# --head-positions all for comparison (reads all 720 ear captures).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${ROUNDS:-7}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
deno run -A tests/bench/make_fit_set.ts "$dir/set"
/usr/bin/python3 tests/bench/interleave.py "$ROUNDS" \
  "deno task fit (first position)" "deno run -A cli/fit.ts --in $dir/set --out $dir/b1 --force" \
  "deno task fit --head-positions all" "deno run -A cli/fit.ts --in $dir/set --out $dir/b2 --force --head-positions all"
