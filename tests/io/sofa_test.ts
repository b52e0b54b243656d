/**
 * SOFA (AES69-2022) read and write: round trips through the project's own
 * writer and reader, checked by independent tools: h5py (Debian
 * python3-h5py) reads what we write and writes what we read, libmysofa's
 * `mysofa2json` (Debian libmysofa-utils) validates SimpleFreeFieldHRIR
 * files, and the MIT KEMAR file Debian ships in libmysofa1 imports.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  importSofa,
  InputError,
  irFileName,
  type MeasurementSetManifest,
  readMeasurementSet,
  readSofa,
  requiredSofaAttributes,
  writeMeasurementSet,
  writeMeasurementSetSofa,
} from "../../io/mod.ts";
import type { Signal } from "../../dsp/signal.ts";
import { createSimDevice } from "../../sim/sim_device.ts";
import { withTempDir, writeTrueSet } from "../calibrate/_sets.ts";
import { caught } from "./_helpers.ts";

/** Assert `fn` throws an InputError whose message matches and whose fields are these. */
async function assertThrowsInput(
  fn: () => unknown,
  expected: { message: RegExp; field: string; file?: string },
): Promise<void> {
  const error = await caught(fn);
  assert.ok(error instanceof InputError, `expected InputError, got ${error}`);
  assert.match(error.message, expected.message);
  assert.equal(error.field, expected.field);
  if (expected.file !== undefined) assert.equal(error.file, expected.file);
}

