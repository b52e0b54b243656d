import assert from "node:assert/strict";
import { assertAllClose, seededRandom } from "../_assert.ts";
import { decodeWav, encodeWav, readWav, writeWav } from "../../io/wav.ts";
import type { EncodeWavOptions, WavFormat } from "../../io/wav.ts";
import type { Signal } from "../../dsp/signal.ts";
import {
  ascii,
  assertErrorMessage,
  assertInputError,
  chunk,
  concat,
  extensibleFmtBody,
  fmtBody,
  GUID_TAIL,
  le,
  riff,
  run,
  soxDump,
} from "./_helpers.ts";
import { withTempDir } from "../_temp.ts";

const FORMATS: {
  label: string;
  options: EncodeWavOptions;
  soxArgs: string[];
  format: Omit<WavFormat, "extensible">;
}[] = [
  {
    label: "PCM16",
    options: { encoding: "pcm", bitsPerSample: 16 },
    soxArgs: ["-b", "16", "-e", "signed-integer"],
    format: { encoding: "pcm", bitsPerSample: 16 },
  },
  {
    label: "PCM24",
    options: { encoding: "pcm", bitsPerSample: 24 },
    soxArgs: ["-b", "24", "-e", "signed-integer"],
    format: { encoding: "pcm", bitsPerSample: 24 },
  },
  {
    label: "float32",
    options: {},
    soxArgs: ["-b", "32", "-e", "floating-point"],
    format: { encoding: "float", bitsPerSample: 32 },
  },
];

/** Channel c: a sine of (c + 1)·440 Hz at 0.9 plus a little seeded noise, 0.02 s at 48 kHz. */
function testSignal(channelCount: number, seed = 7): Signal {
  const rand = seededRandom(seed);
  const sampleRate = 48000;
  const n = 960;
  const channels = Array.from({ length: channelCount }, (_, c) =>
    Float64Array.from(
      { length: n },
      (_, i) =>
        0.9 * Math.sin(2 * Math.PI * 440 * (c + 1) * i / sampleRate) + 0.05 * (rand() - 0.5),
    ));
  return { sampleRate, channels };
}

/** What a file of this format stores for x: PCM rounds to the grid, float rounds to float32. */
function quantized(x: Float64Array, options: EncodeWavOptions): Float64Array {
  if ((options.encoding ?? "float") === "float") return x.map(Math.fround);
  const scale = 2 ** ((options.bitsPerSample ?? 16) - 1);
  return x.map((v) => Math.max(-scale, Math.min(scale - 1, Math.round(v * scale))) / scale);
}

async function soxi(flag: string, path: string): Promise<string> {
  return new TextDecoder().decode(await run("soxi", [flag, path])).trim();
}

for (const channelCount of [1, 2, 8]) {
  for (const { label, options, format } of FORMATS) {
    Deno.test(`encodeWav() ${channelCount}-channel ${label} is read by soxi/sox with the same format and the stored values (PCM exactly, float32 to sox's 2^-31 grid), and sox's copy reads back`, async () => {
      await withTempDir(async (dir) => {
        const signal = testSignal(channelCount);
        const path = `${dir}/ours.wav`;
        await writeWav(path, signal, options);
        assert.equal(await soxi("-c", path), String(channelCount));
        assert.equal(await soxi("-r", path), "48000");
        assert.equal(await soxi("-b", path), String(format.bitsPerSample));
        assert.equal(
          await soxi("-e", path),
          format.encoding === "pcm" ? "Signed Integer PCM" : "Floating Point PCM",
        );
        assert.equal(await soxi("-s", path), "960");
        const expected = signal.channels.map((x) => quantized(x, options));
        // PCM codes reach sox's float64 dump exactly. sox holds every sample as a 32-bit
        // integer internally, so float32 input lands on a 2^-31 grid: atol 2^-31.
        const isFloat = format.encoding === "float";
        const soxAtol = isFloat ? 2 ** -31 : 0;
        const dumped = await soxDump(path, channelCount);
        dumped.forEach((ch, c) =>
          assertAllClose(ch, expected[c]!, { rtol: 0, atol: soxAtol, message: `sox channel ${c}` })
        );

        await run("sox", ["-D", path, `${dir}/copy.wav`]); // -D: no dither on the copy
        const copy = await readWav(`${dir}/copy.wav`);
        assert.equal(copy.sampleRate, 48000);
        assert.equal(copy.format.encoding, format.encoding);
        assert.equal(copy.format.bitsPerSample, format.bitsPerSample);
        // sox writes float32 from its 32-bit integers rounded to multiples of 128, a 2^-24
        // grid (SOX_SAMPLE_TO_FLOAT_32BIT in sox.h): at most 2^-25 + 2^-31 off. PCM: exact.
        const copyAtol = isFloat ? 2 ** -25 + 2 ** -31 : 0;
        copy.channels.forEach((ch, c) =>
          assertAllClose(ch, expected[c]!, {
            rtol: 0,
            atol: copyAtol,
            message: `copy channel ${c}`,
          })
        );
      });
    });

    Deno.test(`decodeWav() reads sox-made ${channelCount}-channel ${label} files exactly as sox dumps them`, async () => {
      await withTempDir(async (dir) => {
        const path = `${dir}/sox.wav`;
        const sines = Array.from(
          { length: channelCount },
          (_, c) => ["sine", String(300 + 200 * c)],
        ).flat();
        await run("sox", [
          "-n",
          "-r",
          "48000",
          "-c",
          String(channelCount),
          ...FORMATS.find((f) => f.label === label)!.soxArgs,
          path,
          "synth",
          "0.05",
          ...sines,
          "gain",
          "-3",
        ]);
        const bytes = await Deno.readFile(path);
        const wav = decodeWav(bytes, { name: path });
        assert.equal(wav.sampleRate, 48000);
        assert.equal(wav.channels.length, channelCount);
        assert.equal(wav.channels[0]!.length, 2400);
        const tagIsExtensible = bytes[20] === 0xfe && bytes[21] === 0xff;
        assert.deepEqual(wav.format, { ...format, extensible: tagIsExtensible });
        const dumped = await soxDump(path, channelCount);
        // Both sides convert the same integer/float32 codes to float64: exact.
        wav.channels.forEach((ch, c) =>
          assertAllClose(ch, dumped[c]!, { rtol: 0, message: `channel ${c}` })
        );
        // Physics: channel c holds a (300 + 200c) Hz sine at -3 dB. PCM files carry sox's
        // dither (±2 LSB) and quantization; float32 only its rounding (6e-8 relative).
        const atol = format.encoding === "float" ? 1e-6 : 4 / 2 ** (format.bitsPerSample - 1);
        wav.channels.forEach((ch, c) => {
          const expected = ch.map((_, i) =>
            10 ** (-3 / 20) * Math.sin(2 * Math.PI * (300 + 200 * c) * i / 48000)
          );
          assertAllClose(ch, expected, { rtol: 0, atol, message: `analytic channel ${c}` });
        });
      });
    });
  }
}

