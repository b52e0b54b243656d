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
import type { AudioDevice } from "../measure/audio_device.ts";
import { measureMultiSweep } from "../measure/multi_sweep.ts";
import type { DriverCapture, StationSetup, UnitMeasurement } from "./limits.ts";
import { MULTIPLE_SWEEP_METHOD, type StationConfig } from "./line_sim.ts";

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

/** A unit measured at the station, with the time the captures took. */
export interface StationUnitMeasurement {
  /** The line measurement, with the station setup (method included). */
  readonly unit: UnitMeasurement;
  /** The sweep method used ({@linkcode MULTIPLE_SWEEP_METHOD} or {@linkcode SYNCHRONIZED_SWEEP_METHOD}). */
  readonly method: string;
  /** Stimulus + tail of every capture, seconds (level checks and routing not included). */
  readonly captureSeconds: number;
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
  let captureSeconds = 0;
  for (const drivers of groups) {
    const m = await measureMultiSweep(device, spec, { drivers });
    captureSeconds += m.plan.totalSeconds;
    m.driverIds.forEach((driver, i) =>
      captures.push({
        driver,
        ir: m.drivers[i]!.ir,
        harmonics: m.drivers[i]!.harmonics,
        peakDbfs: m.peakDbfs,
        warnings: m.warnings,
      })
    );
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
  };
}
