/**
 * Compute per unit after capture on the line: separating the one-pass
 * recording (5 drivers, K = 30, IR 2048, 3.3 s at 48 kHz) and verifying the
 * unit against limits. Inputs are built once with fixed serials; the
 * simulator's synthesis (the physical playback) is outside the timed region.
 * Target: < 200 ms per unit.
 */
import { computeLimits } from "../../calibrate/golden.ts";
import { measureSimUnit } from "../../calibrate/line_sim.ts";
import { DEFAULT_STATION, passCaptures } from "../../calibrate/line_station.ts";
import type { UnitMeasurement } from "../../calibrate/limits.ts";
import type { MultiSweepMeasurement } from "../../measure/multi_sweep.ts";
import { verifyUnit } from "../../calibrate/verify.ts";
import { multiSweepStimulus, separateMultiSweep } from "../../measure/multi_sweep.ts";
import { createSimDevice } from "../../sim/sim_device.ts";

const station = DEFAULT_STATION;
const golden = [];
for (let i = 0; i < 5; i++) {
  golden.push((await measureSimUnit({ model: "studio5", serial: `BENCH-G-${i}`, station })).unit);
}
const limits = await computeLimits(golden);
const { measurement } = await measureSimUnit({ model: "studio5", serial: "BENCH-1", station });
const plan = measurement.plan;
// Record the raw mic and loopback channels once.
const device = createSimDevice({ model: "studio5", serial: "BENCH-1", mics: "reference" });
await device.moveTo(station.position);
const rec = await device.playRecord({
  outputs: measurement.driverIds,
  stimulus: multiSweepStimulus(plan),
  inputs: ["ref", "loopback"],
  tailSamples: plan.tailSamples,
});
await device.close();
const [mic, loopback] = rec.signal.channels as [Float64Array, Float64Array];
const unitOf = (m: MultiSweepMeasurement): UnitMeasurement => ({
  model: "studio5",
  serial: "BENCH-1",
  sampleRate: station.sampleRate,
  drivers: [...m.driverIds],
  captures: passCaptures(m),
});
const unit = unitOf(measurement);

Deno.bench("line compute per unit: separate + verify (studio5, 5 drivers, 3.3 s at 48 kHz)", () => {
  const m = separateMultiSweep(plan, mic, { loopback });
  const u = unitOf({ ...measurement, ...m });
  const v = verifyUnit(u, limits);
  if (!v.passed) throw new Error(v.violations.map((x) => x.reason).join("; "));
});

Deno.bench("separateMultiSweep (5 drivers, K = 30, IR 2048, 3.3 s at 48 kHz)", () => {
  separateMultiSweep(plan, mic, { loopback });
});

Deno.bench("verifyUnit (5 drivers, 1/3-octave bands, 8192-point FFT)", () => {
  verifyUnit(unit, limits);
});
