import assert from "node:assert/strict";
import {
  appendToMeasurementSet,
  irFileName,
  type MeasurementSetManifest,
  readMeasurementSet,
  relativePathProblem,
  validateManifest,
  writeMeasurementSet,
} from "../../io/manifest.ts";
import { encodeWav } from "../../io/wav.ts";
import type { Signal } from "../../dsp/signal.ts";
import { assertErrorMessage, assertInputError, caught } from "./_helpers.ts";
import { InputError } from "../../io/errors.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

/** The DESIGN.md example, verbatim. */
function designExample(): Loose {
  return {
    format: "spatialcal.measurement-set",
    version: 1,
    createdAt: "2026-11-26T10:00:00Z",
    sampleRate: 48000,
    device: {
      model: "studio5",
      serial: "SIM-000123",
      drivers: [{ id: "mid-left", kind: "midrange" }],
    },
    rig: { backend: "sim", description: "free-text" },
    sweep: {
      method: "synchronized-exponential",
      startHz: 20,
      endHz: 24000,
      durationSeconds: 2,
      levelDbfs: -12,
    },
    mics: [
      { id: "ear-left", role: "ear-left" },
      { id: "ear-right", role: "ear-right" },
      { id: "ref", role: "reference" },
    ],
    captures: [
      {
        driver: "mid-left",
        mic: "ear-left",
        position: { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 },
        ir: "ir/mid-left.ear-left.az+000.el+00.wav",
        snrDb: 74.1,
        peakDbfs: -15.2,
        warnings: [],
      },
    ],
  };
}

const position = { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 };

/** A set with two drivers, three mics and four captures (the last with harmonics and recording). */
function sample(): Loose {
  const m = designExample();
  m.device.drivers.push({ id: "tweeter", kind: "tweeter" });
  m.captures = [
    ["mid-left", "ear-left"],
    ["mid-left", "ear-right"],
    ["tweeter", "ear-left"],
    ["tweeter", "ref"],
  ].map(([driver, mic]) => ({
    driver,
    mic,
    position: { ...position },
    ir: irFileName(driver!, mic!, position),
  }));
  m.captures[3].harmonics = "harmonics/tweeter.ref.wav";
  m.captures[3].recording = "recordings/tweeter.ref.wav";
  m.captures[3].thdPercent = 0.3;
  m.captures[3].latencySamples = 768;
  return m;
}

Deno.test("validateManifest() accepts the DESIGN.md example and returns a deep copy", () => {
  const json = designExample();
  const manifest = validateManifest(json, { file: "manifest.json" });
  assert.deepEqual(manifest, json);
  assert.notEqual(manifest, json);
  assert.notEqual(manifest.captures[0], json.captures[0]);
});

Deno.test("validateManifest() keeps unknown extra fields at every level", () => {
  const json = sample();
  json.operator = "ana";
  json.device.firmware = "1.2.3";
  json.device.drivers[0].sensitivityDb = 86;
  json.mics[0].calibrationDb = -0.4;
  json.captures[0].position.note = "on axis";
  json.captures[0].temperatureC = 21.5;
  json.sweep.fadeSeconds = 0.05;
  assert.deepEqual(validateManifest(json), json);
});

Deno.test("validateManifest() accepts a set without sweep, rig description, optional capture fields, or captures", () => {
  const json = sample();
  delete json.sweep;
  delete json.rig.description;
  json.captures = [];
  assert.deepEqual(validateManifest(json), json);
});

Deno.test("validateManifest() accepts head yaw, fractional and negative angles, and ISO dates with offsets and fractions", () => {
  const json = sample();
  json.createdAt = "2026-11-26T10:00:00.123+01:00";
  json.captures[0].position = {
    azimuthDeg: -92.5,
    elevationDeg: -90,
    distanceMeters: 0.3,
    headYawDeg: 15,
  };
  assert.deepEqual(validateManifest(json).captures[0]!.position, json.captures[0].position);
});

