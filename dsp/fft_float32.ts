/**
 * A fast single-precision real FFT: PFFFT (J. Pommier) compiled to
 * WebAssembly with SIMD (`npm:@echogarden/pffft-wasm`), behind the same
 * {@linkcode RealFftPlan} interface as the 64-bit mixed-radix plans of
 * `fft.ts`. Spectra are still returned as `Float64Array`s; only the
 * transform itself runs in float32, so results carry float32 round-off
 * (relative error about 1e-7, i.e. an error floor near −130 dB at 2^20
 * points), which is below what any acoustic measurement resolves.
 *
 * Sizes: 2·3·5-smooth multiples of 32 (PFFFT's real transform needs a
 * multiple of 32; `nextFastSize(n, 32)` gives the smallest one >= n).
 * The WebAssembly module loads once, synchronously, at the first plan (~15 ms); the float64
 * path never loads it.
 *
 * @module
 */
// The package's own loader (an Emscripten factory) initializes Deno's Node.js compatibility
// layer: ~200 ms per process. This module instead instantiates the package's WebAssembly file
// itself, synchronously, at the first float32 plan; the import below only keeps the package
// installed and resolvable (its factory is never called).
import PFFFT from "pffft-wasm/simd";
import { isFiveSmooth, type RealFftPlan, type Spectrum } from "./fft.ts";

void PFFFT;

/** The PFFFT functions used, by their C names. */
interface Pffft {
  readonly memory: WebAssembly.Memory;
  pffft_new_setup(n: number, transform: number): number;
  pffft_transform_ordered(
    setup: number,
    input: number,
    output: number,
    work: number,
    direction: number,
  ): void;
  pffft_aligned_malloc(bytes: number): number;
}

/**
 * The export and import names of `@echogarden/pffft-wasm` 0.4.2's `dist/simd/pffft.wasm` (as
 * its `pffft.js` maps them; the version is pinned in deno.json).
 */
const EXPORTS = { memory: "d", ctors: "e", malloc: "f", newSetup: "k", transform: "p" } as const;

let loaded: Pffft | undefined;

function pffft(): Pffft {
  if (loaded) return loaded;
  const url = new URL("pffft.wasm", import.meta.resolve("pffft-wasm/simd"));
  const module = new WebAssembly.Module(Deno.readFileSync(url));
  const heap: { memory?: WebAssembly.Memory } = {}; // set once instantiated
  const imports = {
    a: {
      a: () => { // __assert_fail
        throw new Error("Cannot run PFFFT as an internal assertion failed");
      },
      b: (requested: number) => { // emscripten_resize_heap: grow to at least `requested` bytes
        const have = heap.memory!.buffer.byteLength;
        const want = Math.max(requested >>> 0, 2 * have);
        try {
          heap.memory!.grow(Math.ceil((want - have) / 65536));
          return 1;
        } catch {
          return 0;
        }
      },
      c: (dest: number, src: number, count: number) => { // _emscripten_memcpy_js
        new Uint8Array(heap.memory!.buffer).copyWithin(dest, src, src + count);
      },
    },
  };
  const exports = new WebAssembly.Instance(module, imports).exports as Record<string, unknown>;
  for (const name of Object.values(EXPORTS)) {
    if (exports[name] === undefined) {
      throw new Error(
        `Cannot load PFFFT as "${url}" does not export "${name}": the pffft-wasm version differs from 0.4.2`,
      );
    }
  }
  const memory = exports[EXPORTS.memory] as WebAssembly.Memory;
  heap.memory = memory;
  (exports[EXPORTS.ctors] as () => void)();
  loaded = {
    memory,
    pffft_new_setup: exports[EXPORTS.newSetup] as Pffft["pffft_new_setup"],
    pffft_transform_ordered: exports[EXPORTS.transform] as Pffft["pffft_transform_ordered"],
    pffft_aligned_malloc: exports[EXPORTS.malloc] as Pffft["pffft_aligned_malloc"],
  };
  return loaded;
}

