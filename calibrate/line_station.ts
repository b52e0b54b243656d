/**
 * The line station on any {@linkcode AudioDevice} — the simulator or real
 * hardware (`webaudio`): every driver of the unit measured at the station's
 * fixed reference microphone and returned as a {@linkcode UnitMeasurement}
 * with its setup (mic position and sweep, with the sweep method).
 *
 * How the drivers are measured depends on what the device can play at once:
 * - all drivers at once: one pass of multiple exponential sweeps (Majdak et
 *   al. 2007) [1], method {@linkcode MULTIPLE_SWEEP_METHOD};
 * - fewer (the webaudio backend drives at most 2 outputs at once): one
 *   synchronized exponential sweep (Novak et al. 2015) [2] per driver, one
 *   after the other, method {@linkcode SYNCHRONIZED_SWEEP_METHOD}. Each sweep
 *   is a one-driver multiple-sweep pass, so the linear IR and the harmonic
 *   IRs of orders 2..`station.harmonicCount` are cut exactly as in the
 *   one-pass method (rub & buzz needs orders up to 10 at least).
 *
 * The method is part of the setup: limits made from one-pass units refuse a
 * unit measured driver by driver (and the other way round), since the two
 * capture different amounts of noise and time variance into each IR.
 *
 * The station's microphone is fixed in its test box: this module never moves
 * it (no `moveTo`, no operator prompt). The position written into the setup
 * is the one the station is declared to have — `station.position`, taken
 * from the limits (verify) or from `--azimuth/--elevation/--distance`
 * (golden) — not a measured one.
 *
 * References:
 * 1. P. Majdak, P. Balazs, B. Laback, "Multiple exponential sweep method for
 *    fast measurement of head-related transfer functions", J. Audio Eng. Soc.
 *    55(7/8), 2007.
 * 2. A. Novak, P. Lotton, L. Simon, "Synchronized Swept-Sine: Theory,
 *    Application, and Implementation", J. Audio Eng. Soc. 63(10), 2015.
 *
 * @module
 */
import type { AudioDevice, MicPosition } from "../measure/audio_device.ts";
import { measureMultiSweep, type MultiSweepMeasurement } from "../measure/multi_sweep.ts";
import type { DriverCapture, Limits, StationSetup, UnitMeasurement } from "./limits.ts";

/** How the line station measures. */
export interface StationConfig {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** Sweep start frequency in Hz. */
  readonly startHz: number;
  /** Sweep end frequency in Hz, in (startHz, sampleRate / 2]. */
  readonly endHz: number;
  /** Sweep duration per driver in seconds (the drivers overlap). */
  readonly durationSeconds: number;
  /** Sweep peak level in dBFS, <= 0. */
  readonly levelDbfs: number;
  /** Length of each driver's linear IR in samples (64–65536). */
  readonly irLengthSamples: number;
  /** Highest harmonic order kept apart; the simulator's rub & buzz reaches order 30. */
  readonly harmonicCount: number;
  /** Largest system latency to allow for, in samples (0–1e6). */
  readonly maxLatencySamples: number;
  /** Reference microphone position in the test box. */
  readonly position: MicPosition;
}

/** The measurement set's `sweep.method` of a line-station capture (Majdak et al. 2007). */
export const MULTIPLE_SWEEP_METHOD = "multiple-exponential";

/** The default station: 20 Hz–20 kHz, 1 s per driver, −24 dBFS, IR 2048, K = 30, mic at 30°/20°/0.5 m. */
export const DEFAULT_STATION: StationConfig = {
  sampleRate: 48000,
  startHz: 20,
  endHz: 20000,
  durationSeconds: 1,
  levelDbfs: -24,
  irLengthSamples: 2048,
  harmonicCount: 30,
  maxLatencySamples: 1024,
  position: { azimuthDeg: 30, elevationDeg: 20, distanceMeters: 0.5 },
};

/**
 * The station that measures a unit the way the golden units behind `limits`
 * were measured: the limits' sample rate, mic position and sweep (band,
 * duration, level) over `base`'s remaining settings. Limits without a
 * recorded setup keep `base`'s position and sweep.
 */
export function stationForLimits(
  limits: Limits,
  base: StationConfig = DEFAULT_STATION,
): StationConfig {
  const setup = limits.setup;
  return {
    ...base,
    sampleRate: limits.sampleRate,
    ...(setup === undefined ? {} : { position: { ...setup.position } }),
    ...(setup?.sweep === undefined ? {} : {
      startHz: setup.sweep.startHz,
      endHz: setup.sweep.endHz,
      durationSeconds: setup.sweep.durationSeconds,
      levelDbfs: setup.sweep.levelDbfs,
    }),
  };
}

/** The measurement set's `sweep.method` of one synchronized sweep per driver (Novak et al. 2015). */
export const SYNCHRONIZED_SWEEP_METHOD = "synchronized-exponential";

