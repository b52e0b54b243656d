/**
 * A mic calibration carried by a device input (a rig's `mics[].sensitivityDbfs` /
 * `responseFile`) is applied by the measurement session: response divided out, dB SPL levels,
 * `mics[].calibration` in the manifest.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runMeasurementSession } from "../../measure/session.ts";
import { readMeasurementSet } from "../../io/manifest.ts";
import { readRigFile, rigMicCalibration } from "../../measure/rig.ts";
import { createFakeDevice } from "./_fake_device.ts";
import { errorDb } from "../_assert.ts";
import { biquadFilter, biquadResponse, designBiquad } from "../../dsp/filters.ts";
import { amplitudeToDb } from "../../dsp/db.ts";
import { withTempDir } from "../_temp.ts";
import type { AudioDevice, PlayRecordRequest } from "../../measure/audio_device.ts";

const FS = 48000;
const MIC = [designBiquad({ type: "peaking", frequencyHz: 6000, sampleRate: FS, q: 1, gainDb: 4 })];
const plan = {
  sweep: { startHz: 20, endHz: 20000, durationSeconds: 0.3, sampleRate: FS },
  positions: [{ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 1 }],
  irLengthSeconds: 0.05,
};

function responseFileText(): string {
  const lines = ["* mic 42, 0.5 dB grid"];
  for (let i = 0; i <= 300; i++) {
    const hz = 10 * Math.pow(2400, i / 300);
    const H = biquadResponse(MIC, [hz], FS);
    lines.push(`${hz.toFixed(3)} ${amplitudeToDb(Math.hypot(H.re[0]!, H.im[0]!)).toFixed(5)}`);
  }
  return lines.join("\n") + "\n";
}

Deno.test("a rig mic's sensitivity and response file are applied by the session: corrected IRs, dB SPL, manifest calibration", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "mic42.txt"), responseFileText());
    await Deno.writeTextFile(
      join(dir, "rig.json"),
      JSON.stringify({
        format: "spatialcal.rig",
        version: 1,
        sampleRate: FS,
        device: { model: "fake3" },
        interface: { outputChannels: 4, inputChannels: 4 },
        drivers: [{ id: "left", kind: "midrange", outputChannel: 1 }],
        mics: [{
          id: "ear-left",
          role: "ear-left",
          inputChannel: 1,
          sensitivityDbfs: -28,
          responseFile: "mic42.txt",
        }, { id: "ear-right", role: "ear-right", inputChannel: 2 }],
        loopback: { outputChannel: 4, inputChannel: 4 },
      }),
    );
    const rig = await readRigFile(join(dir, "rig.json"));
    const calibration = rigMicCalibration(rig.mics[0]!)!;
    assert.equal(calibration.sensitivityDbfs, -28);
    assert.equal(calibration.response!.file, "mic42.txt");
    assert.equal(rigMicCalibration(rig.mics[1]!), undefined);

    // The fake device, its ear-left input heard through the mic's +4 dB peak.
    const plain = createFakeDevice();
    const fake = createFakeDevice();
    const device: AudioDevice = {
      ...fake,
      inputs: fake.inputs.map((i) => (i.id === "ear-left" ? { ...i, calibration } : i)),
      playRecord: async (request: PlayRecordRequest) => {
        const r = await fake.playRecord(request);
        const channels = r.signal.channels.map((c, k) =>
          request.inputs[k] === "ear-left" ? biquadFilter(MIC, c) : c
        );
        return { ...r, signal: { ...r.signal, channels } };
      },
      moveTo: (p) => fake.moveTo(p),
    };
    await runMeasurementSession(plain, plan, { out: join(dir, "plain") });
    await runMeasurementSession(device, plan, { out: join(dir, "calibrated") });
    const a = await readMeasurementSet(join(dir, "plain"));
    const b = await readMeasurementSet(join(dir, "calibrated"));
    assert.deepEqual(b.manifest.mics[0]!.calibration?.sensitivityDbfs, -28);
    assert.equal(b.manifest.mics[0]!.calibration?.responseFile, "mic42.txt");
    assert.match(b.manifest.mics[0]!.calibration?.responseSha256 ?? "", /^[0-9a-f]{64}$/);
    assert.equal(b.manifest.mics[1]!.calibration, undefined);
    for (const capture of b.manifest.captures) {
      const twin = a.manifest.captures.find((c) => c.ir === capture.ir)!;
      const h = (await b.readIr(capture)).channels[0]!;
      const reference = (await a.readIr(twin)).channels[0]!;
      const err = errorDb(h, reference);
      if (capture.mic === "ear-left") {
        // The mic's peak divided out: the same IR as without the mic (measured −53.3 dB; what
        // is left is mostly the band-limited delta's pre-ringing, cut at the IR's sample 0
        // before the correction could act on it). Uncorrected: about −11 dB.
        assert.ok(err < -50, `${capture.ir}: ${err.toFixed(1)} dB`);
        assert.equal(typeof capture.fullScaleLevelDbSpl, "number");
        assert.ok(Math.abs(capture.peakDbSpl! - (capture.peakDbfs! + 28 + 94)) < 0.011);
      } else {
        assert.equal(err, -Infinity); // untouched
        assert.equal(capture.fullScaleLevelDbSpl, undefined);
      }
    }
  });
});

Deno.test("readRigFile refuses a mic response file it cannot read, naming the field", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "rig.json"),
      JSON.stringify({
        format: "spatialcal.rig",
        version: 1,
        sampleRate: FS,
        device: { model: "m" },
        interface: { outputChannels: 2, inputChannels: 2 },
        drivers: [{ id: "d", kind: "fullrange", outputChannel: 1 }],
        mics: [{ id: "ref", role: "reference", inputChannel: 1, responseFile: "nope.txt" }],
      }),
    );
    await assert.rejects(readRigFile(join(dir, "rig.json")), {
      name: "InputError",
      message:
        /mics\[0\]\.responseFile names a file that cannot be read .*: current value is "nope\.txt"/,
    });
  });
});