/** Each case: a change to sample(), the field path, the value, and the rule in the message. */
const INVALID: { change: (m: Loose) => void; field: string; value: unknown; rule: string }[] = [
  {
    change: (m) => (m.format = "spatialcal.bundle"),
    field: "format",
    value: "spatialcal.bundle",
    rule: 'must be "spatialcal.measurement-set"',
  },
  {
    change: (m) => delete m.format,
    field: "format",
    value: undefined,
    rule: 'must be "spatialcal.measurement-set"',
  },
  {
    change: (m) => (m.version = 2),
    field: "version",
    value: 2,
    rule: "must be 1 (the version this code reads)",
  },
  {
    change: (m) => (m.version = "1"),
    field: "version",
    value: "1",
    rule: "must be 1 (the version this code reads)",
  },
  {
    change: (m) => delete m.createdAt,
    field: "createdAt",
    value: undefined,
    rule: "must be a non-empty string",
  },
  {
    change: (m) => (m.createdAt = "yesterday"),
    field: "createdAt",
    value: "yesterday",
    rule: 'must be an ISO 8601 date-time like "2026-11-26T10:00:00Z"',
  },
  {
    change: (m) => (m.createdAt = "2026-13-45T10:00:00Z"),
    field: "createdAt",
    value: "2026-13-45T10:00:00Z",
    rule: 'must be an ISO 8601 date-time like "2026-11-26T10:00:00Z"',
  },
  {
    change: (m) => (m.sampleRate = 44100.5),
    field: "sampleRate",
    value: 44100.5,
    rule: "must be a positive integer number of Hz, at most 768000",
  },
  {
    change: (m) => (m.sampleRate = 0),
    field: "sampleRate",
    value: 0,
    rule: "must be a positive integer number of Hz, at most 768000",
  },
  {
    change: (m) => (m.sampleRate = "48000"),
    field: "sampleRate",
    value: "48000",
    rule: "must be a positive integer number of Hz, at most 768000",
  },
  {
    change: (m) => (m.sampleRate = 1e12),
    field: "sampleRate",
    value: 1e12,
    rule: "must be a positive integer number of Hz, at most 768000",
  },
  // Issue 13: a duplicate capture (same driver, mic and position, here spelled 360° for 0°)
  // was silently used in place of the first.
  {
    change: (m) =>
      m.captures.push({
        driver: "mid-left",
        mic: "ear-right",
        position: { azimuthDeg: 360, elevationDeg: 0, distanceMeters: 2 },
        ir: "ir/again.wav",
      }),
    field: "captures[4].position",
    value: '{"azimuthDeg":360,"elevationDeg":0,"distanceMeters":2}',
    rule:
      'must differ from captures[1] (driver "mid-left", mic "ear-right" at the same position): a set holds one capture per driver, mic and position',
  },
  { change: (m) => delete m.device, field: "device", value: undefined, rule: "must be an object" },
  {
    change: (m) => (m.device.model = ""),
    field: "device.model",
    value: "",
    rule: "must be a non-empty string",
  },
  {
    change: (m) => (m.device.serial = 123),
    field: "device.serial",
    value: 123,
    rule: "must be a non-empty string",
  },
  {
    change: (m) => (m.device.drivers = {}),
    field: "device.drivers",
    value: {},
    rule: "must be an array",
  },
  {
    change: (m) => (m.device.drivers = []),
    field: "device.drivers",
    value: [],
    rule: "must have at least 1 entry",
  },
  {
    change: (m) => (m.device.drivers[1] = "tweeter"),
    field: "device.drivers[1]",
    value: "tweeter",
    rule: "must be an object",
  },
  {
    change: (m) => (m.device.drivers[1].id = "mid-left"),
    field: "device.drivers[1].id",
    value: "mid-left",
    rule: "must be unique (also device.drivers[0].id)",
  },
  {
    change: (m) => (m.device.drivers[0].id = "mid left"),
    field: "device.drivers[0].id",
    value: "mid left",
    rule: 'must be an id of letters, digits, "-" and "_" starting with a letter or digit',
  },
  {
    change: (m) => (m.device.drivers[0].id = "mid.left"),
    field: "device.drivers[0].id",
    value: "mid.left",
    rule: 'must be an id of letters, digits, "-" and "_" starting with a letter or digit',
  },
  {
    change: (m) => delete m.device.drivers[0].kind,
    field: "device.drivers[0].kind",
    value: undefined,
    rule: "must be a non-empty string",
  },
  { change: (m) => delete m.rig, field: "rig", value: undefined, rule: "must be an object" },
  {
    change: (m) => delete m.rig.backend,
    field: "rig.backend",
    value: undefined,
    rule: "must be a non-empty string",
  },
  {
    change: (m) => (m.rig.description = 5),
    field: "rig.description",
    value: 5,
    rule: "must be a string",
  },
  { change: (m) => (m.sweep = "ess"), field: "sweep", value: "ess", rule: "must be an object" },
  {
    change: (m) => delete m.sweep.method,
    field: "sweep.method",
    value: undefined,
    rule: "must be a non-empty string",
  },
  {
    change: (m) => (m.sweep.startHz = 0),
    field: "sweep.startHz",
    value: 0,
    rule: "must be a positive number of Hz",
  },
  {
    change: (m) => (m.sweep.endHz = 30000),
    field: "sweep.endHz",
    value: 30000,
    rule: "must be > sweep.startHz (20 Hz) and <= sampleRate / 2 (24000 Hz)",
  },
  {
    change: (m) => (m.sweep.endHz = 10),
    field: "sweep.endHz",
    value: 10,
    rule: "must be > sweep.startHz (20 Hz) and <= sampleRate / 2 (24000 Hz)",
  },
  {
    change: (m) => (m.sweep.durationSeconds = -1),
    field: "sweep.durationSeconds",
    value: -1,
    rule: "must be a positive number of seconds",
  },
  {
    change: (m) => (m.sweep.levelDbfs = 3),
    field: "sweep.levelDbfs",
    value: 3,
    rule: "must be a number of dBFS <= 0",
  },
  {
    change: (m) => (m.mics = "ear-left"),
    field: "mics",
    value: "ear-left",
    rule: "must be an array",
  },
  { change: (m) => (m.mics = []), field: "mics", value: [], rule: "must have at least 1 entry" },
  {
    change: (m) => (m.mics[2].id = "ear-left"),
    field: "mics[2].id",
    value: "ear-left",
    rule: "must be unique (also mics[0].id)",
  },
  {
    change: (m) => (m.mics[2].id = "../ref"),
    field: "mics[2].id",
    value: "../ref",
    rule: 'must be an id of letters, digits, "-" and "_" starting with a letter or digit',
  },
  {
    change: (m) => (m.mics[1].role = "ear-centre"),
    field: "mics[1].role",
    value: "ear-centre",
    rule: 'must be one of "ear-left", "ear-right", "reference"',
  },
  { change: (m) => (m.captures = {}), field: "captures", value: {}, rule: "must be an array" },
  {
    change: (m) => (m.captures[2] = null),
    field: "captures[2]",
    value: null,
    rule: "must be an object",
  },
  {
    change: (m) => (m.captures[1].driver = "woofer"),
    field: "captures[1].driver",
    value: "woofer",
    rule: 'must be one of the device.drivers ids ("mid-left", "tweeter")',
  },
  {
    change: (m) => (m.captures[2].mic = "ear-centre"),
    field: "captures[2].mic",
    value: "ear-centre",
    rule: 'must be one of the mics ids ("ear-left", "ear-right", "ref")',
  },
  {
    change: (m) => delete m.captures[0].position,
    field: "captures[0].position",
    value: undefined,
    rule: "must be an object",
  },
  {
    change: (m) => (m.captures[0].position.azimuthDeg = NaN),
    field: "captures[0].position.azimuthDeg",
    value: NaN,
    rule: "must be a finite number of degrees",
  },
  {
    change: (m) => (m.captures[0].position.azimuthDeg = "0"),
    field: "captures[0].position.azimuthDeg",
    value: "0",
    rule: "must be a finite number of degrees",
  },
  {
    change: (m) => (m.captures[0].position.elevationDeg = 95),
    field: "captures[0].position.elevationDeg",
    value: 95,
    rule: "must be a number of degrees from -90 to 90",
  },
  {
    change: (m) => (m.captures[0].position.distanceMeters = 0),
    field: "captures[0].position.distanceMeters",
    value: 0,
    rule: "must be a positive number of meters",
  },
  {
    change: (m) => (m.captures[0].position.headYawDeg = Infinity),
    field: "captures[0].position.headYawDeg",
    value: Infinity,
    rule: "must be a finite number of degrees",
  },
  {
    change: (m) => delete m.captures[3].ir,
    field: "captures[3].ir",
    value: undefined,
    rule: "must be a non-empty string",
  },
  {
    change: (m) => (m.captures[3].ir = "../x.wav"),
    field: "captures[3].ir",
    value: "../x.wav",
    rule: 'must be a relative path inside the set folder (it must not contain ".." segments)',
  },
  {
    change: (m) => (m.captures[3].ir = "ir/a/../../x.wav"),
    field: "captures[3].ir",
    value: "ir/a/../../x.wav",
    rule: 'must be a relative path inside the set folder (it must not contain ".." segments)',
  },
  {
    change: (m) => (m.captures[3].ir = "/tmp/x.wav"),
    field: "captures[3].ir",
    value: "/tmp/x.wav",
    rule: "must be a relative path inside the set folder (it must not be absolute)",
  },
  {
    change: (m) => (m.captures[3].ir = "ir\\..\\..\\x.wav"),
    field: "captures[3].ir",
    value: "ir\\..\\..\\x.wav",
    rule: 'must be a relative path inside the set folder (use "/" as the separator, never "\\")',
  },
  {
    change: (m) => (m.captures[3].ir = "C:/x.wav"),
    field: "captures[3].ir",
    value: "C:/x.wav",
    rule: "must be a relative path inside the set folder (it must not start with a drive letter)",
  },
  {
    change: (m) => (m.captures[3].ir = "ir/./x.wav"),
    field: "captures[3].ir",
    value: "ir/./x.wav",
    rule: 'must be a relative path inside the set folder (it must not contain "." segments)',
  },
  {
    change: (m) => (m.captures[3].ir = "ir//x.wav"),
    field: "captures[3].ir",
    value: "ir//x.wav",
    rule: "must be a relative path inside the set folder (it must not contain empty segments)",
  },
  {
    change: (m) => (m.captures[3].ir = "ir/x\u0000.wav"),
    field: "captures[3].ir",
    value: "ir/x\u0000.wav",
    rule: "must be a relative path inside the set folder (it must not contain control characters)",
  },
  {
    change: (m) => (m.captures[3].ir = "ir/x.flac"),
    field: "captures[3].ir",
    value: "ir/x.flac",
    rule: 'must be a relative path inside the set folder (it must end in ".wav")',
  },
  {
    change: (m) => (m.captures[1].ir = m.captures[0].ir.toUpperCase()),
    field: "captures[1].ir",
    value: "IR/MID-LEFT.EAR-LEFT.AZ+000.EL+00.R2.00.WAV",
    rule: "must name a file no other entry uses (also captures[0].ir, compared case-insensitively)",
  },
  {
    change: (m) => (m.captures[3].harmonics = "../h.wav"),
    field: "captures[3].harmonics",
    value: "../h.wav",
    rule: 'must be a relative path inside the set folder (it must not contain ".." segments)',
  },
  {
    change: (m) => (m.captures[3].recording = m.captures[0].ir),
    field: "captures[3].recording",
    value: "ir/mid-left.ear-left.az+000.el+00.r2.00.wav",
    rule: "must name a file no other entry uses (also captures[0].ir, compared case-insensitively)",
  },
  {
    change: (m) => (m.captures[0].snrDb = "high"),
    field: "captures[0].snrDb",
    value: "high",
    rule: "must be a finite number",
  },
  {
    change: (m) => (m.captures[0].peakDbfs = NaN),
    field: "captures[0].peakDbfs",
    value: NaN,
    rule: "must be a finite number",
  },
  {
    change: (m) => (m.captures[3].latencySamples = Infinity),
    field: "captures[3].latencySamples",
    value: Infinity,
    rule: "must be an integer number of samples >= 0",
  },
  {
    change: (m) => (m.captures[3].latencySamples = -5),
    field: "captures[3].latencySamples",
    value: -5,
    rule: "must be an integer number of samples >= 0",
  },
  {
    change: (m) => (m.captures[3].thdPercent = -1),
    field: "captures[3].thdPercent",
    value: -1,
    rule: "must be a number of percent >= 0",
  },
  {
    change: (m) => (m.captures[0].warnings = "clipped"),
    field: "captures[0].warnings",
    value: "clipped",
    rule: "must be an array",
  },
  {
    change: (m) => (m.captures[0].warnings = ["ok", 1]),
    field: "captures[0].warnings[1]",
    value: 1,
    rule: "must be a string",
  },
];