/**
 * Outputs the webaudio backend plays at once (node-web-audio-api opens two
 * ports each way under JACK; `measure/webaudio_device.ts` refuses more).
 */
export const WEBAUDIO_MAX_OUTPUTS = 2;

/**
 * How many outputs `device` can play in one capture: {@linkcode WEBAUDIO_MAX_OUTPUTS}
 * for the webaudio backend, every output otherwise.
 */
export function maxSimultaneousOutputs(device: AudioDevice): number {
  return device.backend === "webaudio" ? WEBAUDIO_MAX_OUTPUTS : device.outputs.length;
}

/**
 * The sweep method the station uses on `device`: one pass of multiple sweeps
 * when it plays every driver at once, else one synchronized sweep per driver.
 */
export function stationMethod(device: AudioDevice): string {
  return maxSimultaneousOutputs(device) >= device.outputs.length
    ? MULTIPLE_SWEEP_METHOD
    : SYNCHRONIZED_SWEEP_METHOD;
}

/** The setup a station capture records: its declared mic position and sweep. */
export function stationSetup(station: StationConfig, method: string): StationSetup {
  return {
    position: {
      azimuthDeg: station.position.azimuthDeg,
      elevationDeg: station.position.elevationDeg,
      distanceMeters: station.position.distanceMeters,
    },
    sweep: {
      method,
      startHz: station.startHz,
      endHz: station.endHz,
      durationSeconds: station.durationSeconds,
      levelDbfs: station.levelDbfs,
    },
  };
}

/** The driver captures of one multiple-sweep pass (linear and harmonic IRs, peak, warnings). */
export function passCaptures(m: MultiSweepMeasurement): DriverCapture[] {
  return m.driverIds.map((driver, i) => ({
    driver,
    ir: m.drivers[i]!.ir,
    harmonics: m.drivers[i]!.harmonics,
    peakDbfs: m.peakDbfs,
    warnings: m.warnings,
  }));
}

/** A unit measured at the station, with the time the captures took. */
export interface StationUnitMeasurement {
  /** The line measurement, with the station setup (method included). */
  readonly unit: UnitMeasurement;
  /** The sweep method used ({@linkcode MULTIPLE_SWEEP_METHOD} or {@linkcode SYNCHRONIZED_SWEEP_METHOD}). */
  readonly method: string;
  /** Stimulus + tail of every capture, seconds (level checks and routing not included). */
  readonly captureSeconds: number;
  /** What one sequential sweep per driver would have taken, seconds. */
  readonly sequentialSeconds: number;
  /** The multiple-sweep passes: one with every driver, or one per driver. */
  readonly passes: readonly MultiSweepMeasurement[];
}

/**
 * Measure every driver of `device` at the station's fixed reference
 * microphone (see the module documentation). The device is neither moved
 * nor closed.
 *
 * @param device Any device with a `reference` input (and a `loopback` input, if it has one).
 * @param station Band, duration, level, IR length, harmonic orders, latency allowance, declared mic position.
 * @param serial The unit's serial, recorded in the measurement.
 * @param model The unit's model name, recorded in the measurement.
 * @throws {RangeError} when the device has no reference microphone, or the station's sweep or
 *   harmonic count is out of range (`measureMultiSweep`).
 */
export async function measureStationUnit(
  device: AudioDevice,
  station: StationConfig,
  serial: string,
  model: string,
): Promise<StationUnitMeasurement> {
  const method = stationMethod(device);
  const spec = {
    startHz: station.startHz,
    endHz: station.endHz,
    durationSeconds: station.durationSeconds,
    sampleRate: station.sampleRate,
    levelDbfs: station.levelDbfs,
    irLengthSamples: station.irLengthSamples,
    harmonicCount: station.harmonicCount,
    maxLatencySamples: station.maxLatencySamples,
  };
  const driverIds = device.outputs.map((o) => o.id);
  // One pass with every driver, or one pass per driver.
  const groups = method === MULTIPLE_SWEEP_METHOD ? [driverIds] : driverIds.map((d) => [d]);
  const captures: DriverCapture[] = [];
  const passes: MultiSweepMeasurement[] = [];
  let captureSeconds = 0, sequentialSeconds = 0;
  for (const drivers of groups) {
    const m = await measureMultiSweep(device, spec, { drivers });
    passes.push(m);
    captureSeconds += m.plan.totalSeconds;
    sequentialSeconds += m.plan.sequentialSeconds;
    captures.push(...passCaptures(m));
  }
  return {
    unit: {
      setup: stationSetup(station, method),
      model,
      serial,
      sampleRate: station.sampleRate,
      drivers: driverIds,
      captures,
    },
    method,
    captureSeconds,
    sequentialSeconds,
    passes,
  };
}
