/**
 * Transfer matrices: the plant every design in this folder inverts.
 *
 * A {@linkcode TransferMatrix} is one frequency grid (a real FFT of size
 * `fftSize` at `sampleRate`, bins 0..fftSize/2) and a
 * {@linkcode ComplexMatrixStack} of outputs × drivers per bin: outputs are the
 * two ears of a binaural head (row 0 = `ear-left`, row 1 = `ear-right`, the
 * listener's own ears) or the azimuths of a reference-microphone arc. Each
 * entry is the rfft of the measured impulse response from a driver's input to
 * a microphone, with the acoustic propagation delay kept, so the relative
 * delays between drivers and microphones survive (DESIGN.md, "Conventions").
 *
 * @module
 */
import { arrivalSamples, gateWindow } from "../dsp/ir_window.ts";
import { type ComplexMatrixStack, createComplexMatrixStack } from "../dsp/complex_linalg.ts";
import { binFrequencies, isPowerOfTwo, nextPowerOfTwo, realFftPlan } from "../dsp/fft.ts";

/** The frequency grid of a design: a real FFT of size `fftSize` at `sampleRate`. */
export interface FrequencyGrid {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** FFT size N (power of two); the grid has N/2 + 1 bins at k·sampleRate/N Hz. */
  readonly fftSize: number;
}

/** Per-bin plant: outputs (ears or arc microphones) × drivers on one frequency grid. */
export interface TransferMatrix extends FrequencyGrid {
  /** Bin centre frequencies in Hz, length fftSize/2 + 1. */
  readonly frequenciesHz: Float64Array;
  /** outputs × drivers × bins. */
  readonly matrix: ComplexMatrixStack;
}

/** A transfer matrix whose rows are microphones on a horizontal arc. */
export interface ArcTransferMatrix extends TransferMatrix {
  /** Azimuth of each row in degrees, counter-clockwise from the device's front (+x). */
  readonly azimuthsDeg: Float64Array;
}

function checkGrid(action: string, grid: FrequencyGrid): void {
  if (!Number.isFinite(grid.sampleRate) || grid.sampleRate <= 0) {
    throw new RangeError(
      `Cannot ${action} as sampleRate must be a positive number of Hz: current value is ${grid.sampleRate}`,
    );
  }
  const n = grid.fftSize;
  if (!isPowerOfTwo(n) || n < 4) {
    throw new RangeError(
      `Cannot ${action} as fftSize must be a power of two >= 4: current value is ${n}`,
    );
  }
}

/** Options of {@linkcode transferMatrix}. */
export interface TransferMatrixOptions {
  /** Sample rate in Hz (> 0). */
  readonly sampleRate: number;
  /** FFT size N, a power of two ≥ the longest (gated) response (default the next power of two). */
  readonly fftSize?: number;
  /**
   * Keep only the direct sound: every response is cut `lengthSamples` after the common onset
   * (the earliest sample, over all responses, reaching half its response's peak), the last
   * `fadeSamples` (default lengthSamples/4) faded out by a half-Hann. One gate for all responses,
   * so relative delays are kept. Use it for measurements in a room, where the reflections
   * belong to the room and the listening position, not to the device.
   */
  readonly gate?: { readonly lengthSamples: number; readonly fadeSamples?: number };
}

/**
 * Build a transfer matrix from time-domain impulse responses by one real
 * FFT per response, zero-padded to `fftSize`. Relative delays are kept: no
 * response is shifted, and the optional gate is common to all responses.
 *
 * ```text
 * H[k][mic][driver] = Σ_n g[n]·ir[mic][driver][n]·e^{-j2πkn/N}      (g = 1 without a gate)
 * ```
 *
 * @param irs Impulse responses indexed `[mic][driver]`, all finite; at least one mic and one driver.
 * @param options `sampleRate` in Hz; `fftSize`; optional direct-sound `gate`.
 * @returns The transfer matrix (mics × drivers).
 * @throws {TypeError} when rows have different driver counts.
 * @throws {RangeError} for an empty set, a bad grid, a response longer than fftSize, or a NaN/∞ sample.
 *
 * @example
 * ```ts
 * import { transferMatrix } from "./transfer_matrix.ts";
 * const delta = new Float64Array([1, 0, 0, 0]);
 * const H = transferMatrix([[delta, delta]], { sampleRate: 48000 });
 * console.log(H.matrix.rows, H.matrix.cols, H.matrix.bins); // 1 2 3
 * ```
 */
