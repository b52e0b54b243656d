/**
 * Bundles for the command-line tests: a binaural set built from a synthetic unit (so that a real
 * fit runs on it) and a forger that swaps a bundle's filters and re-hashes everything.
 *
 * @module
 */
import { join } from "node:path";
import type { UnitMeasurement } from "../../calibrate/limits.ts";
import { bundleContentSha256, type FilterBundle, readBundle } from "../../calibrate/bundle.ts";
import { irFileName, writeMeasurementSet } from "../../io/manifest.ts";
import { sha256Hex } from "../../io/atomic.ts";
import { encodeWav } from "../../io/wav.ts";
import { seededRandom } from "../_assert.ts";

/**
 * A binaural set of the unit, as if its three drivers stood left of, in front of and right of a
 * listener: each ear hears the driver's own IR, the far ear 6 dB down and 6 samples later
 * (0.125 ms, the interaural delay of ~25°). The woofer reaches both ears alike.
 */
export async function binauralSetOf(folder: string, unit: UnitMeasurement): Promise<void> {
  const ear: Record<string, [number, number, number, number]> = {
    // [left gain, left delay, right gain, right delay]
    woofer: [1, 0, 1, 0],
    mid: [1, 0, 0.5, 6],
    tweeter: [0.5, 6, 1, 0],
  };
  const position = { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 };
  const audio = new Map<string, { sampleRate: number; channels: Float64Array[] }>();
  const captures = unit.captures.flatMap((c) =>
    (["L", "R"] as const).map((mic, side) => {
      const [gain, delay] = ear[c.driver]!.slice(2 * side, 2 * side + 2) as [number, number];
      const ir = new Float64Array(c.ir.length);
      for (let i = delay; i < ir.length; i++) ir[i] = gain * c.ir[i - delay]!;
      const path = irFileName(c.driver, mic, position);
      audio.set(path, { sampleRate: unit.sampleRate, channels: [ir] });
      return { driver: c.driver, mic, position, ir: path };
    })
  );
  await writeMeasurementSet(folder, {
    format: "spatialcal.measurement-set",
    version: 1,
    createdAt: "2026-01-01T00:00:00.000Z",
    sampleRate: unit.sampleRate,
    device: {
      model: unit.model,
      serial: unit.serial,
      drivers: unit.drivers.map((id) => ({ id, kind: id })),
    },
    rig: { backend: "file" },
    mics: [{ id: "L", role: "ear-left" }, { id: "R", role: "ear-right" }],
    captures,
  }, audio);
}

/** Replace a bundle's filters by seeded noise, keep its `predicted`, and re-hash every file. */
export async function forgeGarbageFilters(folder: string): Promise<void> {
  const { bundle, filters } = await readBundle(folder);
  const rand = seededRandom(7);
  const garbage = Object.fromEntries(
    Object.entries(filters).map((
      [input, channels],
    ) => [input, channels.map((h) => h.map(() => Math.fround(0.1 * (rand() - 0.5))))]),
  );
  const files: Record<string, string> = {};
  for (const input of bundle.inputs) {
    const bytes = encodeWav({ sampleRate: bundle.sampleRate, channels: garbage[input]! }, {
      encoding: "float",
    });
    await Deno.writeFile(join(folder, bundle.filters[input]!), bytes);
    files[bundle.filters[input]!] = await sha256Hex(bytes);
  }
  const forged: FilterBundle = { ...bundle, files };
  await Deno.writeTextFile(
    join(folder, "bundle.json"),
    JSON.stringify({ ...forged, sha256: await bundleContentSha256(forged) }, null, 2),
  );
}