Deno.test("scipy.io.wavfile (an independent reader) reads our 1/2/8-channel PCM16, PCM24 and float32 files with the right rate, type and exact values", async () => {
  await withTempDir(async (dir) => {
    const files: {
      path: string;
      channelCount: number;
      label: string;
      options: EncodeWavOptions;
    }[] = [];
    for (const channelCount of [1, 2, 8]) {
      for (const { label, options } of FORMATS) {
        const path = `${dir}/${label}-${channelCount}.wav`;
        await writeWav(path, testSignal(channelCount), options);
        files.push({ path, channelCount, label, options });
      }
    }
    const script = [
      "import json, sys",
      "from scipy.io import wavfile",
      "out = []",
      "for path in sys.argv[1:]:",
      "    rate, data = wavfile.read(path)",
      "    data = data.reshape(len(data), -1)",
      "    out.append({'rate': rate, 'dtype': str(data.dtype), 'channels': data.T.tolist()})",
      "print(json.dumps(out))",
    ].join("\n");
    const stdout = await run("/usr/bin/python3", ["-c", script, ...files.map((f) => f.path)]);
    const results = JSON.parse(new TextDecoder().decode(stdout));
    files.forEach(({ channelCount, label, options }, k) => {
      const result = results[k];
      assert.equal(result.rate, 48000, label);
      assert.equal(result.channels.length, channelCount, label);
      const bits = options.bitsPerSample ?? 32;
      assert.equal(
        result.dtype,
        label === "float32" ? "float32" : label === "PCM16" ? "int16" : "int32",
      );
      testSignal(channelCount).channels.forEach((x, c) => {
        const stored = quantized(x, options);
        // scipy returns float32 values, int16 codes, and 24-bit codes left-justified in int32.
        const expected = label === "float32"
          ? stored
          : stored.map((v) => v * 2 ** (bits - 1) * (bits === 24 ? 256 : 1));
        assertAllClose(result.channels[c], expected, {
          rtol: 0,
          message: `${label} ${channelCount} ch, channel ${c}`,
        });
      });
    });
  });
});

