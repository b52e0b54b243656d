#!/usr/bin/env bash
# Whole-process `deno task fit` on a studio5 set (binaural at 72 head positions + a 72-point
# arc, 1080 captures, 2048 taps), ROUNDS (default 7) runs, median wall and CPU time
# (tests/bench/interleave.py), the load noted. Issue 14's target: <= 0.5 s. With
# --head-positions all for comparison (reads all 720 ear captures), and --beamformer matrix
# (everything but the minimax beam design).
# BEFORE=<commit>: also runs that commit's `deno task fit` (extracted with git archive)
# interleaved with today's, so a change is measured side by side on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${ROUNDS:-7}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
deno run -A tests/bench/make_fit_set.ts "$dir/set"
before=()
if [ -n "${BEFORE:-}" ]; then
  mkdir "$dir/before"
  git archive "$BEFORE" | tar -x -C "$dir/before"
  before=("deno task fit at $BEFORE" "deno run -A $dir/before/cli/fit.ts --in $dir/set --out $dir/b0 --force")
fi
/usr/bin/python3 tests/bench/interleave.py "$ROUNDS" \
  "${before[@]}" \
  "deno task fit (first position)" "deno run -A cli/fit.ts --in $dir/set --out $dir/b1 --force" \
  "deno task fit --head-positions all" "deno run -A cli/fit.ts --in $dir/set --out $dir/b2 --force --head-positions all" \
  "deno task fit --beamformer matrix" "deno run -A cli/fit.ts --in $dir/set --out $dir/b3 --force --beamformer matrix"
