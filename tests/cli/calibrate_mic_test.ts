/**
 * Mic calibration end to end: a calibrator recording gives the sensitivity (`deno task
 * calibrate-mic`), and a sweep recording through a mic with a known sensitivity and a known
 * frequency response, imported with both, gives the acoustic IR and the SPL a full-scale tone
 * makes at the mic.
 */
import assert from "node:assert/strict";
import { runCli } from "./_run.ts";
import { join, withTempDir } from "../calibrate/_sets.ts";
import { errorDb, seededRandom } from "../_assert.ts";
import { readMeasurementSet } from "../../io/manifest.ts";
import { writeWav } from "../../io/wav.ts";
import { sweepToJson, synchronizedSweep } from "../../measure/synchronized_sweep.ts";
import { fftConvolve } from "../../dsp/convolve.ts";
import { biquadFilter, biquadResponse, designBiquad } from "../../dsp/filters.ts";
import { amplitudeToDb } from "../../dsp/db.ts";
import { kaiserHighpass } from "../_reference/kaiser.ts";
import { sha256Hex } from "../../io/atomic.ts";

const FS = 48000;
/** The mic's sensitivity: a 94 dB SPL tone reads −31.7 dBFS. */
const SENSITIVITY_DBFS = -31.7;
/** RMS pressure of a 94 dB SPL tone: 20 µPa · 10^(94/20) = 1.0024 Pa. */
const PA_94 = 20e-6 * Math.pow(10, 94 / 20);
/** Full-scale units per pascal (peak amplitude to peak amplitude): 10^(S/20) / (√2 · PA_94). */
const FS_PER_PA = Math.pow(10, SENSITIVITY_DBFS / 20) / (Math.SQRT2 * PA_94);

/** The mic's own deviation from flat: +5 dB at 9 kHz (Q 1.5), −3 dB shelf below 60 Hz. */
const MIC = [
  designBiquad({ type: "peaking", frequencyHz: 9000, sampleRate: FS, q: 1.5, gainDb: 5 }),
  designBiquad({ type: "lowshelf", frequencyHz: 60, sampleRate: FS, q: 0.7, gainDb: -3 }),
];

function calibratorRecording(tonePa: number, seconds: number): Float64Array {
  const random = seededRandom(3);
  return Float64Array.from({ length: seconds * FS }, (_, n) => {
    const onset = Math.min(1, n / (0.2 * FS)); // the calibrator switching on
    const tone = tonePa * Math.SQRT2 * Math.sin((2 * Math.PI * 1000 * n) / FS);
    return FS_PER_PA * onset * tone + 1e-4 * (random() - 0.5);
  });
}