function show(value: unknown): string {
  if (value === undefined) return "missing";
  return typeof value === "number" ? String(value) : JSON.stringify(value);
}

for (const { change, field, value, rule } of INVALID) {
  Deno.test(`validateManifest() refuses ${field} = ${show(value)} with an InputError naming file, field and value`, async () => {
    const json = sample();
    change(json);
    await assertInputError(() => validateManifest(json, { file: "set/manifest.json" }), {
      message: `Cannot read manifest "set/manifest.json" as ${field} ${rule}: current value is ${
        show(value)
      }`,
      file: "set/manifest.json",
      field,
      value,
    });
  });
}

Deno.test("validateManifest() refuses a manifest that is not an object, and names no file when given none", async () => {
  for (const json of [[], null, "manifest", 3]) {
    await assertInputError(() => validateManifest(json), {
      message: `Cannot read manifest as manifest must be an object: current value is ${
        JSON.stringify(json)
      }`,
      file: undefined,
      field: "manifest",
      value: json,
    });
  }
});

Deno.test("relativePathProblem() accepts plain nested relative paths", () => {
  for (const path of ["a.wav", "ir/a.wav", "ir/sub/a+b.wav", "x..y.wav", ".hidden.wav"]) {
    assert.equal(relativePathProblem(path), undefined, path);
  }
  assert.equal(relativePathProblem(""), "it is empty");
});

