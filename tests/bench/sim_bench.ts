/**
 * Cost of the simulator: IR synthesis per driver × receiver × position, and
 * one playRecord of a 2 s sweep. Devices and stimuli are built once, outside
 * the timed regions; each iteration moves to a new azimuth so the IR cache
 * does not hide the synthesis.
 */
import { createSimDevice } from "../../sim/sim_device.ts";
import { synchronizedSweep } from "../../measure/synchronized_sweep.ts";

const anechoicRef = createSimDevice({ model: "studio5", serial: "SIM-1", mics: "reference" });
const anechoicHead = createSimDevice({ model: "studio5", serial: "SIM-1", mics: "binaural" });
const roomRef = createSimDevice({
  model: "studio5",
  serial: "SIM-1",
  mics: "reference",
  room: "living-room",
});
const roomHead = createSimDevice({
  model: "studio5",
  serial: "SIM-1",
  mics: "binaural",
  room: "living-room",
});
roomHead.trueImpulseResponses(); // builds the plane-wave head table once
const sweep = synchronizedSweep({
  startHz: 20,
  endHz: 24000,
  durationSeconds: 2,
  sampleRate: 48000,
  levelDbfs: -12,
});

let azimuth = 0;
const nextPosition = () => ({
  azimuthDeg: (azimuth = (azimuth + 0.37) % 360) - 180,
  elevationDeg: 0,
  distanceMeters: 2,
});

Deno.bench("IR synthesis, anechoic, reference mic, 5 drivers, 8192 taps", () => {
  anechoicRef.trueImpulseResponses(nextPosition());
});

Deno.bench("IR synthesis, anechoic, binaural head, 5 drivers × 2 ears, 8192 taps", () => {
  anechoicHead.trueImpulseResponses(nextPosition());
});

Deno.bench("IR synthesis, living-room order 20, reference mic, 5 drivers, 16384 taps", () => {
  roomRef.trueImpulseResponses(nextPosition());
});

Deno.bench(
  "IR synthesis, living-room order 20, binaural head, 5 drivers × 2 ears, 16384 taps",
  () => {
    roomHead.trueImpulseResponses(nextPosition());
  },
);

Deno.bench(
  "playRecord, 2 s sweep, 1 driver → ref + loopback, new position each time (anechoic)",
  async () => {
    await anechoicRef.moveTo(nextPosition());
    await anechoicRef.playRecord({
      outputs: ["mid-left"],
      stimulus: [sweep.samples],
      inputs: ["ref", "loopback"],
      tailSamples: 12000,
    });
  },
);

Deno.bench(
  "playRecord, 2 s sweep, 1 driver → 2 ears + loopback, new position each time (living-room)",
  async () => {
    await roomHead.moveTo(nextPosition());
    await roomHead.playRecord({
      outputs: ["mid-left"],
      stimulus: [sweep.samples],
      inputs: ["ear-left", "ear-right", "loopback"],
      tailSamples: 24000,
    });
  },
);
