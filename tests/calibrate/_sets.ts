/**
 * Test helper: noise-free measurement sets written straight from the
 * simulator's true impulse responses (no sweep, no noise), so physics tests
 * run in well under a second per set.
 *
 * @module
 */
import { join } from "node:path";
import type { MicPosition } from "../../measure/audio_device.ts";
import {
  type CaptureEntry,
  irFileName,
  type MeasurementSet,
  type MeasurementSetManifest,
  readMeasurementSet,
  writeMeasurementSet,
} from "../../io/manifest.ts";
import type { Signal } from "../../dsp/signal.ts";
import { createSimDevice } from "../../sim/sim_device.ts";
import { headOffsetPosition } from "../../calibrate/study.ts";

export interface TrueSetSpec {
  readonly serial?: string;
  readonly room?: "anechoic" | "living-room";
  readonly sampleRate?: number;
  /** Head offsets in cm (x, y); default [[0, 0]]; empty for no binaural captures. */
  readonly headOffsetsCm?: readonly (readonly [number, number])[];
  /** Arc step in degrees, or null for no arc (default null). */
  readonly arcStepDeg?: number | null;
  /** Drop a capture: return true for `${driver}@${mic}` keys to leave out. */
  readonly drop?: (key: string) => boolean;
  /** Change an IR before writing (e.g. copy one driver onto another). */
  readonly transform?: (
    driver: string,
    mic: string,
    ir: Float64Array,
    all: Record<string, Record<string, Float64Array>>,
  ) => Float64Array;
}

/** Write a noise-free studio5 set to `folder` and open it. */
export async function writeTrueSet(
  folder: string,
  spec: TrueSetSpec = {},
): Promise<MeasurementSet> {
  const serial = spec.serial ?? "SIM-000123";
  const sampleRate = spec.sampleRate ?? 48000;
  const room = spec.room ?? "anechoic";
  const captures: CaptureEntry[] = [];
  const audio = new Map<string, Signal>();
  const add = (
    ir: Record<string, Record<string, Float64Array>>,
    position: MicPosition,
    mics: readonly string[],
  ) => {
    for (const driver of Object.keys(ir)) {
      for (const mic of mics) {
        if (spec.drop?.(`${driver}@${mic}`)) continue;
        let h = ir[driver]![mic]!;
        if (spec.transform) h = spec.transform(driver, mic, h, ir);
        const path = irFileName(driver, mic, position);
        audio.set(path, { sampleRate, channels: [h] });
        captures.push({ driver, mic, position, ir: path });
      }
    }
  };
  const mics: { id: string; role: "ear-left" | "ear-right" | "reference" }[] = [];
  const offsets = spec.headOffsetsCm ?? [[0, 0]];
  if (offsets.length > 0) {
    mics.push({ id: "ear-left", role: "ear-left" }, { id: "ear-right", role: "ear-right" });
    const d = createSimDevice({ model: "studio5", serial, mics: "binaural", room, sampleRate });
    for (const [x, y] of offsets) {
      const p = headOffsetPosition(2, x, y);
      add(d.trueImpulseResponses(p).ir as Record<string, Record<string, Float64Array>>, p, [
        "ear-left",
        "ear-right",
      ]);
    }
    await d.close();
  }
  if (spec.arcStepDeg) {
    mics.push({ id: "ref", role: "reference" });
    const d = createSimDevice({ model: "studio5", serial, mics: "reference", room, sampleRate });
    for (let az = -180; az < 180; az += spec.arcStepDeg) {
      const p = { azimuthDeg: az, elevationDeg: 0, distanceMeters: 2 };
      add(d.trueImpulseResponses(p).ir as Record<string, Record<string, Float64Array>>, p, ["ref"]);
    }
    await d.close();
  }
  const manifest: MeasurementSetManifest = {
    format: "spatialcal.measurement-set",
    version: 1,
    createdAt: "2026-11-26T10:00:00Z",
    sampleRate,
    device: {
      model: "studio5",
      serial,
      drivers: [
        { id: "mid-left", kind: "midrange" },
        { id: "mid-right", kind: "midrange" },
        { id: "mid-top", kind: "midrange" },
        { id: "tweeter", kind: "tweeter" },
        { id: "woofer", kind: "woofer" },
      ],
    },
    rig: { backend: "sim", description: `true IRs, ${room}` },
    mics,
    captures,
  };
  await writeMeasurementSet(folder, manifest, audio);
  return await readMeasurementSet(folder);
}

export { join };
export { withTempDir } from "../_temp.ts";