// ---- irFileName() ----

Deno.test("irFileName() gives ir/<driver>.<mic>.az±AAA.el±EE.rD.DD.wav with signs, padding and trimmed fractions", () => {
  const cases: [Parameters<typeof irFileName>[2], string][] = [
    [{ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 }, "az+000.el+00.r2.00"],
    [{ azimuthDeg: -90, elevationDeg: 45, distanceMeters: 1.5 }, "az-090.el+45.r1.50"],
    [{ azimuthDeg: 2.5, elevationDeg: -7.25, distanceMeters: 0.5 }, "az+002.5.el-07.25.r0.50"],
    [{ azimuthDeg: 180, elevationDeg: 90, distanceMeters: 10 }, "az+180.el+90.r10.00"],
    [{ azimuthDeg: -0.001, elevationDeg: -0, distanceMeters: 2.004 }, "az+000.el+00.r2.00"],
    [{ azimuthDeg: 1.999, elevationDeg: 0, distanceMeters: 2 }, "az+002.el+00.r2.00"],
    [
      { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2, headYawDeg: 30 },
      "az+000.el+00.r2.00.yaw+030",
    ],
    [
      { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2, headYawDeg: -12.5 },
      "az+000.el+00.r2.00.yaw-012.5",
    ],
    [
      { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2, headYawDeg: 0.001 },
      "az+000.el+00.r2.00",
    ],
  ];
  for (const [pos, middle] of cases) {
    assert.equal(irFileName("mid-left", "ear-left", pos), `ir/mid-left.ear-left.${middle}.wav`);
  }
});

