/**
 * Test helper: a measurement set of a device the project was not developed
 * on, written from a free-field model: omni point sources (propagation delay
 * and 1/r spreading, no enclosure), ears with the Brown & Duda (1998)
 * one-pole head shadow, a reference-mic arc. The IRs are synthesized in the
 * frequency domain (exact fractional delays), tapered above 20 kHz so the
 * band-limited impulses ring little, and written as the set's IR files.
 *
 * @module
 */
import {
  type CaptureEntry,
  irFileName,
  type MeasurementSet,
  type MeasurementSetManifest,
  readMeasurementSet,
  writeMeasurementSet,
} from "../../io/manifest.ts";
import type { MicPosition } from "../../measure/audio_device.ts";
import type { Signal } from "../../dsp/signal.ts";
import { realFftPlan } from "../../dsp/fft.ts";
import { SPEED_OF_SOUND_MPS } from "../../dsp/constants.ts";
import { HEAD_RADIUS_METERS, headShadowAlpha } from "../../design/virtualizer.ts";
import { offsetPosition } from "../../measure/positions.ts";

/** A point in the device frame, metres (x front, y left). */
export interface PointXY {
  readonly x: number;
  readonly y: number;
}

/** The line array of issue 12: 5 omni drivers 5 cm apart on the front, 20 cm wide. */
export const LINE_ARRAY_5: readonly PointXY[] = [-0.1, -0.05, 0, 0.05, 0.1].map((y) => ({
  x: 0,
  y,
}));

/** A circular array: `count` omni drivers on a circle of `radiusMeters`, the first at +x. */
export function circularArray(count: number, radiusMeters: number): PointXY[] {
  return Array.from({ length: count }, (_, i) => {
    const a = (2 * Math.PI * i) / count;
    return { x: radiusMeters * Math.cos(a), y: radiusMeters * Math.sin(a) };
  });
}

export interface FreeFieldSetSpec {
  readonly drivers: readonly PointXY[];
  readonly model?: string;
  /** Listener distance in metres (default 0.6). */
  readonly listenerMeters?: number;
  /** Head offsets in cm (x, y) of the binaural positions (default [[0, 0]]). */
  readonly headOffsetsCm?: readonly (readonly [number, number])[];
  /** Arc radius in metres (default 2) and step in degrees (default 5; null for none). */
  readonly arcMeters?: number;
  readonly arcStepDeg?: number | null;
}

const SAMPLE_RATE = 48000;
const IR_LENGTH = 4096;

/** IR of an omni point source heard at distance r, optionally through the head shadow. */
function pointIr(r: number, shadowAlpha: number | null): Float64Array {
  const plan = realFftPlan(IR_LENGTH);
  const bins = IR_LENGTH / 2 + 1;
  const re = new Float64Array(bins), im = new Float64Array(bins);
  const w0 = SPEED_OF_SOUND_MPS / HEAD_RADIUS_METERS;
  for (let k = 0; k < bins; k++) {
    const f = (k * SAMPLE_RATE) / IR_LENGTH, w = 2 * Math.PI * f;
    const taper = f <= 20000 ? 1 : 0.5 * (1 + Math.cos((Math.PI * (f - 20000)) / 4000));
    let sr = 1, si = 0;
    if (shadowAlpha !== null) {
      const ni = (shadowAlpha * w) / (2 * w0), di = w / (2 * w0);
      const dd = 1 + di * di;
      sr = (1 + ni * di) / dd;
      si = (ni - di) / dd;
    }
    const pr = Math.cos((w * r) / SPEED_OF_SOUND_MPS) / r;
    const pi = -Math.sin((w * r) / SPEED_OF_SOUND_MPS) / r;
    re[k] = taper * (sr * pr - si * pi);
    im[k] = taper * (sr * pi + si * pr);
  }
  im[bins - 1] = 0;
  return plan.inverse({ re, im });
}

/** Write the free-field set to `folder` and open it. */
export async function writeFreeFieldSet(
  folder: string,
  spec: FreeFieldSetSpec,
): Promise<MeasurementSet> {
  const drivers = spec.drivers.map((_, i) => `d${i + 1}`);
  const listener = spec.listenerMeters ?? 0.6;
  const captures: CaptureEntry[] = [];
  const audio = new Map<string, Signal>();
  const add = (driver: string, mic: string, position: MicPosition, ir: Float64Array) => {
    const path = irFileName(driver, mic, position);
    audio.set(path, { sampleRate: SAMPLE_RATE, channels: [ir] });
    captures.push({ driver, mic, position, ir: path });
  };
  for (const [xCm, yCm] of spec.headOffsetsCm ?? [[0, 0]]) {
    const position = offsetPosition(
      { azimuthDeg: 0, elevationDeg: 0, distanceMeters: listener },
      xCm,
      yCm,
    );
    const hx = listener + xCm / 100, hy = yCm / 100;
    spec.drivers.forEach((d, i) => {
      // The listener faces the device (-x): the left ear is toward the device's -y.
      for (const [mic, side] of [["ear-left", -1], ["ear-right", 1]] as const) {
        const ey = hy + side * HEAD_RADIUS_METERS;
        const r = Math.hypot(hx - d.x, ey - d.y);
        const toSrcX = d.x - hx, toSrcY = d.y - hy;
        const cosPhi = (side * toSrcY) / Math.hypot(toSrcX, toSrcY);
        const alpha = headShadowAlpha((Math.acos(cosPhi) * 180) / Math.PI);
        add(drivers[i]!, mic, position, pointIr(r, alpha));
      }
    });
  }
  const step = spec.arcStepDeg === undefined ? 5 : spec.arcStepDeg;
  if (step !== null) {
    const radius = spec.arcMeters ?? 2;
    for (let az = -180; az < 180; az += step) {
      const th = (az * Math.PI) / 180;
      const position = { azimuthDeg: az, elevationDeg: 0, distanceMeters: radius };
      spec.drivers.forEach((d, i) => {
        const r = Math.hypot(radius * Math.cos(th) - d.x, radius * Math.sin(th) - d.y);
        add(drivers[i]!, "ref", position, pointIr(r, null));
      });
    }
  }
  const manifest: MeasurementSetManifest = {
    format: "spatialcal.measurement-set",
    version: 1,
    createdAt: "2026-12-03T10:00:00Z",
    sampleRate: SAMPLE_RATE,
    device: {
      model: spec.model ?? "free-field-array",
      serial: "FF-1",
      drivers: drivers.map((id) => ({ id, kind: "fullrange" })),
    },
    rig: { backend: "sim", description: "free-field point sources, Brown & Duda head shadow" },
    mics: [
      { id: "ear-left", role: "ear-left" },
      { id: "ear-right", role: "ear-right" },
      ...(step !== null ? [{ id: "ref", role: "reference" as const }] : []),
    ],
    captures,
  };
  await writeMeasurementSet(folder, manifest, audio);
  return await readMeasurementSet(folder);
}
