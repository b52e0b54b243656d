import assert from "node:assert/strict";
import { createSimDevice } from "../../sim/sim_device.ts";
import { synchronizedSweep } from "../../measure/synchronized_sweep.ts";
import { estimateClock, openLoopLayout, openLoopStimulus } from "../../measure/open_loop.ts";

Deno.test("sim device open loop: no loopback input, its clock and unknown start show in the markers (-120 ppm read to 0.01 ppm, starts within 0..2 s and different per capture)", async () => {
  const fs = 48000;
  const device = createSimDevice({
    model: "soundbar2",
    serial: "CLOCK-1",
    mics: "reference",
    openLoop: { clockPpm: -120 },
  });
  assert.deepEqual(device.inputs.map((i) => i.id), ["ref"]);
  const sweep = synchronizedSweep({
    startHz: 20,
    endHz: 20000,
    durationSeconds: 0.5,
    sampleRate: fs,
  });
  const layout = openLoopLayout(sweep, 2, 0.3);
  const stimulus = openLoopStimulus(sweep, layout);
  const outputs = device.outputs.map((o) => o.id);
  const starts: number[] = [];
  for (let k = 0; k < 2; k++) {
    const rec = await device.playRecord({
      outputs,
      stimulus,
      inputs: ["ref"],
      tailSamples: 2 * fs + 4800,
    });
    assert.equal(rec.signal.channels[0]!.length, layout.lengthSamples + 2 * fs + 4800);
    const clock = estimateClock(layout, rec.signal);
    assert.ok(Math.abs(clock.driftPpm + 120) < 0.01, `${clock.driftPpm}`);
    starts.push(clock.firstMarkerSamples / fs);
  }
  // The marker arrives after the start plus 2 m of air (5.8 ms) and the drivers' delay.
  for (const s of starts) assert.ok(s > 0.005 && s < 2.02, `${s}`);
  assert.notEqual(starts[0]!.toFixed(3), starts[1]!.toFixed(3));
  await assert.rejects(
    () => device.playRecord({ outputs, stimulus, inputs: ["loopback"], tailSamples: 0 }),
    /inputs must be ids among ref/,
  );
  assert.throws(
    () =>
      createSimDevice({
        model: "soundbar2",
        serial: "x",
        mics: "reference",
        openLoop: { clockPpm: 5000 },
      }),
    /openLoop.clockPpm must be a number in \[-1000, 1000\] ppm: current value is 5000/,
  );
});