Deno.test("irFileName() results pass the manifest's path rule", () => {
  const path = irFileName("w_1", "ref", {
    azimuthDeg: -45.5,
    elevationDeg: 10,
    distanceMeters: 3,
    headYawDeg: 5,
  });
  assert.equal(relativePathProblem(path), undefined);
});

Deno.test("irFileName() refuses unsafe ids and non-finite or non-positive numbers with a RangeError", async () => {
  const rule = 'must be an id of letters, digits, "-" and "_" starting with a letter or digit';
  await assertErrorMessage(
    () => irFileName("a.b", "ref", position),
    RangeError,
    `Cannot make IR file name as driver ${rule}: current value is "a.b"`,
  );
  await assertErrorMessage(
    () => irFileName("tweeter", "", position),
    RangeError,
    `Cannot make IR file name as mic ${rule}: current value is ""`,
  );
  await assertErrorMessage(
    () => irFileName("tweeter", "../x", position),
    RangeError,
    `Cannot make IR file name as mic ${rule}: current value is "../x"`,
  );
  await assertErrorMessage(
    () => irFileName("t", "m", { ...position, azimuthDeg: NaN }),
    RangeError,
    "Cannot make IR file name as position.azimuthDeg must be a finite number: current value is NaN",
  );
  await assertErrorMessage(
    () => irFileName("t", "m", { ...position, elevationDeg: Infinity }),
    RangeError,
    "Cannot make IR file name as position.elevationDeg must be a finite number: current value is Infinity",
  );
  await assertErrorMessage(
    () => irFileName("t", "m", { ...position, headYawDeg: NaN }),
    RangeError,
    "Cannot make IR file name as position.headYawDeg must be a finite number: current value is NaN",
  );
  await assertErrorMessage(
    () => irFileName("t", "m", { ...position, distanceMeters: 0 }),
    RangeError,
    "Cannot make IR file name as position.distanceMeters must be a positive number of meters: current value is 0",
  );
});

// ---- read / write / append ----

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "spatialcal-set-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) {
      out.push(...await listTree(`${dir}/${entry.name}`, `${prefix}${entry.name}/`));
    } else out.push(`${prefix}${entry.name}`);
  }
  return out.sort();
}

/** One signal per referenced file; IR k is a delayed impulse of height (k + 1) / 8 (float32-exact). */
function audioFor(manifest: Loose, sampleRate = manifest.sampleRate): Map<string, Signal> {
  const audio = new Map<string, Signal>();
  manifest.captures.forEach((capture: Loose, k: number) => {
    const ir = new Float64Array(64);
    ir[k + 1] = (k + 1) / 8;
    audio.set(capture.ir, { sampleRate, channels: [ir] });
    for (const key of ["harmonics", "recording"]) {
      if (capture[key] !== undefined) {
        audio.set(capture[key], {
          sampleRate,
          channels: [new Float64Array(16), new Float64Array(16)],
        });
      }
    }
  });
  return audio;
}

Deno.test("writeMeasurementSet() then readMeasurementSet() returns the same manifest and the IRs (float32-exact values)", async () => {
  await withTempDir(async (dir) => {
    const manifest = sample();
    manifest.operator = "kept";
    const audio = audioFor(manifest);
    await writeMeasurementSet(`${dir}/set`, manifest, audio);
    assert.deepEqual(await listTree(dir), [
      "set/harmonics/tweeter.ref.wav",
      "set/ir/mid-left.ear-left.az+000.el+00.r2.00.wav",
      "set/ir/mid-left.ear-right.az+000.el+00.r2.00.wav",
      "set/ir/tweeter.ear-left.az+000.el+00.r2.00.wav",
      "set/ir/tweeter.ref.az+000.el+00.r2.00.wav",
      "set/manifest.json",
      "set/recordings/tweeter.ref.wav",
    ]);
    const set = await readMeasurementSet(`${dir}/set`);
    assert.equal(set.folder, `${dir}/set`);
    assert.deepEqual(set.manifest, manifest);
    for (const capture of set.manifest.captures) {
      const ir = await set.readIr(capture);
      assert.equal(ir.sampleRate, 48000);
      assert.deepEqual(ir.channels, audio.get(capture.ir)!.channels);
    }
    const harmonics = await set.readAudio("harmonics/tweeter.ref.wav");
    assert.equal(harmonics.channels.length, 2);
    assert.deepEqual(harmonics.format, { encoding: "float", bitsPerSample: 32, extensible: false });
  });
});