export function transferMatrix(
  irs: readonly (readonly ArrayLike<number>[])[],
  options: TransferMatrixOptions,
): TransferMatrix {
  const action = "build transfer matrix";
  const rows = irs.length;
  const cols = irs[0]?.length ?? 0;
  if (rows === 0 || cols === 0) {
    throw new RangeError(
      `Cannot ${action} as irs must hold at least one mic and one driver: current shape is ${rows}×${cols}`,
    );
  }
  let longest = 0;
  irs.forEach((row, r) => {
    if (row.length !== cols) {
      throw new TypeError(
        `Cannot ${action} as every mic must have one response per driver: mic 0 has ${cols}, mic ${r} has ${row.length}`,
      );
    }
    row.forEach((ir, c) => {
      longest = Math.max(longest, ir.length);
      for (let i = 0; i < ir.length; i++) {
        if (!Number.isFinite(ir[i] as number)) {
          throw new RangeError(
            `Cannot ${action} as samples must be finite: irs[${r}][${c}] sample ${i} is ${ir[i]}`,
          );
        }
      }
    });
  });
  let window: Float64Array | undefined;
  if (options.gate !== undefined) {
    const { lengthSamples } = options.gate;
    const fadeSamples = options.gate.fadeSamples ?? Math.floor(lengthSamples / 4);
    if (!Number.isInteger(lengthSamples) || lengthSamples < 1) {
      throw new RangeError(
        `Cannot ${action} as gate.lengthSamples must be an integer >= 1: current value is ${lengthSamples}`,
      );
    }
    if (!Number.isInteger(fadeSamples) || fadeSamples < 0 || fadeSamples > lengthSamples) {
      throw new RangeError(
        `Cannot ${action} as gate.fadeSamples must be an integer within 0..lengthSamples (${lengthSamples}): current value is ${fadeSamples}`,
      );
    }
    let onset = Infinity;
    for (const row of irs) {
      for (const ir of row) onset = Math.min(onset, arrivalSamples(ir));
    }
    if (!Number.isFinite(onset)) onset = 0;
    const end = Math.min(longest, onset + lengthSamples);
    window = gateWindow(end, fadeSamples);
    longest = end;
  }
  const fftSize = options.fftSize ?? Math.max(4, nextPowerOfTwo(longest));
  const grid = { sampleRate: options.sampleRate, fftSize };
  checkGrid(action, grid);
  if (longest > fftSize) {
    throw new RangeError(
      `Cannot ${action} as fftSize must be >= the longest response (${longest} samples): current value is ${fftSize}`,
    );
  }
  const plan = realFftPlan(fftSize);
  const bins = plan.binCount;
  const H = createComplexMatrixStack(rows, cols, bins);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const ir = irs[r]![c]!;
      let x: ArrayLike<number> = ir;
      if (window !== undefined) {
        const gated = new Float64Array(window.length);
        for (let n = 0; n < Math.min(ir.length, window.length); n++) {
          gated[n] = (ir[n] as number) * (window[n] as number);
        }
        x = gated;
      }
      const X = plan.forward(x);
      for (let k = 0; k < bins; k++) {
        const idx = (k * rows + r) * cols + c;
        H.re[idx] = X.re[k] as number;
        H.im[idx] = X.im[k] as number;
      }
    }
  }
  return { ...grid, frequenciesHz: binFrequencies(fftSize, grid.sampleRate), matrix: H };
}

/**
 * Wrap a per-bin plant given directly in the frequency domain (for
 * analytical models and tests) after checking it against its grid.
 *
 * @param matrix outputs × drivers × (fftSize/2 + 1) bins, all finite.
 * @param grid The frequency grid.
 * @returns The transfer matrix (the stack is used as is, not copied).
 * @throws {RangeError} for a bad grid, a bin count that does not match, or a NaN/∞ entry.
 */