const REAL = 0, FORWARD = 0, BACKWARD = 1;
const plans = new Map<number, RealFftPlan>();

/**
 * Get the (cached) single-precision real FFT plan of `size`.
 *
 * @param size A 2·3·5-smooth multiple of 32.
 * @throws {RangeError} for another size.
 */
export function realFftPlanFloat32(size: number): RealFftPlan {
  const cached = plans.get(size);
  if (cached) return cached;
  if (!Number.isInteger(size) || size < 32 || size % 32 !== 0 || !isFiveSmooth(size)) {
    throw new RangeError(
      `Cannot create float32 FFT plan as size must be a 2·3·5-smooth multiple of 32: current value is ${size}`,
    );
  }
  // Setups and buffers live as long as the process, like the float64 plans: a few sizes are used.
  const wasm = pffft();
  const setup = wasm.pffft_new_setup(size, REAL);
  const heapF32 = () => new Float32Array(wasm.memory.buffer); // again after every allocation
  const bytes = size * 4;
  const input = wasm.pffft_aligned_malloc(bytes);
  const output = wasm.pffft_aligned_malloc(bytes);
  const work = wasm.pffft_aligned_malloc(bytes);
  const half = size / 2;
  const binCount = half + 1;

  function forwardInto(x: ArrayLike<number>, out: Spectrum): void {
    if (out.re.length < binCount || out.im.length < binCount) {
      throw new RangeError(
        `Cannot run forward FFT as the output must hold size/2 + 1 = ${binCount} bins: re has ${out.re.length}, im has ${out.im.length}`,
      );
    }
    const inView = heapF32().subarray(input >> 2, (input >> 2) + size);
    const n = Math.min(size, x.length);
    if (x instanceof Float64Array || x instanceof Float32Array) inView.set(x.subarray(0, n));
    else for (let i = 0; i < n; i++) inView[i] = x[i] as number;
    inView.fill(0, n);
    wasm.pffft_transform_ordered(setup, input, output, work, FORWARD);
    const o = heapF32().subarray(output >> 2, (output >> 2) + size);
    const re = out.re, im = out.im;
    re[0] = o[0]!;
    im[0] = 0;
    re[half] = o[1]!; // PFFFT packs the real Nyquist bin beside DC
    im[half] = 0;
    for (let k = 1; k < half; k++) {
      re[k] = o[2 * k]!;
      im[k] = o[2 * k + 1]!;
    }
  }

  function forward(x: ArrayLike<number>): Spectrum {
    const out = { re: new Float64Array(binCount), im: new Float64Array(binCount) };
    forwardInto(x, out);
    return out;
  }

  function inverseInto(spectrum: Spectrum, out: Float64Array): void {
    const { re, im } = spectrum;
    if (re.length !== binCount || im.length !== binCount) {
      throw new RangeError(
        `Cannot run inverse FFT as the spectrum must have size/2 + 1 = ${binCount} bins: re has ${re.length}, im has ${im.length}`,
      );
    }
    if (out.length < size) {
      throw new RangeError(
        `Cannot run inverse FFT as the output must hold ${size} samples: it has ${out.length}`,
      );
    }
    const inView = heapF32().subarray(input >> 2, (input >> 2) + size);
    inView[0] = re[0]!;
    inView[1] = re[half]!;
    for (let k = 1; k < half; k++) {
      inView[2 * k] = re[k]!;
      inView[2 * k + 1] = im[k]!;
    }
    wasm.pffft_transform_ordered(setup, input, output, work, BACKWARD);
    const o = heapF32().subarray(output >> 2, (output >> 2) + size);
    const scale = 1 / size;
    for (let i = 0; i < size; i++) out[i] = o[i]! * scale;
  }

  function inverse(spectrum: Spectrum): Float64Array {
    const x = new Float64Array(size);
    inverseInto(spectrum, x);
    return x;
  }

  const plan: RealFftPlan = { size, binCount, forward, forwardInto, inverse, inverseInto };
  plans.set(size, plan);
  return plan;
}