Deno.test("writeMeasurementSet() refuses an existing folder without force and leaves it untouched", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/set`);
    await Deno.writeTextFile(`${dir}/set/keep.txt`, "keep");
    const manifest = sample();
    await assertInputError(() => writeMeasurementSet(`${dir}/set`, manifest, audioFor(manifest)), {
      message: `Cannot write "${dir}/set" as it already exists: pass force (--force) to replace it`,
      field: "out",
      value: `${dir}/set`,
    });
    assert.deepEqual(await listTree(dir), ["set/keep.txt"]);
  });
});

Deno.test("writeMeasurementSet() with force replaces an existing set; a failure while writing leaves the old set untouched", async () => {
  await withTempDir(async (dir) => {
    const manifest = sample();
    await writeMeasurementSet(`${dir}/set`, manifest, audioFor(manifest));
    const bad = audioFor(manifest);
    bad.get(manifest.captures[2].ir)!.channels[0]![5] = NaN; // encodeWav refuses it mid-write
    const error = await caught(() =>
      writeMeasurementSet(`${dir}/set`, manifest, bad, { force: true })
    );
    assert.ok(error instanceof RangeError);
    assert.match(error.message, /channel 0 sample 5 is NaN/);
    assert.equal((await listTree(dir)).length, 7, "old set still complete, no temp folder");

    const smaller = sample();
    smaller.captures = smaller.captures.slice(0, 1);
    await writeMeasurementSet(`${dir}/set`, smaller, audioFor(smaller), { force: true });
    assert.deepEqual(await listTree(dir), [
      "set/ir/mid-left.ear-left.az+000.el+00.r2.00.wav",
      "set/manifest.json",
    ]);
  });
});

Deno.test("writeMeasurementSet() refuses an invalid manifest before writing anything", async () => {
  await withTempDir(async (dir) => {
    const manifest = sample();
    manifest.captures[1].ir = "../escape.wav";
    await assertInputError(() => writeMeasurementSet(`${dir}/set`, manifest, new Map()), {
      message:
        `Cannot write manifest "${dir}/set/manifest.json" as captures[1].ir must be a relative path inside the set folder (it must not contain ".." segments): current value is "../escape.wav"`,
      field: "captures[1].ir",
    });
    assert.deepEqual(await listTree(dir), []);
  });
});

Deno.test("writeMeasurementSet() refuses an audio map that misses, adds, or mismatches the sample rate of a file (RangeError)", async () => {
  await withTempDir(async (dir) => {
    const manifest = sample();
    const folder = `${dir}/set`;
    const missing = audioFor(manifest);
    missing.delete("recordings/tweeter.ref.wav");
    await assertErrorMessage(
      () => writeMeasurementSet(folder, manifest, missing),
      RangeError,
      `Cannot write measurement set "${folder}" as captures[3].recording names "recordings/tweeter.ref.wav" but the audio map holds no signal for it`,
    );
    const extra = audioFor(manifest);
    extra.set("ir/stray.wav", { sampleRate: 48000, channels: [new Float64Array(1)] });
    await assertErrorMessage(
      () => writeMeasurementSet(folder, manifest, extra),
      RangeError,
      `Cannot write measurement set "${folder}" as the audio map holds "ir/stray.wav", which no capture references`,
    );
    await assertErrorMessage(
      () => writeMeasurementSet(folder, manifest, audioFor(manifest, 44100)),
      RangeError,
      `Cannot write measurement set "${folder}" as the signal for "${
        manifest.captures[0].ir
      }" has sampleRate 44100 Hz but the manifest says 48000 Hz`,
    );
    assert.deepEqual(await listTree(dir), []);
  });
});

Deno.test("readMeasurementSet() refuses a missing folder, a file, a folder without manifest, and invalid JSON", async () => {
  await withTempDir(async (dir) => {
    await assertInputError(() => readMeasurementSet(`${dir}/nope`), {
      message: `Cannot read measurement set "${dir}/nope" as the folder does not exist`,
      file: `${dir}/nope`,
      field: "folder",
    });
    await Deno.writeTextFile(`${dir}/file`, "not a folder");
    await assertInputError(() => readMeasurementSet(`${dir}/file`), {
      message: `Cannot read measurement set "${dir}/file" as it is not a folder`,
      file: `${dir}/file`,
      field: "folder",
    });
    await Deno.mkdir(`${dir}/empty`);
    await assertInputError(() => readMeasurementSet(`${dir}/empty`), {
      message: `Cannot read measurement set "${dir}/empty" as it has no manifest.json`,
      file: `${dir}/empty/manifest.json`,
      field: "manifest.json",
    });
    await Deno.writeTextFile(`${dir}/empty/manifest.json`, "{ not json");
    const error = await assertInputError(() => readMeasurementSet(`${dir}/empty`), {
      message: `Cannot read manifest "${dir}/empty/manifest.json" as it is not valid JSON: ${
        (await caught(() => JSON.parse("{ not json")) as Error).message
      }`,
      field: "manifest",
    });
    assert.ok(error.cause instanceof SyntaxError);
  });
});

Deno.test("readMeasurementSet() validates the manifest and names the manifest file", async () => {
  await withTempDir(async (dir) => {
    const manifest = sample();
    await writeMeasurementSet(`${dir}/set`, manifest, audioFor(manifest));
    const json = JSON.parse(await Deno.readTextFile(`${dir}/set/manifest.json`));
    json.mics[0].role = "left";
    await Deno.writeTextFile(`${dir}/set/manifest.json`, JSON.stringify(json));
    await assertInputError(() => readMeasurementSet(`${dir}/set`), {
      message:
        `Cannot read manifest "${dir}/set/manifest.json" as mics[0].role must be one of "ear-left", "ear-right", "reference": current value is "left"`,
      file: `${dir}/set/manifest.json`,
      field: "mics[0].role",
      value: "left",
    });
  });
});