const PYTHON = "/usr/bin/python3";
const HERE = new URL(".", import.meta.url).pathname;
const KEMAR = "/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa";

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}): ${text.decode(out.stderr)}`);
  }
  return text.decode(out.stdout);
}

interface H5pyView {
  attributes: Record<string, string>;
  variables: Record<string, {
    shape: number[];
    dtype: string;
    compression: string | null;
    isScale: boolean;
    attributes: Record<string, string>;
    dims: string[][];
  }>;
  irs: number[][];
}

async function h5py(path: string, picks: number[] = []): Promise<H5pyView> {
  return JSON.parse(await run(PYTHON, [join(HERE, "_sofa_h5py.py"), path, ...picks.map(String)]));
}

/** Largest |a − b| relative to max |a|, in dB (−Infinity when equal). */
function errorDb(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "lengths differ");
  let peak = 0, worst = 0;
  for (let i = 0; i < a.length; i++) {
    peak = Math.max(peak, Math.abs(a[i]!));
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  }
  return 20 * Math.log10(worst / peak);
}

const key = (c: { driver: string; mic: string; position: object }) =>
  `${c.driver}@${c.mic}@${JSON.stringify(c.position)}`;

/** A binaural set of one driver with the head in front of studio5 turned to several yaws. */
async function writeHeadSet(folder: string, positions: object[]): Promise<MeasurementSetManifest> {
  const device = createSimDevice({ model: "studio5", serial: "SIM-000123", mics: "binaural" });
  const captures = [];
  const audio = new Map<string, Signal>();
  for (
    const p of positions as { azimuthDeg: number; elevationDeg: number; distanceMeters: number }[]
  ) {
    const ir = device.trueImpulseResponses(p).ir["tweeter"]!;
    for (const mic of ["ear-left", "ear-right"]) {
      const path = irFileName("tweeter", mic, p);
      audio.set(path, { sampleRate: 48000, channels: [ir[mic]!] });
      captures.push({ driver: "tweeter", mic, position: p, ir: path });
    }
  }
  await device.close();
  const manifest: MeasurementSetManifest = {
    format: "spatialcal.measurement-set",
    version: 1,
    createdAt: "2026-11-26T10:00:00Z",
    sampleRate: 48000,
    device: {
      model: "studio5",
      serial: "SIM-000123",
      drivers: [{ id: "tweeter", kind: "tweeter" }],
    },
    rig: { backend: "sim", description: "true IRs, anechoic" },
    mics: [{ id: "ear-left", role: "ear-left" }, { id: "ear-right", role: "ear-right" }],
    captures,
  };
  await writeMeasurementSet(folder, manifest, audio);
  return manifest;
}

Deno.test("set → GeneralFIR-E → set keeps every IR (error below -120 dB), position, id and role", async () => {
  await withTempDir(async (dir) => {
    // two head positions (one turned, off the centre line) and a reference arc: 3 mics × 5
    // drivers × 7 positions, of which only 50 captures exist (the rest must stay missing)
    const set = await writeTrueSet(join(dir, "set"), {
      headOffsetsCm: [[0, 0], [0, 10]],
      arcStepDeg: 60,
    });
    const info = await writeMeasurementSetSofa(set, join(dir, "set.sofa"));
    assert.deepEqual(info, {
      convention: "GeneralFIR-E",
      measurements: 7,
      receivers: 3,
      emitters: 5,
      samples: 8192,
    });
    const manifest = await importSofa(join(dir, "set.sofa"), join(dir, "back"), {
      model: "studio5",
      serial: "SIM-000123",
    });
    const back = await readMeasurementSet(join(dir, "back"));
    assert.deepEqual(manifest.device.drivers, set.manifest.device.drivers);
    assert.deepEqual(manifest.mics, set.manifest.mics);
    assert.equal(manifest.sampleRate, 48000);
    assert.deepEqual(manifest.captures.map(key).sort(), set.manifest.captures.map(key).sort());
    assert.ok(set.manifest.captures.some((c) => c.position.headYawDeg !== undefined));
    assert.ok(set.manifest.captures.some((c) => c.position.azimuthDeg === -180));
    let worst = -Infinity;
    for (const c of set.manifest.captures) {
      const twin = back.manifest.captures.find((d) => key(d) === key(c))!;
      const a = (await set.readIr(c)).channels[0]!;
      const b = (await back.readIr(twin)).channels[0]!;
      worst = Math.max(worst, errorDb(a, b));
    }
    // float32 WAV → float64 SOFA → float32 WAV is exact: -Infinity; the contract asks < -120 dB
    assert.ok(worst < -120, `worst IR error ${worst} dB`);
  });
});

Deno.test("h5py reads our GeneralFIR-E file with the dimensions, attributes and values AES69 requires", async () => {
  await withTempDir(async (dir) => {
    const set = await writeTrueSet(join(dir, "set"), { headOffsetsCm: [[0, 0]], arcStepDeg: 90 });
    await writeMeasurementSetSofa(set, join(dir, "set.sofa"));
    // measurement 0 = head position, receiver 1 = ear-right, emitter 3 = tweeter
    const view = await h5py(join(dir, "set.sofa"), [0, 1, 3, 2, 2, 4]);
    for (const name of requiredSofaAttributes("GeneralFIR-E")) {
      assert.ok(name in view.attributes, `global attribute ${name} missing`);
    }
    assert.equal(view.attributes["Conventions"], "SOFA");
    assert.equal(view.attributes["Version"], "2.1");
    assert.equal(view.attributes["SOFAConventions"], "GeneralFIR-E");
    assert.equal(view.attributes["DataType"], "FIR-E");
    assert.equal(view.attributes["RoomType"], "free field");
    // the arc at 0° shares the head position: M = 4 (0, -180, -90, 90)
    const M = 4, R = 3, E = 5;
    const v = view.variables;
    assert.deepEqual(v["Data.IR"]!.shape, [M, R, 8192, E]);
    assert.deepEqual(v["Data.IR"]!.dims, [["M"], ["R"], ["N"], ["E"]]);
    assert.deepEqual(v["Data.SamplingRate"]!.dims, [["I"]]);
    assert.equal(v["Data.SamplingRate"]!.attributes["Units"], "hertz");
    assert.deepEqual(v["Data.Delay"]!.dims, [["I"], ["R"], ["E"]]);
    assert.deepEqual(v["ListenerPosition"]!.dims, [["M"], ["C"]]);
    assert.deepEqual(v["ReceiverPosition"]!.dims, [["R"], ["C"], ["I"]]);
    assert.deepEqual(v["EmitterPosition"]!.dims, [["E"], ["C"], ["I"]]);
    assert.deepEqual(v["SourcePosition"]!.dims, [["I"], ["C"]]);
    for (
      const name of ["ListenerPosition", "ReceiverPosition", "SourcePosition", "EmitterPosition"]
    ) {
      assert.ok(["cartesian", "spherical"].includes(v[name]!.attributes["Type"]!), name);
      assert.ok(["metre", "degree, degree, metre"].includes(v[name]!.attributes["Units"]!), name);
    }
    for (const [name, dim] of Object.entries({ M, R, E, N: 8192, C: 3, I: 1 })) {
      assert.ok(v[name]!.isScale, `${name} is a dimension scale`);
      assert.deepEqual(v[name]!.shape, [dim]);
    }
    for (const [name, variable] of Object.entries(v)) {
      if (variable.isScale) continue;
      assert.equal(variable.dtype, "<f8", `${name} float64`);
      assert.equal(variable.compression, null, `${name} uncompressed (libmysofa)`);
    }
    // values, as h5py reads them, are the set's IRs
    const headCapture = set.manifest.captures.find((c) =>
      c.driver === "tweeter" && c.mic === "ear-right"
    )!;
    const arc = set.manifest.captures.filter((c) => c.driver === "woofer" && c.mic === "ref");
    assert.equal(errorDb((await set.readIr(headCapture)).channels[0]!, view.irs[0]!), -Infinity);
    assert.equal(errorDb((await set.readIr(arc[1]!)).channels[0]!, view.irs[1]!), -Infinity);
  });
});

Deno.test("a binaural one-driver set as SimpleFreeFieldHRIR: mysofa2json accepts it, values and positions match, it round trips", async () => {
  await withTempDir(async (dir) => {
    const positions = [
      { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 },
      { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2, headYawDeg: 30 },
      { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2, headYawDeg: -90 },
      { azimuthDeg: 0, elevationDeg: 15, distanceMeters: 1.5, headYawDeg: 45 },
    ];
    await writeHeadSet(join(dir, "set"), positions);
    const set = await readMeasurementSet(join(dir, "set"));
    const file = join(dir, "head.sofa");
    await writeMeasurementSetSofa(set, file, { convention: "SimpleFreeFieldHRIR" });
    const json = JSON.parse(await run("mysofa2json", ["-c", file]));
    assert.deepEqual(json.Dimensions, { I: 1, C: 3, R: 2, E: 1, N: 8192, M: 4 });
    assert.equal(json.Attributes.SOFAConventions, "SimpleFreeFieldHRIR");
    const source = json.Variables.SourcePosition;
    assert.deepEqual(source.Dimensions, [4, 3]);
    assert.equal(source.Attributes.Type, "spherical");
    // the device seen from the head: azimuth −yaw (0..360), elevation −elevation, distance
    const expected = [[0, 0, 2], [330, 0, 2], [90, 0, 2], [315, -15, 1.5]].flat();
    source.Values.forEach((x: number, i: number) =>
      assert.ok(Math.abs(x - expected[i]!) < 1e-4, `${x}`)
    );
    // libmysofa's IR values (printed with 6 decimals or so) are ours
    const irs = json.Variables["Data.IR"];
    assert.deepEqual(irs.Dimensions, [4, 2, 8192]);
    const leftAtYaw30 = (await set.readIr(set.manifest.captures[2]!)).channels[0]!;
    let worst = 0;
    for (let n = 0; n < 8192; n++) {
      worst = Math.max(worst, Math.abs(irs.Values[2 * 8192 + n] - leftAtYaw30[n]!));
    }
    assert.ok(worst < 1e-5, `mysofa2json IR differs by ${worst}`);
    // a source at the head's left (yaw −90: device at azimuth +90 seen from the head)
    // reaches the left ear first and louder
    const peakAt = (x: ArrayLike<number>) => {
      let best = 0;
      for (let n = 1; n < x.length; n++) if (Math.abs(x[n]!) > Math.abs(x[best]!)) best = n;
      return best;
    };
    const l = irs.Values.slice(4 * 8192, 5 * 8192), r = irs.Values.slice(5 * 8192, 6 * 8192);
    assert.ok(peakAt(l) < peakAt(r) && Math.abs(l[peakAt(l)]) > Math.abs(r[peakAt(r)]));

    const manifest = await importSofa(file, join(dir, "back"), {
      model: "studio5",
      serial: "SIM-000123",
    });
    assert.deepEqual(manifest.captures.map(key).sort(), set.manifest.captures.map(key).sort());
    const back = await readMeasurementSet(join(dir, "back"));
    for (const c of set.manifest.captures) {
      const twin = back.manifest.captures.find((d) => key(d) === key(c))!;
      const e = errorDb((await set.readIr(c)).channels[0]!, (await back.readIr(twin)).channels[0]!);
      assert.ok(e < -120, `${key(c)}: ${e} dB`);
    }
  });
});

Deno.test("SimpleFreeFieldHRIR refuses a set whose head moves around the device, naming the field", async () => {
  await withTempDir(async (dir) => {
    await writeHeadSet(join(dir, "set"), [{ azimuthDeg: 30, elevationDeg: 0, distanceMeters: 2 }]);
    const set = await readMeasurementSet(join(dir, "set"));
    await assert.rejects(
      writeMeasurementSetSofa(set, join(dir, "x.sofa"), { convention: "SimpleFreeFieldHRIR" }),
      (e: unknown) =>
        e instanceof InputError &&
        /Cannot write measurement set .* as SimpleFreeFieldHRIR as captures position 1 azimuthDeg must be 0 .*current value is 30/
          .test(e.message),
    );
    const five = await writeTrueSet(join(dir, "five"));
    await assert.rejects(
      writeMeasurementSetSofa(five, join(dir, "y.sofa"), { convention: "SimpleFreeFieldHRIR" }),
      /device\.drivers must hold one driver/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["five", "set"]);
  });
});

Deno.test("Debian's MIT KEMAR file (libmysofa1) imports: 710 directions × 2 ears at 44.1 kHz, as h5py reads them", async () => {
  await withTempDir(async (dir) => {
    const manifest = await importSofa(KEMAR, join(dir, "kemar"), {
      model: "kemar",
      serial: "MIT-normal-pinna",
    });
    const set = await readMeasurementSet(join(dir, "kemar"));
    assert.equal(manifest.sampleRate, 44100);
    assert.equal(manifest.captures.length, 710 * 2);
    assert.deepEqual(manifest.mics, [
      { id: "ear-left", role: "ear-left" },
      { id: "ear-right", role: "ear-right" },
    ]);
    assert.equal(manifest.createdAt, "1999-11-16T20:01:52Z");
    // SOFA source (az, el, 1.4 m) from the head = head in front of the device, turned by −az,
    // at elevation −el
    const sofa = await readSofa(KEMAR);
    const m = Array.from({ length: 710 }, (_, i) => i).find((i) =>
      sofa.sourcePosition.values[3 * i] === 90 && sofa.sourcePosition.values[3 * i + 1] === 0
    )!;
    const left = manifest.captures[2 * m]!, right = manifest.captures[2 * m + 1]!;
    assert.deepEqual(left.position, {
      azimuthDeg: 0,
      elevationDeg: 0,
      distanceMeters: 1.4,
      headYawDeg: -90,
    });
    const view = await h5py(KEMAR, [m, 0, 0, m, 1, 0]);
    const l = (await set.readIr(left)).channels[0]!, r = (await set.readIr(right)).channels[0]!;
    // float32 WAV of float64 data: within float32 rounding (-150 dB)
    assert.ok(errorDb(view.irs[0]!, l) < -140 && errorDb(view.irs[1]!, r) < -140);
    // a source on the left: the left ear hears it first and louder (ITD ≈ 0.6-0.7 ms)
    const onset = (x: Float64Array) => {
      let peak = 0;
      for (const v of x) peak = Math.max(peak, Math.abs(v));
      return x.findIndex((v) => Math.abs(v) >= 0.5 * peak);
    };
    const itdMs = ((onset(r) - onset(l)) / 44100) * 1000;
    assert.ok(itdMs > 0.5 && itdMs < 0.9, `ITD ${itdMs} ms`);
    const energy = (x: Float64Array) => x.reduce((s, v) => s + v * v, 0);
    assert.ok(10 * Math.log10(energy(l) / energy(r)) > 6);
  });
});

Deno.test("files h5py writes import: GeneralFIR with spherical sources and Data.Delay, GeneralFIR-E transposed", async () => {
  await withTempDir(async (dir) => {
    const fir = join(dir, "fir.sofa"), firE = join(dir, "fir-e.sofa");
    await run(PYTHON, [join(HERE, "_sofa_h5py_write.py"), "general-fir", fir]);
    await run(PYTHON, [join(HERE, "_sofa_h5py_write.py"), "general-fir-e", firE]);

    const a = await importSofa(fir, join(dir, "a"), { model: "m", serial: "s" });
    const setA = await readMeasurementSet(join(dir, "a"));
    assert.equal(a.sampleRate, 32000);
    assert.deepEqual(a.mics, [{ id: "receiver-1", role: "reference" }]);
    // sources at azimuth 0, 90, -45 (elevation 30) seen from a listener facing +x: the
    // device faces the listener, the head is turned away from it by −azimuth
    assert.deepEqual(a.captures.map((c) => c.position), [
      { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 1.5 },
      { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 1.5, headYawDeg: -90 },
      { azimuthDeg: 0, elevationDeg: -30, distanceMeters: 1.5, headYawDeg: 45 },
    ]);
    for (const [m, c] of a.captures.entries()) {
      const x = (await setA.readIr(c)).channels[0]!;
      // impulse at 5 + m, plus Data.Delay 10·(m + 1)
      assert.equal(x.findIndex((v) => v !== 0), 5 + m + 10 * (m + 1));
      assert.equal(x[5 + m + 10 * (m + 1)], 0.5);
      assert.equal(x.length, 64 + 30);
    }

    const b = await importSofa(firE, join(dir, "b"), { model: "m", serial: "s" });
    const setB = await readMeasurementSet(join(dir, "b"));
    assert.deepEqual(b.device.drivers.map((d) => d.id), ["emitter-1", "emitter-2", "emitter-3"]);
    assert.deepEqual(b.mics.map((x) => x.id), ["ear-left", "ear-right"]);
    assert.equal(b.captures.length, 2 * 2 * 3);
    for (const c of b.captures) {
      const m = c.position.azimuthDeg === 0 ? 0 : 1;
      assert.equal(c.position.headYawDeg, undefined); // both listeners face the source
      assert.equal(c.position.distanceMeters, 2);
      assert.equal(c.position.azimuthDeg, [0, 90][m]);
      const r = c.mic === "ear-left" ? 0 : 1;
      const e = Number(c.driver.slice(-1)) - 1;
      const x = (await setB.readIr(c)).channels[0]!;
      assert.equal(x.findIndex((v) => v !== 0), 1 + m + 2 * r + 4 * e);
    }
  });
});

Deno.test("readSofa refuses a file that is not HDF5 and a convention it does not read, naming the field", async () => {
  await withTempDir(async (dir) => {
    const text = join(dir, "x.sofa");
    await Deno.writeTextFile(text, "not hdf5");
    await assertThrowsInput(() => readSofa(text), {
      file: text,
      field: "the HDF5 signature",
      message: /Cannot read SOFA file ".*x\.sofa" as the HDF5 signature must open the file/,
    });
    const wrong = join(dir, "wrong.sofa");
    await run(PYTHON, [join(HERE, "_sofa_h5py_write.py"), "wrong", wrong]);
    await assertThrowsInput(() => readSofa(wrong), {
      file: wrong,
      field: "global attribute SOFAConventions",
      message:
        /must be one of GeneralFIR, GeneralFIR-E, SimpleFreeFieldHRIR: current value is "SimpleFreeFieldHRTF"/,
    });
    await assertThrowsInput(() => readSofa(join(dir, "missing.sofa")), {
      field: "the path",
      message: /must name an existing file/,
    });
  });
});

Deno.test("lookup3 (the HDF5 superblock checksum) gives Jenkins' published values", async () => {
  const { lookup3 } = await import("../../io/sofa.ts");
  // lookup3.c's driver: hashlittle("", 0, 0) = deadbeef, ("Four score and seven years ago", 30, 0) = 17770551
  assert.equal(lookup3(new Uint8Array(0)), 0xdeadbeef);
  assert.equal(lookup3(new TextEncoder().encode("Four score and seven years ago")), 0x17770551);
});
