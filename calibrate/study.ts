/**
 * Simulated-unit studies: measure a simulated unit the way the lab would
 * (binaural head at the listening position, optionally moved, plus a
 * reference-mic arc) into a measurement set, for the demo and the per-unit
 * and head-offset studies.
 *
 * @module
 */
import { offsetPosition } from "../measure/positions.ts";
import type { MicPosition } from "../measure/audio_device.ts";
import { runMeasurementSession } from "../measure/session.ts";
import { type MeasurementSet, readMeasurementSet } from "../io/manifest.ts";
import { createSimDevice, type SimDefects } from "../sim/sim_device.ts";

/** What to measure of one simulated unit. */
export interface SimUnitSpec {
  /** Device model (default "studio5"). */
  readonly model?: string;
  /** Serial ("nominal" = the idealized model). */
  readonly serial: string;
  /** Room (default "anechoic"). */
  readonly room?: "anechoic" | "living-room";
  /** Listening distance in meters (default 2). */
  readonly distanceMeters?: number;
  /** Head offsets (x away from the device, y to the device's left) in cm; default [[0, 0]]. */
  readonly headOffsetsCm?: readonly (readonly [number, number])[];
  /** Reference arc step in degrees over -180..180, or null for no arc (default 10). */
  readonly arcStepDeg?: number | null;
  /** Sweep duration in seconds (default 1). */
  readonly sweepSeconds?: number;
  /** IR length in seconds (default 0.5). */
  readonly irLengthSeconds?: number;
  /** Sim input noise in dBFS (default the sim's −90). */
  readonly noiseLevelDbfs?: number;
  /** Unit defects (default none). */
  readonly defects?: SimDefects;
}

/** The position of a head offset by (x, y) cm from a point `distanceMeters` in front of the device, on axis. */
export function headOffsetPosition(distanceMeters: number, xCm: number, yCm: number): MicPosition {
  return offsetPosition({ azimuthDeg: 0, elevationDeg: 0, distanceMeters }, xCm, yCm);
}

/**
 * Measure a simulated unit into a measurement set at `out`: binaural
 * captures of every driver at each head position, then (optionally) the
 * reference-mic arc, appended.
 *
 * @param out Folder of the set to write.
 * @param spec The unit and what to measure.
 * @param options `force` to replace an existing set; `onProgress` per capture.
 * @returns The set, opened.
 */
export async function measureStudyUnit(
  out: string,
  spec: SimUnitSpec,
  options: {
    readonly force?: boolean;
    readonly onProgress?: (d: number, t: number, l: string) => void;
  } = {},
): Promise<MeasurementSet> {
  const model = spec.model ?? "studio5";
  const distance = spec.distanceMeters ?? 2;
  const room = spec.room ?? "anechoic";
  const sweep = {
    startHz: 20,
    endHz: 20000,
    durationSeconds: spec.sweepSeconds ?? 1,
    sampleRate: 48000,
    levelDbfs: -12,
  };
  const common = {
    model,
    serial: spec.serial,
    room,
    ...(spec.noiseLevelDbfs === undefined ? {} : { noiseLevelDbfs: spec.noiseLevelDbfs }),
    ...(spec.defects === undefined ? {} : { defects: spec.defects }),
  };
  const offsets = spec.headOffsetsCm ?? [[0, 0]];
  const binaural = createSimDevice({ ...common, mics: "binaural" });
  try {
    await runMeasurementSession(binaural, {
      sweep,
      positions: offsets.map(([x, y]) => headOffsetPosition(distance, x, y)),
      irLengthSeconds: spec.irLengthSeconds ?? 0.5,
    }, {
      out,
      force: options.force ?? false,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  } finally {
    await binaural.close();
  }
  const step = spec.arcStepDeg === undefined ? 10 : spec.arcStepDeg;
  if (step !== null) {
    const positions: MicPosition[] = [];
    for (let az = -180; az < 180 - 1e-9; az += step) {
      positions.push({
        azimuthDeg: Math.round(az * 1e6) / 1e6,
        elevationDeg: 0,
        distanceMeters: distance,
      });
    }
    const reference = createSimDevice({ ...common, mics: "reference" });
    try {
      await runMeasurementSession(reference, {
        sweep,
        positions,
        irLengthSeconds: spec.irLengthSeconds ?? 0.5,
      }, {
        out,
        append: true,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    } finally {
      await reference.close();
    }
  }
  return await readMeasurementSet(out);
}
