import assert from "node:assert/strict";
import { join } from "node:path";
import {
  bundleContentSha256,
  type FilterBundleDraft,
  readBundle,
  validateBundle,
  writeBundle,
} from "../../calibrate/bundle.ts";
import { InputError } from "../../io/errors.ts";
import { sha256Hex } from "../../io/atomic.ts";
import { encodeWav } from "../../io/wav.ts";
import { upmixParameters } from "../../design/upmix.ts";
import { seededRandom } from "../_assert.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

const DRIVERS = ["mid-left", "mid-right", "tweeter"];
const TAPS = 64;

function draft(withUpmix = true): FilterBundleDraft {
  const inputs = withUpmix ? ["left", "right", "center"] : ["left", "right"];
  return {
    format: "spatialcal.filter-bundle",
    version: 1,
    sampleRate: 48000,
    taps: TAPS,
    latencySamples: 32,
    device: { model: "studio5", serial: "SIM-000123", drivers: DRIVERS },
    source: { measurementSet: "runs/u1", sha256: "a".repeat(64) },
    inputs,
    ...(withUpmix ? { upmix: { ...upmixParameters() } } : {}),
    filters: Object.fromEntries(inputs.map((i) => [i, `filters/${i}.wav`])),
    design: { taps: TAPS, note: "test" },
    predicted: { separationDb: 12.5 },
  };
}

function filters(inputs: readonly string[], seed = 1): Record<string, Float64Array[]> {
  const rand = seededRandom(seed);
  return Object.fromEntries(inputs.map((input) => [
    input,
    DRIVERS.map(() => Float64Array.from({ length: TAPS }, () => Math.fround(rand() - 0.5))),
  ]));
}

async function rejectsWith(
  p: Promise<unknown>,
  cls: new (...args: never[]) => Error,
  pattern: RegExp,
): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

async function inputError(p: Promise<unknown> | (() => unknown), pattern: RegExp): Promise<void> {
  let error: unknown;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof InputError, `expected InputError, got ${error}`);
  assert.match((error as Error).message, pattern);
}

