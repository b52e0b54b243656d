/**
 * Fit time of a studio5 set: binaural at 2 m (5 drivers × 2 ears) + a 72-point
 * reference arc, 2048 taps (design grid 4096), IRs preloaded so only the fit
 * is timed. Goal: under a second.
 */
import { join } from "node:path";
import { writeTrueSet } from "../calibrate/_sets.ts";
import { fitBundle } from "../../calibrate/fit.ts";
import { evaluateBundle } from "../../calibrate/evaluate.ts";
import type { CaptureEntry, MeasurementSet } from "../../io/manifest.ts";
import type { Signal } from "../../dsp/signal.ts";

const dir = await Deno.makeTempDir({ prefix: "spatialcal-fit-bench-" });
const onDisk = await writeTrueSet(join(dir, "u1"), { arcStepDeg: 5 });
const cache = new Map<string, Signal>();
for (const c of onDisk.manifest.captures) cache.set(c.ir, await onDisk.readIr(c));
const set: MeasurementSet = {
  ...onDisk,
  readIr: (c: CaptureEntry) => Promise.resolve(cache.get(c.ir)!),
};
const fitted = await fitBundle(set);
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

Deno.bench(
  "fitBundle studio5: 10 ear IRs + 72×5 arc IRs, 2048 taps, full chain (CTC + beamformer + FIR + predicted)",
  async () => {
    await fitBundle(set);
  },
);

Deno.bench("fitBundle studio5: pure CTC, two inputs, 2048 taps", async () => {
  await fitBundle(set, { virtualizer: "none", upmix: "none" });
});

Deno.bench("evaluateBundle studio5: 8192-sample IRs, 1 position + 72-point arc", async () => {
  await evaluateBundle(fitted.bundle, fitted.filters, set);
});