export function createTransferMatrix(
  matrix: ComplexMatrixStack,
  grid: FrequencyGrid,
): TransferMatrix {
  const action = "create transfer matrix";
  checkGrid(action, grid);
  const bins = grid.fftSize / 2 + 1;
  if (matrix.bins !== bins) {
    throw new RangeError(
      `Cannot ${action} as the matrix must have fftSize/2 + 1 = ${bins} bins: current value is ${matrix.bins}`,
    );
  }
  for (let i = 0; i < matrix.re.length; i++) {
    if (!Number.isFinite(matrix.re[i] as number) || !Number.isFinite(matrix.im[i] as number)) {
      const bin = Math.floor(i / (matrix.rows * matrix.cols));
      throw new RangeError(
        `Cannot ${action} as entries must be finite: bin ${bin} entry ${
          i % (matrix.rows * matrix.cols)
        } is ${matrix.re[i]} + ${matrix.im[i]}j`,
      );
    }
  }
  return {
    sampleRate: grid.sampleRate,
    fftSize: grid.fftSize,
    frequenciesHz: binFrequencies(grid.fftSize, grid.sampleRate),
    matrix,
  };
}

/**
 * Attach arc azimuths to a transfer matrix (one azimuth per row).
 *
 * @param plant Transfer matrix whose rows are arc microphones.
 * @param azimuthsDeg Azimuth per row in degrees (counter-clockwise from +x), finite.
 * @throws {RangeError} when the count differs from the row count or a value is not finite.
 */
export function arcTransferMatrix(
  plant: TransferMatrix,
  azimuthsDeg: ArrayLike<number>,
): ArcTransferMatrix {
  if (azimuthsDeg.length !== plant.matrix.rows) {
    throw new RangeError(
      `Cannot create arc transfer matrix as azimuthsDeg must have one value per row: the matrix has ${plant.matrix.rows} rows, azimuthsDeg has ${azimuthsDeg.length}`,
    );
  }
  const az = Float64Array.from(azimuthsDeg);
  const bad = az.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new RangeError(
      `Cannot create arc transfer matrix as azimuthsDeg must be finite: index ${bad} is ${az[bad]}`,
    );
  }
  return { ...plant, azimuthsDeg: az };
}

/**
 * The plant's common (bulk) propagation delay in whole samples: the earliest
 * onset over all entries, where an entry's onset is the first sample of its
 * inverse FFT reaching half its peak magnitude. Designs ask for ear or arc
 * responses delayed by this much (plus the modelling delay), so filters stay
 * short whatever the listening distance.
 *
 * @param plant Transfer matrix.
 * @param rows Rows to consider (default all).
 * @returns Delay in samples, 0 ≤ value < fftSize/2.
 */
export function bulkDelaySamples(plant: TransferMatrix, rows?: readonly number[]): number {
  const { matrix, fftSize } = plant;
  const plan = realFftPlan(fftSize);
  const re = new Float64Array(matrix.bins), im = new Float64Array(matrix.bins);
  let best = Infinity;
  for (const r of rows ?? Array.from({ length: matrix.rows }, (_, i) => i)) {
    for (let c = 0; c < matrix.cols; c++) {
      for (let k = 0; k < matrix.bins; k++) {
        const idx = (k * matrix.rows + r) * matrix.cols + c;
        re[k] = matrix.re[idx] as number;
        im[k] = matrix.im[idx] as number;
      }
      const h = plan.inverse({ re, im });
      let peak = 0;
      for (let n = 0; n < fftSize / 2; n++) peak = Math.max(peak, Math.abs(h[n] as number));
      if (peak === 0) continue;
      for (let n = 0; n < fftSize / 2; n++) {
        if (Math.abs(h[n] as number) >= 0.5 * peak) {
          best = Math.min(best, n);
          break;
        }
      }
    }
  }
  return Number.isFinite(best) ? best : 0;
}