Deno.test("readMeasurementSet() refuses a missing IR, a folder where a file should be, and a symbolic link out of the folder", async () => {
  await withTempDir(async (dir) => {
    const manifest = sample();
    const folder = `${dir}/set`;
    const ir = manifest.captures[1].ir;
    await writeMeasurementSet(folder, manifest, audioFor(manifest));
    await Deno.rename(`${folder}/${ir}`, `${dir}/outside.wav`);
    await assertInputError(() => readMeasurementSet(folder), {
      message:
        `Cannot read measurement set "${folder}" as captures[1].ir names a file that does not exist: current value is "${ir}"`,
      file: `${folder}/manifest.json`,
      field: "captures[1].ir",
      value: ir,
    });
    await Deno.mkdir(`${folder}/${ir}`);
    await assertInputError(() => readMeasurementSet(folder), {
      message:
        `Cannot read measurement set "${folder}" as captures[1].ir must name a regular file: current value is "${ir}"`,
      field: "captures[1].ir",
    });
    await Deno.remove(`${folder}/${ir}`);
    await Deno.symlink(`${dir}/outside.wav`, `${folder}/${ir}`);
    await assertInputError(() => readMeasurementSet(folder), {
      message:
        `Cannot read measurement set "${folder}" as captures[1].ir leads outside the set folder through a symbolic link: current value is "${ir}"`,
      field: "captures[1].ir",
    });
  });
});

Deno.test("readIr() refuses an IR whose sample rate differs from the manifest's, naming both rates", async () => {
  await withTempDir(async (dir) => {
    const manifest = sample();
    const folder = `${dir}/set`;
    await writeMeasurementSet(folder, manifest, audioFor(manifest));
    const ir = manifest.captures[2].ir;
    await Deno.writeFile(
      `${folder}/${ir}`,
      encodeWav({ sampleRate: 44100, channels: [new Float64Array(8)] }),
    );
    const set = await readMeasurementSet(folder);
    await assertInputError(() => set.readIr(set.manifest.captures[2]!), {
      message:
        `Cannot read "${ir}" of measurement set "${folder}" as its sample rate 44100 Hz differs from the manifest's sampleRate 48000 Hz`,
      file: `${folder}/${ir}`,
      field: "sampleRate",
      value: 44100,
    });
    await assertInputError(() => set.readAudio("../set/manifest.json"), {
      message:
        `Cannot read audio of measurement set "${folder}" as path must be a relative path inside the set folder (it must not contain ".." segments): current value is "../set/manifest.json"`,
      field: "path",
    });
  });
});

/** A manifest of new captures for the same unit: a new driver "woofer" measured at two mics. */
function addition(): Loose {
  const m = sample();
  m.createdAt = "2026-11-27T09:00:00Z";
  m.device.drivers = [{ id: "woofer", kind: "woofer" }, { id: "tweeter", kind: "tweeter" }];
  m.mics = [{ id: "ear-left", role: "ear-left" }, { id: "ref2", role: "reference" }];
  const p2 = { azimuthDeg: 30, elevationDeg: 0, distanceMeters: 2 };
  m.captures = [
    { driver: "woofer", mic: "ear-left", position: p2, ir: irFileName("woofer", "ear-left", p2) },
    { driver: "tweeter", mic: "ref2", position: p2, ir: irFileName("tweeter", "ref2", p2) },
  ];
  return m;
}

Deno.test("appendToMeasurementSet() merges drivers, mics and captures, keeps every old file and field, and adds the new IRs", async () => {
  await withTempDir(async (dir) => {
    const folder = `${dir}/set`;
    const manifest = sample();
    manifest.operator = "kept";
    await writeMeasurementSet(folder, manifest, audioFor(manifest));
    await Deno.writeTextFile(`${folder}/notes.txt`, "lab notes"); // unknown files survive
    const add = addition();
    const merged = await appendToMeasurementSet(folder, add, audioFor(add));
    assert.deepEqual(merged.device.drivers.map((d) => d.id), ["mid-left", "tweeter", "woofer"]);
    assert.deepEqual(merged.mics.map((m) => m.id), ["ear-left", "ear-right", "ref", "ref2"]);
    assert.equal(merged.captures.length, 6);
    assert.equal(merged.createdAt, manifest.createdAt);
    assert.equal((merged as Loose).operator, "kept");

    const set = await readMeasurementSet(folder);
    assert.deepEqual(set.manifest, merged);
    assert.deepEqual(
      (await set.readIr(merged.captures[0]!)).channels,
      audioFor(manifest).get(manifest.captures[0].ir)!.channels,
    );
    assert.deepEqual(
      (await set.readIr(merged.captures[5]!)).channels,
      audioFor(add).get(add.captures[1].ir)!.channels,
    );
    assert.equal(await Deno.readTextFile(`${folder}/notes.txt`), "lab notes");
    const siblings = [];
    for await (const entry of Deno.readDir(dir)) siblings.push(entry.name);
    assert.deepEqual(siblings, ["set"]);
  });
});

