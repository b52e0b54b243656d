/**
 * What the report reads from a measurement set: each driver's main capture
 * (the reference mic nearest the front, else its first capture), the first
 * binaural position, and the horizontal reference arc.
 *
 * @module
 */
import type { CaptureEntry, MeasurementSet } from "../io/manifest.ts";
import { wrapDeg } from "../dsp/angles.ts";

/** Captures of a set grouped the way the report plots them. */
export interface SetData {
  /** Sample rate of the set in Hz. */
  readonly sampleRate: number;
  /** Driver ids in the manifest's order. */
  readonly drivers: readonly string[];
  /** Each driver's main capture and its IR. */
  readonly main: ReadonlyMap<string, { readonly capture: CaptureEntry; readonly ir: Float64Array }>;
  /** The first binaural position: label and `irs[driver] = [left, right]`. */
  readonly binaural:
    | {
      readonly label: string;
      readonly irs: ReadonlyMap<string, readonly [Float64Array, Float64Array]>;
    }
    | undefined;
  /** Reference arc at elevation 0 and the most common distance: azimuths ascending, `irs[az][driver]`. */
  readonly arc:
    | {
      readonly distanceMeters: number;
      readonly azimuthsDeg: number[];
      readonly irs: Float64Array[][];
    }
    | undefined;
}

/** Read the captures the report needs (IRs are read once each). */
export async function readSetData(set: MeasurementSet): Promise<SetData> {
  const m = set.manifest;
  const drivers = m.device.drivers.map((d) => d.id);
  const role = new Map(m.mics.map((mic) => [mic.id, mic.role]));
  const cache = new Map<string, Promise<Float64Array>>();
  const read = (c: CaptureEntry) => {
    let p = cache.get(c.ir);
    if (!p) {
      p = set.readIr(c).then((s) => s.channels[0] ?? new Float64Array(0));
      cache.set(c.ir, p);
    }
    return p;
  };
  const off = (c: CaptureEntry) =>
    Math.abs(wrapDeg(c.position.azimuthDeg)) + Math.abs(c.position.elevationDeg);
  const main = new Map<string, { capture: CaptureEntry; ir: Float64Array }>();
  for (const d of drivers) {
    const mine = m.captures.filter((c) => c.driver === d);
    const refs = mine.filter((c) => role.get(c.mic) === "reference").sort((a, b) =>
      off(a) - off(b)
    );
    const capture = refs[0] ?? mine[0];
    if (capture) main.set(d, { capture, ir: await read(capture) });
  }
  // First binaural position with both ears of every driver.
  let binaural: SetData["binaural"];
  const positions = new Map<string, CaptureEntry[]>();
  for (const c of m.captures) {
    const r = role.get(c.mic);
    if (r !== "ear-left" && r !== "ear-right") continue;
    const key = JSON.stringify(c.position);
    positions.set(key, [...(positions.get(key) ?? []), c]);
  }
  for (const caps of positions.values()) {
    const irs = new Map<string, [Float64Array, Float64Array]>();
    for (const d of drivers) {
      const l = caps.find((c) => c.driver === d && role.get(c.mic) === "ear-left");
      const r = caps.find((c) => c.driver === d && role.get(c.mic) === "ear-right");
      if (l && r) irs.set(d, [await read(l), await read(r)]);
    }
    if (irs.size === drivers.length) {
      const p = caps[0]!.position;
      binaural = {
        label: `azimuth ${p.azimuthDeg}°, ${p.distanceMeters} m${
          p.headYawDeg ? `, head turned ${p.headYawDeg}°` : ""
        }`,
        irs,
      };
      break;
    }
  }
  // Arc.
  const refs = m.captures.filter((c) =>
    role.get(c.mic) === "reference" && Math.abs(c.position.elevationDeg) < 1e-6
  );
  const byDistance = new Map<number, number>();
  for (const c of refs) {
    const r = Math.round(c.position.distanceMeters * 1000) / 1000;
    byDistance.set(r, (byDistance.get(r) ?? 0) + 1);
  }
  const distance = [...byDistance.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  let arc: SetData["arc"];
  if (distance !== undefined) {
    const byAz = new Map<number, Map<string, CaptureEntry>>();
    for (const c of refs) {
      if (Math.round(c.position.distanceMeters * 1000) / 1000 !== distance) continue;
      const az = Math.round(wrapDeg(c.position.azimuthDeg) * 1e4) / 1e4;
      if (!byAz.has(az)) byAz.set(az, new Map());
      byAz.get(az)!.set(c.driver, c);
    }
    const azimuthsDeg = [...byAz.keys()].filter((az) => drivers.every((d) => byAz.get(az)!.has(d)))
      .sort((a, b) => a - b);
    if (azimuthsDeg.length >= 3) {
      const irs = await Promise.all(
        azimuthsDeg.map((az) => Promise.all(drivers.map((d) => read(byAz.get(az)!.get(d)!)))),
      );
      arc = { distanceMeters: distance, azimuthsDeg, irs };
    }
  }
  return { sampleRate: m.sampleRate, drivers, main, binaural, arc };
}