Deno.test("decodeWav() reads sox-made 32-bit integer PCM exactly as sox dumps it", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/s32.wav`;
    await run("sox", [
      "-n",
      "-r",
      "44100",
      "-c",
      "3",
      "-b",
      "32",
      "-e",
      "signed-integer",
      path,
      "synth",
      "0.01",
      "sine",
      "100",
      "square",
      "200",
      "noise",
    ]);
    const wav = await readWav(path);
    assert.equal(wav.sampleRate, 44100);
    assert.deepEqual(wav.format, { encoding: "pcm", bitsPerSample: 32, extensible: true });
    const dumped = await soxDump(path, 3);
    wav.channels.forEach((ch, c) => assertAllClose(ch, dumped[c]!, { rtol: 0 }));
  });
});

Deno.test("encodeWav() → decodeWav() of float32 is bit-exact for float32-representable samples, including ±1, tiny and large values", () => {
  const rand = seededRandom(11);
  const values = [
    0,
    -0,
    1,
    -1,
    1e-30,
    -9999.5, // near the largest accepted magnitude, MAX_FLOAT_SAMPLE
    1.5e-45,
    7.25,
    ...Array.from({ length: 1000 }, () => rand() * 4 - 2),
  ]
    .map(Math.fround);
  const signal: Signal = {
    sampleRate: 96000,
    channels: [Float64Array.from(values), Float64Array.from(values).reverse()],
  };
  const wav = decodeWav(encodeWav(signal));
  assert.equal(wav.sampleRate, 96000);
  // Stereo float is written as plain tag 3 with an 18-byte fmt chunk, as sox writes it.
  assert.deepEqual(wav.format, { encoding: "float", bitsPerSample: 32, extensible: false });
  assert.deepEqual(wav.channels, signal.channels); // deepEqual uses Object.is: -0 stays -0
});

Deno.test("encodeWav() float32 rounds float64 samples to the nearest float32", () => {
  const x = Float64Array.from([0.1, 1 / 3, -2 / 3, Math.PI]);
  const wav = decodeWav(encodeWav({ sampleRate: 48000, channels: [x] }));
  assert.deepEqual(wav.channels[0], x.map(Math.fround));
});

Deno.test("encodeWav() PCM rounds halves away from zero and clips silently to [-1, 1 - 2^-(b-1)]", () => {
  for (const bits of [16, 24, 32] as const) {
    const s = 2 ** (bits - 1);
    const x = Float64Array.from([0.5 / s, -0.5 / s, 1.49 / s, -1.51 / s, 1, -1, 2, -2, 0.25]);
    const wav = decodeWav(
      encodeWav({ sampleRate: 8000, channels: [x] }, { encoding: "pcm", bitsPerSample: bits }),
    );
    assert.deepEqual(wav.format, { encoding: "pcm", bitsPerSample: bits, extensible: bits > 16 });
    assert.deepEqual(
      Array.from(wav.channels[0]!, (v) => v * s),
      [1, -1, 1, -2, s - 1, -s, s - 1, -s, s / 4],
      `${bits} bits`,
    );
  }
});

Deno.test("encodeWav() PCM defaults to 16 bits and uses the plain PCM tag for 16-bit mono/stereo", () => {
  const bytes = encodeWav({
    sampleRate: 44100,
    channels: [new Float64Array(3), new Float64Array(3)],
  }, { encoding: "pcm" });
  const view = new DataView(bytes.buffer);
  assert.equal(bytes.length, 44 + 12);
  assert.equal(view.getUint16(20, true), 1);
  assert.equal(view.getUint16(34, true), 16);
});

Deno.test("encodeWav() writes float with more than 2 channels as WAVE_FORMAT_EXTENSIBLE with the standard channel masks and 0 beyond 8, and a fact chunk with the frame count", () => {
  const masks: Record<number, number> = {
    3: 0x7,
    4: 0x33,
    5: 0x37,
    6: 0x3f,
    7: 0x13f,
    8: 0x63f,
    9: 0,
    16: 0,
  };
  for (const [count, mask] of Object.entries(masks)) {
    const channels = Array.from({ length: Number(count) }, () => new Float64Array(5));
    const bytes = encodeWav({ sampleRate: 48000, channels });
    const view = new DataView(bytes.buffer);
    assert.equal(view.getUint16(20, true), 0xfffe);
    assert.equal(view.getUint32(40, true), mask, `${count} channels`);
    assert.equal(view.getUint16(44, true), 3, "IEEE float subformat");
    assert.deepEqual(Array.from(bytes.subarray(46, 60)), GUID_TAIL);
    assert.equal(new TextDecoder().decode(bytes.subarray(60, 64)), "fact");
    assert.equal(view.getUint32(68, true), 5);
    assert.equal(view.getUint32(4, true), bytes.length - 8);
  }
});

Deno.test("encodeWav() writes mono and stereo float as tag 3 with cbSize 0 and a fact chunk (as sox does)", () => {
  for (const count of [1, 2]) {
    const bytes = encodeWav({
      sampleRate: 48000,
      channels: Array.from({ length: count }, () => new Float64Array(5)),
    });
    const view = new DataView(bytes.buffer);
    assert.equal(view.getUint32(16, true), 18);
    assert.equal(view.getUint16(20, true), 3);
    assert.equal(view.getUint16(36, true), 0);
    assert.equal(new TextDecoder().decode(bytes.subarray(38, 42)), "fact");
    assert.equal(view.getUint32(46, true), 5);
  }
});

Deno.test("encodeWav() pads an odd-sized data chunk (24-bit mono, odd length) and the result still reads in sox and here", async () => {
  const x = Float64Array.from([0.5, -0.25, 0.125]);
  const bytes = encodeWav({ sampleRate: 48000, channels: [x] }, {
    encoding: "pcm",
    bitsPerSample: 24,
  });
  assert.equal(bytes.length % 2, 0);
  const view = new DataView(bytes.buffer);
  assert.equal(view.getUint32(4, true), bytes.length - 8);
  assert.deepEqual(decodeWav(bytes).channels[0], x);
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/odd.wav`, bytes);
    assert.deepEqual(Array.from((await soxDump(`${dir}/odd.wav`, 1))[0]!), Array.from(x));
  });
});

