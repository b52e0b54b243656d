/**
 * The time-domain signal type shared by every stage.
 *
 * Channels are planar (one `Float64Array` per channel) and all channels have
 * the same length. `Float32Array` appears only at file and device boundaries.
 *
 * @module
 */

/** A multichannel, planar, real-valued signal at a fixed sample rate. */
export interface Signal {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** One array per channel, all of equal length. */
  readonly channels: readonly Float64Array[];
}

/**
 * Create a {@linkcode Signal}, checking the sample rate, the channel lengths
 * and that every sample is finite.
 *
 * @param sampleRate Sample rate in Hz, a positive finite number.
 * @param channels One array per channel (copied into `Float64Array`s).
 * @returns The signal.
 * @throws {RangeError} if the sample rate is not positive, channel lengths differ, or a sample is NaN/∞.
 *
 * @example
 * ```ts
 * import { createSignal } from "./signal.ts";
 * const s = createSignal(48000, [new Float64Array(480)]);
 * console.log(s.channels.length); // 1
 * ```
 */
export function createSignal(
  sampleRate: number,
  channels: readonly ArrayLike<number>[],
): Signal {
  if (!Number.isFinite(sampleRate) || sampleRate <= 0) {
    throw new RangeError(
      `Cannot create signal as sampleRate must be a positive number of Hz: current value is ${sampleRate}`,
    );
  }
  const length = channels[0]?.length ?? 0;
  const copies = channels.map((channel, index) => {
    if (channel.length !== length) {
      throw new RangeError(
        `Cannot create signal as every channel must have the same length: channel 0 has ${length} samples, channel ${index} has ${channel.length}`,
      );
    }
    const copy = Float64Array.from(channel);
    const bad = findNonFinite(copy);
    if (bad >= 0) {
      throw new RangeError(
        `Cannot create signal as samples must be finite: channel ${index} sample ${bad} is ${
          copy[bad]
        }`,
      );
    }
    return copy;
  });
  return { sampleRate, channels: copies };
}

/** Number of samples per channel of a signal (0 for a signal with no channels). */
export function signalLength(signal: Signal): number {
  return signal.channels[0]?.length ?? 0;
}

/**
 * Index of the first NaN or infinite sample, or -1 when all are finite.
 *
 * @param x Samples to scan.
 * @returns The index, or -1.
 */
export function findNonFinite(x: ArrayLike<number>): number {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i] as number)) return i;
  }
  return -1;
}