Deno.test("writeBundle then readBundle gives back bundle.json and every float32 filter bit-identically", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const withUpmix of [true, false]) {
      const d = draft(withUpmix);
      const f = filters(d.inputs);
      const folder = join(dir, withUpmix ? "b3" : "b2");
      const written = await writeBundle(folder, d, f);
      const loaded = await readBundle(folder);
      assert.deepEqual(loaded.bundle, written);
      assert.deepEqual(Object.keys(loaded.filters), [...d.inputs]);
      for (const input of d.inputs) {
        loaded.filters[input]!.forEach((h, c) => {
          assert.deepEqual(h, f[input]![c], `${input} channel ${c}`); // exact: float32 values
        });
        const bytes = await Deno.readFile(join(folder, `filters/${input}.wav`));
        assert.equal(written.files[`filters/${input}.wav`], await sha256Hex(bytes));
      }
      assert.equal(withUpmix, written.upmix !== undefined);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeBundle refuses an existing folder without force and replaces it with force", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const d = draft();
    await writeBundle(join(dir, "b"), d, filters(d.inputs, 1));
    await inputError(writeBundle(join(dir, "b"), d, filters(d.inputs, 2)), /already exists/);
    await writeBundle(join(dir, "b"), d, filters(d.inputs, 2), { force: true });
    const loaded = await readBundle(join(dir, "b"));
    assert.deepEqual(loaded.filters.left![0], filters(d.inputs, 2).left![0]);
    const left = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(left, ["b"], "no temporary folders are left behind");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readBundle refuses a tampered filter file, naming the file and both hashes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const d = draft();
    const written = await writeBundle(join(dir, "b"), d, filters(d.inputs));
    const path = join(dir, "b", "filters/center.wav");
    const bytes = await Deno.readFile(path);
    bytes[bytes.length - 1]! ^= 1; // one bit of the last sample
    await Deno.writeFile(path, bytes);
    const actual = await sha256Hex(bytes);
    await inputError(
      readBundle(join(dir, "b")),
      new RegExp(
        `"filters/center.wav" does not match its hash: bundle.json says sha256 ${
          written.files["filters/center.wav"]
        }, the file has ${actual}`,
      ),
    );
    await Deno.remove(path);
    await inputError(readBundle(join(dir, "b")), /files\["filters\/center.wav"\] must exist/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readBundle checks each filter file's encoding, sample rate, channels and length", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const d = draft(false);
    const cases: [string, Uint8Array, RegExp][] = [
      [
        "pcm",
        encodeWav({ sampleRate: 48000, channels: DRIVERS.map(() => new Float64Array(TAPS)) }, {
          encoding: "pcm",
        }),
        /encoding must be float32: current value is "pcm16"/,
      ],
      [
        "rate",
        encodeWav({ sampleRate: 44100, channels: DRIVERS.map(() => new Float64Array(TAPS)) }),
        /sampleRate must be the bundle's sampleRate 48000 Hz: current value is 44100/,
      ],
      [
        "channels",
        encodeWav({ sampleRate: 48000, channels: [new Float64Array(TAPS)] }),
        /channels must be one per driver of device.drivers \(3\): current value is 1/,
      ],
      [
        "length",
        encodeWav({ sampleRate: 48000, channels: DRIVERS.map(() => new Float64Array(10)) }),
        /length must be taps \(64\) samples: current value is 10/,
      ],
    ];
    for (const [name, bytes, pattern] of cases) {
      const folder = join(dir, name);
      const written = await writeBundle(folder, d, filters(d.inputs));
      await Deno.writeFile(join(folder, "filters/left.wav"), bytes);
      const edited = {
        ...written,
        files: { ...written.files, "filters/left.wav": await sha256Hex(bytes) },
      };
      const json = { ...edited, sha256: await bundleContentSha256(edited) };
      await Deno.writeTextFile(join(folder, "bundle.json"), JSON.stringify(json));
      await inputError(readBundle(folder), pattern);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readBundle names a missing folder, a missing bundle.json and invalid JSON", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await inputError(readBundle(join(dir, "nope")), /the folder does not exist/);
    await Deno.mkdir(join(dir, "empty"));
    await inputError(readBundle(join(dir, "empty")), /it has no bundle.json/);
    await Deno.writeTextFile(join(dir, "empty", "bundle.json"), "{");
    await inputError(readBundle(join(dir, "empty")), /is not valid JSON/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("validateBundle enforces every rule of the contract and names file, field and value", async () => {
  const files = {
    "filters/left.wav": "b".repeat(64),
    "filters/right.wav": "c".repeat(64),
    "filters/center.wav": "d".repeat(64),
  };
  const good = (): Loose => structuredClone({ ...draft(), files });
  validateBundle(good()); // the baseline passes
  validateBundle({ ...good(), extraField: { kept: true } }); // extra fields are allowed
  const cases: [string, (b: Loose) => void, RegExp][] = [
    [
      "format",
      (b) => (b.format = "x"),
      /format must be "spatialcal.filter-bundle": current value is "x"/,
    ],
    ["version", (b) => (b.version = 2), /version must be 1 .*: current value is 2/],
    [
      "sampleRate",
      (b) => (b.sampleRate = 44100.5),
      /sampleRate must be a positive integer: current value is 44100.5/,
    ],
    ["taps", (b) => (b.taps = 0), /taps must be a positive integer: current value is 0/],
    [
      "latency",
      (b) => (b.latencySamples = 64),
      /latencySamples must be an integer within 0..taps-1 \(63\): current value is 64/,
    ],
    ["latency neg", (b) => (b.latencySamples = -1), /latencySamples .*current value is -1/],
    ["device", (b) => (b.device = []), /device must be an object/],
    ["model", (b) => (b.device.model = ""), /device.model must be a non-empty string/],
    [
      "serial",
      (b) => delete b.device.serial,
      /device.serial must be a non-empty string: current value is undefined/,
    ],
    ["drivers", (b) => (b.device.drivers = []), /device.drivers must be a non-empty list/],
    ["driver id", (b) => (b.device.drivers[1] = "a b"), /device.drivers\[1\] must be an id/],
    [
      "driver dup",
      (b) => (b.device.drivers[2] = "mid-left"),
      /device.drivers\[2\] must be unique: current value is "mid-left"/,
    ],
    ["source", (b) => (b.source = null), /source must be an object/],
    [
      "set",
      (b) => (b.source.measurementSet = 3),
      /source.measurementSet must be a non-empty string: current value is 3/,
    ],
    [
      "sha",
      (b) => (b.source.sha256 = "A".repeat(64)),
      /source.sha256 must be 64 lowercase hex digits/,
    ],
    [
      "inputs",
      (b) => (b.inputs = ["left", "right"]),
      /inputs must be \["left","right","center"\] in a bundle with upmix/,
    ],
    ["inputs2", (b) => {
      delete b.upmix;
    }, /inputs must be \["left","right"\] in a bundle without upmix/],
    ["upmix", (b) => (b.upmix = "lrc"), /upmix must be an object when present/],
    [
      "method",
      (b) => (b.upmix.method = "magic"),
      /upmix.method must be one of \["mid-side-projection"\]: current value is "magic"/,
    ],
    [
      "frame",
      (b) => (b.upmix.frameSize = 100),
      /upmix must hold valid parameters \(.*frameSize must be a power of two/,
    ],
    [
      "hop",
      (b) => (b.upmix.hopSize = 7),
      /upmix.hopSize must be frameSize\/4 \(512\): current value is 7/,
    ],
    ["filters", (b) => (b.filters = "x"), /filters must be an object/],
    [
      "filters extra",
      (b) => (b.filters.surround = "filters/s.wav"),
      /filters.surround must name one of the inputs/,
    ],
    [
      "filters missing",
      (b) => delete b.filters.center,
      /filters.center must be a path string: current value is undefined/,
    ],
    [
      "filters abs",
      (b) => (b.filters.left = "/etc/passwd.wav"),
      /filters.left must be a relative path inside the bundle/,
    ],
    [
      "filters dotdot",
      (b) => (b.filters.left = "../x.wav"),
      /filters.left must be a relative path inside the bundle/,
    ],
    [
      "filters wav",
      (b) => (b.filters.left = "filters/left.txt"),
      /filters.left must be a .wav file/,
    ],
    [
      "filters reuse",
      (b) => (b.filters.right = "filters/left.wav"),
      /filters.right must not reuse another input's file/,
    ],
    ["design", (b) => (b.design = 1), /design must be an object: current value is 1/],
    [
      "predicted",
      (b) => delete b.predicted,
      /predicted must be an object: current value is undefined/,
    ],
    ["files", (b) => (b.files = []), /files must be an object of path: sha256/],
    [
      "files hash",
      (b) => (b.files["filters/left.wav"] = "zz"),
      /files\["filters\/left.wav"\] must be 64 lowercase hex digits: current value is "zz"/,
    ],
    [
      "files path",
      (b) => (b.files["../up.wav"] = "e".repeat(64)),
      /files\["..\/up.wav"\] must be keyed by a relative path/,
    ],
    [
      "files cover",
      (b) => delete b.files["filters/right.wav"],
      /files must hold the SHA-256 of "filters\/right.wav"/,
    ],
    ["top", (b) => (b.length = 0), /^$/],
  ];
  for (const [name, mutate, pattern] of cases) {
    if (name === "top") {
      await inputError(
        () => validateBundle([], { file: "x/bundle.json" }),
        /Cannot read bundle "x\/bundle.json" as the top level must be a JSON object/,
      );
      continue;
    }
    const b = good();
    mutate(b);
    let error: unknown;
    try {
      validateBundle(b, { file: "b/bundle.json" });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof InputError, `${name}: expected InputError, got ${error}`);
    assert.match((error as Error).message, /^Cannot read bundle "b\/bundle.json" as /, name);
    assert.match((error as Error).message, pattern, name);
    assert.equal((error as InputError).file, "b/bundle.json", name);
  }
});

Deno.test("writeBundle refuses filters that do not fit the bundle, with TypeError or RangeError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const d = draft(false);
    const f = filters(d.inputs);
    await rejectsWith(
      writeBundle(join(dir, "a"), d, { left: f.left! }),
      TypeError,
      /filters must have input "right": it is missing/,
    );
    await rejectsWith(
      writeBundle(join(dir, "a"), d, { ...f, left: f.left!.slice(0, 2) }),
      RangeError,
      /filters.left must have one channel per driver \(3\): current value is 2/,
    );
    await rejectsWith(
      writeBundle(join(dir, "a"), d, {
        ...f,
        right: [f.right![0]!, f.right![1]!, new Float64Array(3)],
      }),
      RangeError,
      /filters.right channel 2 must have taps \(64\) samples: current value is 3/,
    );
    const bad = f.left!.map((h) => h.slice());
    bad[1]![5] = NaN;
    await rejectsWith(
      writeBundle(join(dir, "a"), d, { ...f, left: bad }),
      RangeError,
      /filters.left channel 1 sample 5 is NaN/,
    );
    await rejectsWith(
      writeBundle(join(dir, "a"), d, { ...f, center: f.left! }),
      TypeError,
      /extra \["center"\]/,
    );
    assert.equal([...Deno.readDirSync(dir)].length, 0, "nothing was written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readBundle refuses an edited bundle.json (it is outside its own files table) and one without sha256", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const d = draft(false);
    const folder = join(dir, "b");
    const written = await writeBundle(folder, d, filters(d.inputs));
    assert.match(written.sha256!, /^[0-9a-f]{64}$/);
    const path = join(folder, "bundle.json");
    const original = await Deno.readTextFile(path);
    // A forged prediction (what verify --bundle judges a unit on), hashes of the WAVs untouched.
    const forged = JSON.parse(original);
    forged.predicted = { ...forged.predicted, forged: true };
    await Deno.writeTextFile(path, JSON.stringify(forged, null, 2));
    await inputError(
      readBundle(folder),
      /as bundle.json was changed after it was written: its sha256 says [0-9a-f]{64}, its content hashes to [0-9a-f]{64}/,
    );
    // Key order and whitespace are not content: a reformatted file still reads.
    await Deno.writeTextFile(path, JSON.stringify(JSON.parse(original)));
    await readBundle(folder);
    const { sha256: _dropped, ...unsigned } = JSON.parse(original);
    await Deno.writeTextFile(path, JSON.stringify(unsigned));
    await inputError(
      readBundle(folder),
      /sha256 must be 64 lowercase hex digits \(the SHA-256 of bundle.json's content\): current value is undefined/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