Deno.test("appendToMeasurementSet() refuses another unit, model or sample rate, naming both sides, and leaves the set untouched", async () => {
  await withTempDir(async (dir) => {
    const folder = `${dir}/set`;
    const manifest = sample();
    await writeMeasurementSet(folder, manifest, audioFor(manifest));
    const before = await listTree(folder);
    const cases: [(m: Loose) => void, string, string, unknown][] = [
      [
        (m) => (m.device.serial = "SIM-000999"),
        "device.serial",
        'the set has "SIM-000123", the new captures have "SIM-000999"',
        "SIM-000999",
      ],
      [
        (m) => (m.device.model = "studio7"),
        "device.model",
        'the set has "studio5", the new captures have "studio7"',
        "studio7",
      ],
      [
        (m) => (m.sampleRate = 44100),
        "sampleRate",
        "the set has 48000, the new captures have 44100",
        44100,
      ],
      [
        (m) => (m.device.drivers[1].kind = "fullrange"),
        "device.drivers[1].kind",
        'the set has "tweeter", the new captures have "fullrange"',
        "fullrange",
      ],
      [
        (m) => (m.mics[0].role = "ear-right"),
        "mics[0].role",
        'the set has "ear-left", the new captures have "ear-right"',
        "ear-right",
      ],
    ];
    for (const [change, field, sides, value] of cases) {
      const add = addition();
      change(add);
      if (field === "sampleRate") delete add.sweep; // its 24000 Hz end would be invalid at 44100 Hz
      await assertInputError(() => appendToMeasurementSet(folder, add, audioFor(add)), {
        message: `Cannot append to measurement set "${folder}" as ${field} differs: ${sides}`,
        file: `${folder}/manifest.json`,
        field,
        value,
      });
    }
    assert.deepEqual(await listTree(folder), before);
  });
});

Deno.test("appendToMeasurementSet() refuses a capture file name the set already uses", async () => {
  await withTempDir(async (dir) => {
    const folder = `${dir}/set`;
    const manifest = sample();
    await writeMeasurementSet(folder, manifest, audioFor(manifest));
    const add = addition();
    add.captures[1].ir = manifest.captures[0].ir;
    await assertInputError(() => appendToMeasurementSet(folder, add, audioFor(add)), {
      message:
        `Cannot append to manifest "${folder}/manifest.json" as captures[5].ir must name a file no other entry uses (also captures[0].ir, compared case-insensitively): current value is "${
          manifest.captures[0].ir
        }"`,
      field: "captures[5].ir",
    });
    // A stray file (not referenced by the manifest) is also never overwritten.
    const stray = addition();
    await Deno.writeTextFile(`${folder}/${stray.captures[0].ir}`, "stray");
    const error = await caught(() => appendToMeasurementSet(folder, stray, audioFor(stray)));
    assert.ok(error instanceof InputError);
    assert.equal(
      error.message,
      `Cannot append to measurement set "${folder}" as captures[0].ir names a file the set already has: current value is "${
        stray.captures[0].ir
      }"`,
    );
    assert.equal(await Deno.readTextFile(`${folder}/${stray.captures[0].ir}`), "stray");
    const siblings = [];
    for await (const entry of Deno.readDir(dir)) siblings.push(entry.name);
    assert.deepEqual(siblings, ["set"]);
  });
});

Deno.test("appendToMeasurementSet() refuses a missing set and an invalid addition", async () => {
  await withTempDir(async (dir) => {
    const add = addition();
    await assertInputError(() => appendToMeasurementSet(`${dir}/nope`, add, audioFor(add)), {
      message: `Cannot read measurement set "${dir}/nope" as the folder does not exist`,
      field: "folder",
    });
    const manifest = sample();
    await writeMeasurementSet(`${dir}/set`, manifest, audioFor(manifest));
    add.captures[0].driver = "sub";
    await assertInputError(() => appendToMeasurementSet(`${dir}/set`, add, audioFor(add)), {
      message:
        `Cannot append to manifest "(new captures)" as captures[0].driver must be one of the device.drivers ids ("woofer", "tweeter"): current value is "sub"`,
      field: "captures[0].driver",
    });
  });
});

// Types: a literal manifest is assignable to the exported type.
const _typed: MeasurementSetManifest = {
  format: "spatialcal.measurement-set",
  version: 1,
  createdAt: "2026-11-26T10:00:00Z",
  sampleRate: 48000,
  device: { model: "m", serial: "s", drivers: [{ id: "d", kind: "fullrange" }] },
  rig: { backend: "sim" },
  mics: [{ id: "ref", role: "reference" }],
  captures: [],
};
