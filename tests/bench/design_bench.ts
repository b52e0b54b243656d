/**
 * Filter-design timings at studio5 size (2049 bins of a 4096-point FFT, 5
 * drivers) and the per-bin complex solver against a batched numpy
 * equivalent. The numpy side (`tests/bench/numpy_solver_bench.py`, Debian
 * `/usr/bin/python3`) runs once when this file loads and its numbers are
 * printed beside Deno's, so one `deno bench` run reports both.
 *
 * Run: `deno bench -A tests/bench/design_bench.ts`
 */
import {
  type ComplexMatrixStack,
  createComplexMatrixStack,
  minimumNormSolve,
  solve,
} from "../../dsp/complex_linalg.ts";
import { designBeamformer } from "../../design/beamformer.ts";
import { designCrosstalkCanceller } from "../../design/crosstalk_canceller.ts";
import { realizeFir } from "../../design/fir.ts";
import { upmixStereo } from "../../design/upmix.ts";
import { seededRandom } from "../_assert.ts";
import { arcPlant, earPlant, FIVE_DRIVERS_Y } from "../design/_plants.ts";

const BINS = 2049;

function randomStack(rows: number, cols: number, seed: number): ComplexMatrixStack {
  const rand = seededRandom(seed);
  const A = createComplexMatrixStack(rows, cols, BINS);
  for (let i = 0; i < A.re.length; i++) {
    A.re[i] = rand() - 0.5;
    A.im[i] = rand() - 0.5;
  }
  return A;
}

// The numpy reference, once, outside every timed region.
try {
  const out = new Deno.Command("/usr/bin/python3", {
    args: [new URL("./numpy_solver_bench.py", import.meta.url).pathname, "--json"],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (out.success) {
    const { numpy, results } = JSON.parse(new TextDecoder().decode(out.stdout));
    console.log(`numpy ${numpy} (batched, 1 BLAS thread) for comparison:`);
    for (
      const [name, r] of Object.entries(
        results as Record<string, { meanMs: number; bestMs: number }>,
      )
    ) {
      console.log(
        `  numpy ${name}: mean ${r.meanMs.toFixed(3)} ms, best ${r.bestMs.toFixed(3)} ms`,
      );
    }
  } else {
    console.log(`numpy reference failed: ${new TextDecoder().decode(out.stderr)}`);
  }
} catch (error) {
  console.log(`numpy reference not run: ${(error as Error).message}`);
}

for (const n of [2, 5, 8]) {
  const A = randomStack(n, n, n), B = randomStack(n, 1, 10 + n);
  solve(A, B); // warm-up
  Deno.bench(`solve ${n}x${n} x ${BINS} bins`, { group: "solver" }, () => {
    solve(A, B);
  });
}
{
  const A = randomStack(2, 5, 20), B = randomStack(2, 2, 21);
  Deno.bench(`minimumNormSolve 2x5 (2 rhs) x ${BINS} bins`, { group: "solver" }, () => {
    minimumNormSolve(A, B, 1e-3);
  });
}

const ears = earPlant(FIVE_DRIVERS_Y);
const arc = arcPlant(FIVE_DRIVERS_Y);
Deno.bench("designCrosstalkCanceller 2 ears x 5 drivers x 2049 bins (with virtualizer)", {
  group: "design",
}, () => {
  designCrosstalkCanceller(ears);
});
Deno.bench("designBeamformer 72 azimuths x 5 drivers x 2049 bins", { group: "design" }, () => {
  designBeamformer(arc);
});
const ctc = designCrosstalkCanceller(ears);
Deno.bench(
  "realizeFir 5 drivers x 2 inputs, 4096-point grid -> 2048 taps",
  { group: "design" },
  () => {
    realizeFir(ctc.weights, { taps: 2048, shiftSamples: 1024 });
  },
);
{
  const rand = seededRandom(5);
  const left = Float64Array.from({ length: 480000 }, () => rand() - 0.5);
  const right = Float64Array.from({ length: 480000 }, () => rand() - 0.5);
  Deno.bench("upmixStereo 10 s x 48 kHz", { group: "upmix" }, () => {
    upmixStereo(left, right, { sampleRate: 48000 });
  });
}