Deno.test("decodeWav() skips LIST, odd-sized (padded) and unknown chunks before fmt, between fmt and data, and ignores chunks after data", () => {
  const samples = le([0x4000, 2], [0xc000, 2], [0x0001, 2], [0x7fff, 2]); // 2 frames of stereo PCM16
  const bytes = riff([
    chunk(
      "LIST",
      concat(
        new TextEncoder().encode("INFOISFT"),
        le([3, 4]),
        new TextEncoder().encode("ab\0"),
        new Uint8Array(1),
      ),
    ),
    chunk("junk", new Uint8Array(3)), // odd size: one pad byte follows
    chunk("fmt ", fmtBody(1, 2, 22050, 16)),
    chunk("fact", le([2, 4])),
    chunk("bext", new Uint8Array(7)),
    chunk("data", samples),
    chunk("LIST", new Uint8Array(10)),
  ]);
  const wav = decodeWav(bytes);
  assert.equal(wav.sampleRate, 22050);
  assert.deepEqual(wav.format, { encoding: "pcm", bitsPerSample: 16, extensible: false });
  assert.deepEqual(Array.from(wav.channels[0]!), [0.5, 1 / 32768]);
  assert.deepEqual(Array.from(wav.channels[1]!), [-0.5, 32767 / 32768]);
});

Deno.test("decodeWav() reads a plain 24-bit PCM tag and a float tag with an 18-byte fmt, and tolerates a missing final pad byte", () => {
  const pcm24 = riff([
    chunk("fmt ", fmtBody(1, 1, 48000, 24)),
    chunk("data", Uint8Array.from([0, 0, 0x80, 0xff, 0xff, 0x7f])),
  ]);
  assert.deepEqual(Array.from(decodeWav(pcm24).channels[0]!), [-1, 8388607 / 8388608]);
  const oddData = riff([
    chunk("fmt ", fmtBody(1, 1, 48000, 24)),
    chunk("data", Uint8Array.from([1, 0, 0])),
  ]);
  const unpadded = oddData.subarray(0, oddData.length - 1);
  assert.deepEqual(Array.from(decodeWav(unpadded).channels[0]!), [1 / 8388608]);
  const f = new Uint8Array(new Float32Array([0.75, -0.5]).buffer);
  const float = riff([
    chunk("fmt ", concat(fmtBody(3, 2, 48000, 32), le([0, 2]))),
    chunk("fact", le([1, 4])),
    chunk("data", f),
  ]);
  const wav = decodeWav(float);
  assert.deepEqual(wav.format, { encoding: "float", bitsPerSample: 32, extensible: false });
  assert.deepEqual(wav.channels, [Float64Array.from([0.75]), Float64Array.from([-0.5])]);
});

Deno.test("decodeWav() accepts an empty data chunk as a signal of zero samples", () => {
  const wav = decodeWav(
    riff([chunk("fmt ", fmtBody(1, 2, 48000, 16)), chunk("data", new Uint8Array(0))]),
  );
  assert.deepEqual(wav.channels, [new Float64Array(0), new Float64Array(0)]);
});

// ---- rejections of real files made by sox ----

const SOX_REJECTS: { label: string; args: string[]; rule: string; field: string; value: number }[] =
  [
    {
      label: "A-law",
      args: ["-e", "a-law"],
      rule: "its format tag 0x0006 (A-law) is not supported",
      field: "format tag",
      value: 6,
    },
    {
      label: "µ-law",
      args: ["-e", "u-law"],
      rule: "its format tag 0x0007 (µ-law) is not supported",
      field: "format tag",
      value: 7,
    },
    {
      label: "MS ADPCM",
      args: ["-e", "ms-adpcm"],
      rule: "its format tag 0x0002 (Microsoft ADPCM) is not supported",
      field: "format tag",
      value: 2,
    },
    {
      label: "IMA ADPCM",
      args: ["-e", "ima-adpcm"],
      rule: "its format tag 0x0011 (IMA ADPCM) is not supported",
      field: "format tag",
      value: 0x11,
    },
    {
      label: "8-bit PCM",
      args: ["-b", "8", "-e", "unsigned-integer"],
      rule: "its PCM sample size of 8 bits is not supported",
      field: "bitsPerSample",
      value: 8,
    },
    {
      label: "float64",
      args: ["-b", "64", "-e", "floating-point"],
      rule: "its float sample size of 64 bits is not supported",
      field: "bitsPerSample",
      value: 64,
    },
  ];

