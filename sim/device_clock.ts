/**
 * The physics of an open-loop measurement in the virtual lab: the device plays
 * the stimulus from a file on its own sample clock, which runs `clockPpm`
 * faster than the recorder's, and starts at an instant the lab does not know.
 *
 * The DAC reconstructs the band-limited signal `x(t·fs_dev)` from the
 * stimulus samples; the recorder samples it at `fs`. So the signal the room
 * receives, in recorder samples `n`, is
 *
 * ```text
 * u[n] = x_bl((n − d)·(1 + clockPpm·1e-6))
 * ```
 *
 * `d` the (fractional) start in recorder samples and `x_bl` the band-limited
 * interpolation of the stimulus, computed with the project's resampler
 * (`resampleAt`: Kaiser-windowed sinc, flat to 0.9 of Nyquist, ≈ −120 dB
 * stop band) — a fractional resampling of the played signal, not a sample
 * repeat or drop. The start `d` is drawn per capture, reproducibly, uniform
 * in [0, maxStartSeconds) with a fractional part.
 *
 * @module
 */
import { resampleAt } from "../dsp/resample.ts";
import { createRandom, hashString } from "./_random.ts";

/** An open-loop device clock (option `openLoop` of `createSimDevice`). */
export interface DeviceClockOptions {
  /** The device's clock relative to the recorder's, ppm (positive: faster), |x| <= 1000. */
  readonly clockPpm: number;
  /** The latest start of playback after the recording starts, seconds, 0..10. Default 2. */
  readonly maxStartSeconds?: number;
}

/** Checked {@linkcode DeviceClockOptions} with their defaults. */
export interface DeviceClock {
  /** ppm. */
  readonly clockPpm: number;
  /** Seconds. */
  readonly maxStartSeconds: number;
}

/**
 * Check the clock options.
 *
 * @throws {RangeError} naming the field and value.
 */
export function resolveDeviceClock(options: DeviceClockOptions): DeviceClock {
  const maxStartSeconds = options.maxStartSeconds ?? 2;
  if (!(Number.isFinite(options.clockPpm) && Math.abs(options.clockPpm) <= 1000)) {
    throw new RangeError(
      `Cannot create sim device as openLoop.clockPpm must be a number in [-1000, 1000] ppm: current value is ${options.clockPpm}`,
    );
  }
  if (!(maxStartSeconds >= 0 && maxStartSeconds <= 10)) {
    throw new RangeError(
      `Cannot create sim device as openLoop.maxStartSeconds must be in [0, 10] s: current value is ${maxStartSeconds}`,
    );
  }
  return { clockPpm: options.clockPpm, maxStartSeconds };
}

/** The start of playback of one capture, in recorder samples (fractional), from its identity. */
export function playbackStartSamples(clock: DeviceClock, sampleRate: number, call: string): number {
  const random = createRandom(hashString(`device-clock/${call}`));
  return random.uniform() * clock.maxStartSeconds * sampleRate;
}

/**
 * What the device's DAC puts out, on the recorder's clock (see the module documentation).
 *
 * @param stimulus The stimulus channels (the file the device plays).
 * @param clock The device clock.
 * @param startSamples Start of playback in recorder samples (fractional, >= 0).
 * @param length Output length in recorder samples.
 * @returns One channel per stimulus channel, `length` samples each.
 */
export function playOnDeviceClock(
  stimulus: readonly Float64Array[],
  clock: DeviceClock,
  startSamples: number,
  length: number,
): Float64Array[] {
  const step = 1 + clock.clockPpm * 1e-6;
  return stimulus.map((x) => resampleAt(x, { start: -startSamples * step, step, length }));
}