Deno.test("calibrate-mic reads the sensitivity from a 94 dB SPL calibrator recording to 0.02 dB", async () => {
  await withTempDir(async (dir) => {
    // Channel 2 holds the calibrator (94 dB SPL); channel 1 is another, silent input.
    await writeWav(join(dir, "cal.wav"), {
      sampleRate: FS,
      channels: [new Float64Array(3 * FS), calibratorRecording(PA_94, 3)],
    });
    const r = await runCli("calibrate_mic.ts", [
      "--recording",
      join(dir, "cal.wav"),
      "--spl",
      "94",
      "--channel",
      "2",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    // The first 10 % (0.3 s) holds the 0.2 s switch-on ramp and is left out; noise at −86 dBFS
    // adds 1e-5 dB. Measured −31.70.
    assert.ok(Math.abs(out.sensitivityDbfs - SENSITIVITY_DBFS) < 0.02, JSON.stringify(out));
    assert.ok(Math.abs(out.frequencyHz - 1000) < 1);
    assert.deepEqual(out.warnings, []);
    // The same recording said to be at 114 dB SPL means a mic 20 dB less sensitive.
    const loud = await runCli("calibrate_mic.ts", [
      "--recording",
      join(dir, "cal.wav"),
      "--spl",
      "114",
      "--channel",
      "2",
      "--json",
    ]);
    assert.ok(Math.abs(JSON.parse(loud.stdout).sensitivityDbfs - (SENSITIVITY_DBFS - 20)) < 0.02);
    const silent = await runCli("calibrate_mic.ts", ["--recording", join(dir, "cal.wav")]);
    assert.equal(silent.code, 2);
    assert.match(silent.stderr, /the calibrator recording is silent/);
    const bad = await runCli("calibrate_mic.ts", [
      "--recording",
      join(dir, "cal.wav"),
      "--channel",
      "3",
    ]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /--channel as it must be a channel number 1\.\.2 of .*: current value is 3/,
    );
  });
});

Deno.test("import with a mic sensitivity and response file gives the acoustic IR and the SPL of a full-scale tone", async () => {
  await withTempDir(async (dir) => {
    // The acoustic path, in pascals per full-scale unit: 0.5 Pa direct sound at 2.9 ms plus a
    // reflection, band-passed 100 Hz – 16 kHz so the sweep's band edges do not enter.
    const sparse = new Float64Array(600);
    sparse[140] = 0.5;
    sparse[500] = -0.15;
    const high = kaiserHighpass(2401, 100, FS);
    const low = kaiserHighpass(2401, 16000, FS).map((v, n) => (n === 1200 ? 1 : 0) - v);
    const acoustic = fftConvolve(fftConvolve(sparse, high), low);
    const sweep = synchronizedSweep({
      startHz: 20,
      endHz: 20000,
      durationSeconds: 1,
      sampleRate: FS,
      levelDbfs: -12,
    });
    await Deno.writeTextFile(
      join(dir, "sweep.json"),
      JSON.stringify({ format: "spatialcal.sweep", version: 1, ...sweepToJson(sweep) }),
    );
    // The mic: pressure → its response → its sensitivity.
    const pressure = fftConvolve(sweep.samples, acoustic);
    const micOut = biquadFilter(MIC, pressure).map((v) => v * FS_PER_PA);
    const length = sweep.samples.length + FS;
    const mic = new Float64Array(length), loop = new Float64Array(length);
    mic.set(micOut.subarray(0, length - 250), 250);
    loop.set(sweep.samples, 250);
    await writeWav(join(dir, "rec.wav"), { sampleRate: FS, channels: [mic, loop] });

    // The response file as a mic maker ships it: a header line and Hz dB points (no phase).
    const lines = ['"Sens Factor =-0.0dB, SERNO: 7001234"'];
    for (let i = 0; i <= 240; i++) {
      const hz = 10 * Math.pow(2400, i / 240); // 10 Hz – 24 kHz, 240 log-spaced points
      const H = biquadResponse(MIC, [hz], FS);
      lines.push(`${hz.toFixed(3)}\t${amplitudeToDb(Math.hypot(H.re[0]!, H.im[0]!)).toFixed(4)}`);
    }
    await Deno.writeTextFile(join(dir, "mic.txt"), lines.join("\r\n") + "\r\n");
    await Deno.writeTextFile(
      join(dir, "captures.csv"),
      "file,channel,driver,mic,role,azimuth_deg,elevation_deg,distance_m,kind,mic_sensitivity_dbfs,mic_response_file\n" +
        `rec.wav,1,tweeter,ref,reference,0,0,1,recording,${SENSITIVITY_DBFS},mic.txt\n`,
    );
    const r = await runCli("import.ts", [
      "--captures",
      join(dir, "captures.csv"),
      "--out",
      join(dir, "set"),
      "--model",
      "bench",
      "--serial",
      "B2",
      "--sweep",
      join(dir, "sweep.json"),
      "--loopback-channel",
      "2",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const set = await readMeasurementSet(join(dir, "set"));
    const capture = set.manifest.captures[0]!;
    assert.deepEqual(set.manifest.mics[0]!.calibration, {
      sensitivityDbfs: SENSITIVITY_DBFS,
      responseFile: "mic.txt",
      responseSha256: await sha256Hex(await Deno.readFile(join(dir, "mic.txt"))),
    });

    // A 0 dBFS sine at 1 kHz on the driver gives |H(1 kHz)| Pa peak at the mic:
    // SPL = 20·log10(|H|/√2 / 20 µPa), computed here from the acoustic path itself.
    let re = 0, im = 0;
    acoustic.forEach((v, n) => {
      re += v * Math.cos((2 * Math.PI * 1000 * n) / FS);
      im -= v * Math.sin((2 * Math.PI * 1000 * n) / FS);
    });
    const trueSpl = amplitudeToDb(Math.hypot(re, im) / Math.SQRT2 / 20e-6);
    // The manifest keeps 2 decimals; the corrected IR's 1 kHz gain is the acoustic path's to
    // 0.0001 dB (interpolation of the file's 4-decimal dB values). (A test that took 94 dB SPL
    // as exactly 1 Pa — it is 1.0024 Pa — was 0.021 dB off: this tolerance catches that.)
    assert.ok(
      Math.abs((capture as any).fullScaleLevelDbSpl - trueSpl) < 0.02,
      `${(capture as any).fullScaleLevelDbSpl} vs ${trueSpl.toFixed(3)} dB SPL`,
    );
    assert.equal(
      (capture as any).peakDbSpl,
      Math.round((capture.peakDbfs! - SENSITIVITY_DBFS + 94) * 100) / 100,
    );

    // The IR is the acoustic path times the sensitivity: the mic's +5 dB peak is gone.
    const h = (await set.readIr(capture)).channels[0]!;
    const expected = acoustic.map((v) => v * FS_PER_PA);
    const err = errorDb(h.subarray(0, expected.length), expected);
    // Log-frequency interpolation of 240 points over 11 octaves and the minimum-phase
    // reconstruction of the correction: measured −63 dB re the IR's energy.
    assert.ok(err < -50, `corrected IR error ${err.toFixed(1)} dB`);
    // Without the response file the mic's peak stays in: the same comparison fails.
    await Deno.writeTextFile(
      join(dir, "plain.csv"),
      "file,channel,driver,mic,role,azimuth_deg,elevation_deg,distance_m,kind\n" +
        "rec.wav,1,tweeter,ref,reference,0,0,1,recording\n",
    );
    const plain = await runCli("import.ts", [
      "--captures",
      join(dir, "plain.csv"),
      "--out",
      join(dir, "plain"),
      "--model",
      "bench",
      "--serial",
      "B2",
      "--sweep",
      join(dir, "sweep.json"),
      "--loopback-channel",
      "2",
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    const p = await readMeasurementSet(join(dir, "plain"));
    const hp = (await p.readIr(p.manifest.captures[0]!)).channels[0]!;
    assert.ok(errorDb(hp.subarray(0, expected.length), expected) > -20);
    assert.equal(p.manifest.mics[0]!.calibration, undefined);
  });
});