for (const { label, args, rule, field, value } of SOX_REJECTS) {
  Deno.test(`readWav() refuses a sox-made ${label} file with an InputError naming file, field and value`, async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/x.wav`;
      await run("sox", [
        "-n",
        "-r",
        "8000",
        "-c",
        "1",
        ...args,
        path,
        "synth",
        "0.01",
        "sine",
        "1000",
      ]);
      await assertInputError(() => readWav(path), {
        message: `Cannot read WAV "${path}" as ${rule}: use PCM 16/24/32-bit or float32`,
        file: path,
        field,
        value,
      });
    });
  });
}

// ---- rejections of hand-made files ----

const fmt16 = chunk("fmt ", fmtBody(1, 1, 48000, 16));
const data2 = chunk("data", new Uint8Array(4));

const REJECTS: {
  claim: string;
  bytes: Uint8Array;
  reason: string;
  field: string;
  value: unknown;
}[] = [
  {
    claim: "a file shorter than a RIFF header",
    bytes: new Uint8Array(5),
    reason: "it is truncated: it has 5 bytes, a RIFF/WAVE header needs 12",
    field: "RIFF header",
    value: 5,
  },
  {
    claim: "a big-endian RIFX file",
    bytes: riff([fmt16, data2], "RIFX"),
    reason: "it is a big-endian RIFX file: only little-endian RIFF/WAVE is supported",
    field: "RIFF id",
    value: "RIFX",
  },
  {
    claim: "an RF64 file",
    bytes: riff([fmt16, data2], "RF64"),
    reason: "it is an RF64 file: only RIFF/WAVE (up to 4 GiB) is supported",
    field: "RIFF id",
    value: "RF64",
  },
  {
    claim: "a file that is not RIFF",
    bytes: concat(new TextEncoder().encode("ID3\u0004"), new Uint8Array(20)),
    reason: 'it is not a RIFF/WAVE file: it starts with "ID3\\u0004", expected "RIFF"',
    field: "RIFF id",
    value: "ID3\u0004",
  },
  {
    claim: "a RIFF file that is not WAVE",
    bytes: riff([fmt16, data2], "RIFF", "AVI "),
    reason: 'it is not a RIFF/WAVE file: its RIFF form type is "AVI ", expected "WAVE"',
    field: "RIFF form type",
    value: "AVI ",
  },
  {
    claim: "a file without a fmt chunk",
    bytes: riff([data2]),
    reason: 'it has no "fmt " chunk: a WAV file must describe its format',
    field: "fmt chunk",
    value: undefined,
  },
  {
    claim: "a file without a data chunk",
    bytes: riff([fmt16, chunk("LIST", new Uint8Array(4))]),
    reason: 'it has no "data" chunk: a WAV file must hold its samples',
    field: "data chunk",
    value: undefined,
  },
  {
    claim: "a data chunk larger than the file",
    bytes: riff([fmt16, chunk("data", new Uint8Array(4), 1000)]),
    reason: 'it is truncated: its "data" chunk at byte 36 declares 1000 bytes but only 4 remain',
    field: "data chunk size",
    value: 1000,
  },
  {
    claim: "a streaming-style data size of 0xFFFFFFFF",
    bytes: riff([fmt16, chunk("data", new Uint8Array(4), 0xffffffff)]),
    reason:
      'it is truncated: its "data" chunk at byte 36 declares 4294967295 bytes but only 4 remain',
    field: "data chunk size",
    value: 0xffffffff,
  },
  {
    claim: "an unknown chunk before data larger than the file",
    bytes: riff([chunk("LIST", new Uint8Array(2), 50), fmt16, data2]),
    reason: 'it is truncated: its "LIST" chunk at byte 12 declares 50 bytes but only 38 remain',
    field: "LIST chunk size",
    value: 50,
  },
  {
    claim: "a fmt chunk under 16 bytes",
    bytes: riff([chunk("fmt ", fmtBody(1, 1, 48000, 16).subarray(0, 14)), data2]),
    reason: 'its "fmt " chunk has 14 bytes: it needs at least 16',
    field: "fmt chunk size",
    value: 14,
  },
  {
    claim: "an MPEG layer 3 tag",
    bytes: riff([chunk("fmt ", fmtBody(0x55, 1, 48000, 16)), data2]),
    reason:
      "its format tag 0x0055 (MPEG layer 3) is not supported: use PCM 16/24/32-bit or float32",
    field: "format tag",
    value: 0x55,
  },
  {
    claim: "an unknown tag",
    bytes: riff([chunk("fmt ", fmtBody(0x1234, 1, 48000, 16)), data2]),
    reason: "its format tag 0x1234 is not supported: use PCM 16/24/32-bit or float32",
    field: "format tag",
    value: 0x1234,
  },
  {
    claim: "12-bit PCM",
    bytes: riff([chunk("fmt ", fmtBody(1, 1, 48000, 12, 2)), data2]),
    reason: "its PCM sample size of 12 bits is not supported: use PCM 16/24/32-bit or float32",
    field: "bitsPerSample",
    value: 12,
  },
  {
    claim: "a float64 tag",
    bytes: riff([chunk("fmt ", fmtBody(3, 1, 48000, 64)), chunk("data", new Uint8Array(8))]),
    reason: "its float sample size of 64 bits is not supported: use PCM 16/24/32-bit or float32",
    field: "bitsPerSample",
    value: 64,
  },
  {
    claim: "an extensible fmt chunk without its extension",
    bytes: riff([chunk("fmt ", concat(fmtBody(0xfffe, 1, 48000, 16), le([0, 2]))), data2]),
    reason:
      'its WAVE_FORMAT_EXTENSIBLE "fmt " chunk is 18 bytes with a 0-byte extension: it needs 40 bytes with a 22-byte extension',
    field: "fmt extension size",
    value: 0,
  },
  {
    claim: "an extensible file with a non-standard subformat GUID",
    bytes: riff([
      chunk(
        "fmt ",
        extensibleFmtBody(1, 1, 48000, 16, [
          0,
          0,
          0x21,
          0x07,
          0xd3,
          0x11,
          0x86,
          0x44,
          0xc8,
          0xc1,
          0xca,
          0,
          0,
          0,
        ]),
      ),
      data2,
    ]),
    reason:
      "its WAVE_FORMAT_EXTENSIBLE subformat {00000001-0721-11d3-8644-c8c1ca000000} is not supported: use PCM 16/24/32-bit or float32",
    field: "subformat",
    value: "{00000001-0721-11d3-8644-c8c1ca000000}",
  },
  {
    claim: "an extensible A-law subformat",
    bytes: riff([chunk("fmt ", extensibleFmtBody(6, 1, 8000, 8)), data2]),
    reason:
      "its WAVE_FORMAT_EXTENSIBLE subformat 0x0006 (A-law) is not supported: use PCM 16/24/32-bit or float32",
    field: "subformat",
    value: 6,
  },
  {
    claim: "an extensible float64 subformat",
    bytes: riff([
      chunk("fmt ", extensibleFmtBody(3, 1, 48000, 64)),
      chunk("data", new Uint8Array(8)),
    ]),
    reason: "its float sample size of 64 bits is not supported: use PCM 16/24/32-bit or float32",
    field: "bitsPerSample",
    value: 64,
  },
  {
    claim: "zero channels",
    bytes: riff([chunk("fmt ", fmtBody(1, 0, 48000, 16)), data2]),
    reason: "its channel count is 0: it must be at least 1",
    field: "channels",
    value: 0,
  },
  {
    claim: "a zero sample rate",
    bytes: riff([chunk("fmt ", fmtBody(1, 1, 0, 16)), data2]),
    reason: "its sample rate is 0 Hz: it must be positive",
    field: "sampleRate",
    value: 0,
  },
  {
    claim: "a block alignment that does not match channels × bits",
    bytes: riff([chunk("fmt ", fmtBody(1, 2, 48000, 16, 2)), data2]),
    reason: "its block alignment is 2 bytes: 2 channels of 16 bits need 4",
    field: "blockAlign",
    value: 2,
  },
  {
    claim: "a data chunk that ends mid-frame",
    bytes: riff([chunk("fmt ", fmtBody(1, 2, 48000, 16)), chunk("data", new Uint8Array(6))]),
    reason: 'it is truncated: its "data" chunk of 6 bytes is not a whole number of 4-byte frames',
    field: "data chunk size",
    value: 6,
  },
  // Issue 13 "WAV": sizes checked against the file and each other, absurd headers and samples.
  {
    claim: "a data size 2 bytes too large that swallows the next chunk's header",
    bytes: riff([fmt16, chunk("data", new Uint8Array(4), 6), chunk("LIST", ascii("INFO"))]),
    reason:
      'it is corrupt: byte 50 should start a chunk but holds no chunk id (a preceding chunk\'s size is wrong, e.g. a "fmt " chunk of 0 bytes)',
    field: "chunk id",
    value: "53 54 04 00",
  },
  {
    claim: "a fact chunk whose frame count disagrees with the data chunk",
    bytes: riff([
      chunk("fmt ", concat(fmtBody(3, 1, 48000, 32), le([0, 2]))),
      chunk("fact", le([2, 4])),
      chunk("data", new Uint8Array(12)),
    ]),
    reason: 'its chunk sizes disagree: the "fact" chunk says 2 frames, the "data" chunk holds 3',
    field: "fact sample length",
    value: 2,
  },
  {
    claim: "stray bytes after the last chunk",
    bytes: riff([fmt16, data2, ascii("ab")]),
    reason:
      "it is corrupt: 2 stray bytes follow its last chunk at byte 48 (a chunk's size is wrong)",
    field: "chunk id",
    value: 2,
  },
  {
    claim: "a RIFF size larger than the file",
    bytes: (() => {
      const b = riff([fmt16, data2]);
      new DataView(b.buffer).setUint32(4, b.length - 8 + 100, true);
      return b;
    })(),
    reason: "it is truncated: its RIFF header declares 140 bytes but only 40 follow it",
    field: "RIFF size",
    value: 140,
  },
  {
    claim: "valid bits 40 in a 24-bit container",
    bytes: riff([
      chunk(
        "fmt ",
        concat(
          fmtBody(0xfffe, 1, 48000, 24),
          le([22, 2], [40, 2], [0, 4], [1, 2]),
          Uint8Array.from(GUID_TAIL),
        ),
      ),
      chunk("data", new Uint8Array(6)),
    ]),
    reason: "its valid bits per sample (40) exceed its container of 24 bits",
    field: "validBitsPerSample",
    value: 40,
  },
  {
    claim: "4000 channels",
    bytes: riff([chunk("fmt ", fmtBody(1, 4000, 48000, 16)), chunk("data", new Uint8Array(8000))]),
    reason: "its channel count is 4000: at most 256 channels are read",
    field: "channels",
    value: 4000,
  },
  {
    claim: "a float sample of 3e38 (769 dBFS)",
    bytes: riff([
      chunk("fmt ", concat(fmtBody(3, 1, 48000, 32), le([0, 2]))),
      chunk("data", new Uint8Array(new Float32Array([0.5, 3e38]).buffer)),
    ]),
    reason: `channel 0 sample 1 is ${
      Math.fround(3e38)
    }: float samples must be finite and within ±10000 (+80 dBFS)`,
    field: "channel 0 sample 1",
    value: Math.fround(3e38),
  },
];

for (const { claim, bytes, reason, field, value } of REJECTS) {
  Deno.test(`decodeWav() refuses ${claim} with an InputError naming file, field and value`, async () => {
    await assertInputError(() => decodeWav(bytes, { name: "x.wav" }), {
      message: `Cannot read WAV "x.wav" as ${reason}`,
      file: "x.wav",
      field,
      value,
    });
  });
}

Deno.test("decodeWav() without a name leaves the file out of the message and the error", async () => {
  await assertInputError(() => decodeWav(new Uint8Array(3)), {
    message: "Cannot read WAV as it is truncated: it has 3 bytes, a RIFF/WAVE header needs 12",
    file: undefined,
    field: "RIFF header",
    value: 3,
  });
});

Deno.test("decodeWav() names the channel and sample index of a NaN or infinite float sample", async () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const samples = new Float32Array([0, 0, 0, 0, 0, 0, 0, bad]); // frame 3, channel 1
    const bytes = riff([
      chunk("fmt ", fmtBody(3, 2, 48000, 32)),
      chunk("data", new Uint8Array(samples.buffer)),
    ]);
    await assertInputError(() => decodeWav(bytes, { name: "n.wav" }), {
      message:
        `Cannot read WAV "n.wav" as channel 1 sample 3 is ${bad}: float samples must be finite and within ±10000 (+80 dBFS)`,
      file: "n.wav",
      field: "channel 1 sample 3",
      value: bad,
    });
  }
});

Deno.test("readWav() refuses a missing file with an InputError naming the path", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/missing.wav`;
    const error = await assertInputError(() => readWav(path), {
      message: `Cannot read WAV "${path}" as the file does not exist`,
      file: path,
      field: "path",
      value: path,
    });
    assert.ok(error.cause instanceof Deno.errors.NotFound);
  });
});

Deno.test("readWav() refuses a folder with an InputError naming the path", async () => {
  await withTempDir(async (dir) => {
    await assertInputError(() => readWav(dir), {
      message: `Cannot read WAV "${dir}" as it is a folder`,
      file: dir,
      field: "path",
      value: dir,
    });
  });
});

Deno.test("decodeWav() reads a file held in a view at an odd offset of a larger buffer", () => {
  const x = Float64Array.from([0.5, -0.25, 0.125, 1]);
  const file = encodeWav({ sampleRate: 48000, channels: [x] });
  const big = new Uint8Array(file.length + 10);
  big.set(file, 3);
  assert.deepEqual(decodeWav(big.subarray(3, 3 + file.length)).channels[0], x);
});

Deno.test("writeWav() replaces an existing file and leaves no temporary file behind", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/a.wav`;
    await Deno.writeTextFile(path, "old");
    await writeWav(path, { sampleRate: 48000, channels: [Float64Array.from([0.5, -0.5])] });
    assert.deepEqual(Array.from((await readWav(path)).channels[0]!), [0.5, -0.5]);
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["a.wav"]);
  });
});

// ---- encodeWav() argument errors ----

const one = [new Float64Array(4)];
const ENCODE_ERRORS: {
  claim: string;
  signal: Signal;
  options?: EncodeWavOptions;
  message: string;
}[] = [
  {
    claim: "an unknown encoding",
    signal: { sampleRate: 48000, channels: one },
    options: { encoding: "double" as "float" },
    message: 'Cannot write WAV as encoding must be "float" or "pcm": current value is "double"',
  },
  {
    claim: "float with 16 bits",
    signal: { sampleRate: 48000, channels: one },
    options: { encoding: "float", bitsPerSample: 16 },
    message: "Cannot write WAV as bitsPerSample must be 32 for float encoding: current value is 16",
  },
  {
    claim: "8-bit PCM",
    signal: { sampleRate: 48000, channels: one },
    options: { encoding: "pcm", bitsPerSample: 8 as 16 },
    message:
      "Cannot write WAV as bitsPerSample must be 16, 24 or 32 for PCM encoding: current value is 8",
  },
  {
    claim: "a fractional sample rate",
    signal: { sampleRate: 44100.5, channels: one },
    message:
      "Cannot write WAV as sampleRate must be a positive integer number of Hz below 2^32: current value is 44100.5",
  },
  {
    claim: "a zero sample rate",
    signal: { sampleRate: 0, channels: one },
    message:
      "Cannot write WAV as sampleRate must be a positive integer number of Hz below 2^32: current value is 0",
  },
  {
    claim: "no channels",
    signal: { sampleRate: 48000, channels: [] },
    message: "Cannot write WAV as the signal must have 1 to 65535 channels: current value is 0",
  },
  {
    claim: "unequal channel lengths",
    signal: { sampleRate: 48000, channels: [new Float64Array(4), new Float64Array(3)] },
    message:
      "Cannot write WAV as every channel must have the same length: channel 0 has 4 samples, channel 1 has 3",
  },
  {
    claim: "a NaN sample in float",
    signal: { sampleRate: 48000, channels: [new Float64Array(2), Float64Array.from([0, NaN])] },
    message:
      "Cannot write WAV as samples must be finite and within the float32 range: channel 1 sample 1 is NaN",
  },
  {
    claim: "a sample beyond the float32 range",
    signal: { sampleRate: 48000, channels: [Float64Array.from([1e39])] },
    message:
      "Cannot write WAV as samples must be finite and within the float32 range: channel 0 sample 0 is 1e+39",
  },
  {
    claim: "an infinite sample in PCM",
    signal: { sampleRate: 48000, channels: [Float64Array.from([0, 0, -Infinity])] },
    options: { encoding: "pcm" },
    message: "Cannot write WAV as samples must be finite: channel 0 sample 2 is -Infinity",
  },
];

for (const { claim, signal, options, message } of ENCODE_ERRORS) {
  Deno.test(`encodeWav() refuses ${claim} with a RangeError`, async () => {
    await assertErrorMessage(() => encodeWav(signal, options), RangeError, message);
  });
}

Deno.test("decodeWav() names a corrupt chunk layout (a 0-byte fmt chunk) instead of a garbage chunk id", () => {
  const bytes = encodeWav({ sampleRate: 48000, channels: [new Float64Array([0.5, -0.5])] }, {
    encoding: "pcm",
  });
  new DataView(bytes.buffer).setUint32(16, 0, true); // "fmt " chunk size → 0
  assert.throws(() => decodeWav(bytes, { name: "bad.wav" }), {
    name: "InputError",
    message:
      /^Cannot read WAV "bad.wav" as it is corrupt: byte 20 should start a chunk but holds no chunk id/,
  });
});

Deno.test("readWav() (header, then the data chunk read into a reused buffer) equals decodeWav() of the whole file for every layout", async () => {
  await withTempDir(async (dir) => {
    const rand = seededRandom(140);
    const signal = (channels: number, frames: number): Signal => ({
      sampleRate: 48000,
      channels: Array.from(
        { length: channels },
        () => Float64Array.from({ length: frames }, () => 2 * rand() - 1),
      ),
    });
    const cases: { label: string; bytes: Uint8Array }[] = [
      { label: "8-channel float32, 1 MB", bytes: encodeWav(signal(8, 40000)) },
      { label: "short mono float32 (inside the header read)", bytes: encodeWav(signal(1, 100)) },
      {
        label: "3-channel PCM24, 400 kB",
        bytes: encodeWav(signal(3, 44444), { encoding: "pcm", bitsPerSample: 24 }),
      },
      {
        label: "stereo PCM16 + odd (padded) chunk before data: unaligned samples",
        bytes: riff([
          chunk("fmt ", fmtBody(1, 2, 48000, 16)),
          chunk("junk", new Uint8Array(3)),
          chunk("data", encodeWav(signal(2, 30000), { encoding: "pcm" }).subarray(44)),
        ]),
      },
      {
        label: "float32 with a 2-byte chunk before data: samples not 4-byte aligned",
        bytes: riff([
          chunk("fmt ", fmtBody(3, 1, 48000, 32)),
          chunk("ab  ", new Uint8Array(2)),
          chunk("data", encodeWav(signal(1, 30000)).subarray(58)),
        ]),
      },
      {
        label: "a 100 kB LIST chunk before fmt and data (beyond the header read)",
        bytes: riff([
          chunk("LIST", new Uint8Array(100_000)),
          chunk("fmt ", fmtBody(3, 2, 44100, 32)),
          chunk("data", encodeWav(signal(2, 20000)).subarray(58)),
        ]),
      },
    ];
    for (const [i, { label, bytes }] of cases.entries()) {
      const path = `${dir}/${i}.wav`;
      await Deno.writeFile(path, bytes);
      const expected = decodeWav(bytes, { name: path });
      const actual = await readWav(path);
      assert.equal(actual.sampleRate, expected.sampleRate, label);
      assert.deepEqual(actual.format, expected.format, label);
      assert.equal(actual.channels.length, expected.channels.length, label);
      actual.channels.forEach((x, c) => assert.deepEqual(x, expected.channels[c], label));
    }
    // Reading a big file then a small one must not leak the big one's samples.
    assert.equal((await readWav(`${dir}/1.wav`)).channels[0]!.length, 100);
  });
});

Deno.test("readWav() reports a truncated data chunk and a NaN float sample like decodeWav()", async () => {
  await withTempDir(async (dir) => {
    const good = encodeWav({ sampleRate: 48000, channels: [new Float64Array(70000)] });
    await Deno.writeFile(`${dir}/cut.wav`, good.subarray(0, good.length - 10));
    await assert.rejects(() => readWav(`${dir}/cut.wav`), /is truncated/);
    const bad = good.slice();
    new DataView(bad.buffer).setFloat32(58 + 4 * 69000, NaN, true);
    await Deno.writeFile(`${dir}/nan.wav`, bad);
    await assert.rejects(
      () => readWav(`${dir}/nan.wav`),
      /channel 0 sample 69000 is NaN: float samples must be finite/,
    );
  });
});
