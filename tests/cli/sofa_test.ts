/**
 * `deno task import --sofa` and `deno task sofa` end to end: Debian's MIT
 * KEMAR file → measurement set → SimpleFreeFieldHRIR, checked by libmysofa
 * (`mysofa2json -c`) against the original as h5py reads it; exit codes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_run.ts";
import { withTempDir } from "../_temp.ts";

const KEMAR = "/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa";

async function output(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  assert.ok(out.success, `${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

Deno.test("import --sofa KEMAR then sofa --convention SimpleFreeFieldHRIR: libmysofa reads back the original directions and IRs", async () => {
  await withTempDir(async (dir) => {
    const set = join(dir, "kemar");
    const imported = await runCli("import.ts", [
      "--sofa",
      KEMAR,
      "--out",
      set,
      "--model",
      "kemar",
      "--serial",
      "MIT-normal",
      "--json",
    ]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.deepEqual(JSON.parse(imported.stdout), {
      out: set,
      sampleRate: 44100,
      drivers: ["emitter-1"],
      mics: ["ear-left", "ear-right"],
      captures: 1420,
      warnings: [],
    });
    const file = join(dir, "kemar.sofa");
    const written = await runCli("sofa.ts", [
      "--in",
      set,
      "--out",
      file,
      "--convention",
      "SimpleFreeFieldHRIR",
      "--json",
    ]);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(JSON.parse(written.stdout).measurements, 710);

    const json = JSON.parse(await output("mysofa2json", ["-c", file]));
    const original = JSON.parse(
      await output("/usr/bin/python3", [
        "-c",
        `
import h5py, json
f = h5py.File("${KEMAR}", "r")
print(json.dumps({"source": f["SourcePosition"][:].ravel().tolist(), "ir": f["Data.IR"][:].ravel().tolist()}))
`,
      ]),
    );
    const src: number[] = json.Variables.SourcePosition.Values;
    let angle = 0;
    for (let m = 0; m < 710; m++) {
      const [a0, e0, r0] = original.source.slice(3 * m, 3 * m + 3);
      const [a1, e1, r1] = src.slice(3 * m, 3 * m + 3) as [number, number, number];
      const dAz = Math.abs(((a1 - a0 + 540) % 360) - 180);
      // at the poles the azimuth is arbitrary; mysofa2json prints about 6 significant digits
      angle = Math.max(angle, Math.abs(e0) === 90 ? 0 : dAz, Math.abs(e1 - e0), Math.abs(r1 - r0));
    }
    assert.ok(angle < 1e-4, `worst direction difference ${angle}`);
    const ir: number[] = json.Variables["Data.IR"].Values;
    let worst = 0;
    for (let i = 0; i < ir.length; i++) worst = Math.max(worst, Math.abs(ir[i]! - original.ir[i]));
    // float32 WAV in between: below 1e-7 of full scale
    assert.ok(worst < 1e-7, `worst IR difference ${worst}`);
  });
});

Deno.test("import --sofa and sofa exit 2 naming the flag or file: missing flag, bad file, existing output, bad convention", async () => {
  await withTempDir(async (dir) => {
    const missing = await runCli("import.ts", ["--sofa", KEMAR, "--out", join(dir, "a")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Missing required flag --model/);

    await Deno.writeTextFile(join(dir, "x.sofa"), "text");
    const bad = await runCli("import.ts", [
      "--sofa",
      join(dir, "x.sofa"),
      "--out",
      join(dir, "b"),
      "--model",
      "m",
      "--serial",
      "s",
    ]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /Cannot read SOFA file ".*x\.sofa" as the HDF5 signature must open the file/,
    );

    await Deno.mkdir(join(dir, "exists"));
    const exists = await runCli("import.ts", [
      "--sofa",
      KEMAR,
      "--out",
      join(dir, "exists"),
      "--model",
      "m",
      "--serial",
      "s",
    ]);
    assert.equal(exists.code, 2);
    assert.match(exists.stderr, /Cannot write --out ".*exists" as it already exists: use --force/);

    const convention = await runCli("sofa.ts", [
      "--in",
      join(dir, "exists"),
      "--out",
      join(dir, "y.sofa"),
      "--convention",
      "GeneralTF",
    ]);
    assert.equal(convention.code, 2);
    assert.match(
      convention.stderr,
      /--convention as it must be one of GeneralFIR-E, SimpleFreeFieldHRIR: current value is "GeneralTF"/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["exists", "x.sofa"]);
  });
});

Deno.test("import --sofa --sample-rate 48000: KEMAR resampled to the project's rate keeps its ear responses (within 0.1 dB, 200 Hz-18 kHz)", async () => {
  await withTempDir(async (dir) => {
    const r = await runCli("import.ts", [
      "--sofa",
      KEMAR,
      "--out",
      join(dir, "k48"),
      "--model",
      "kemar",
      "--serial",
      "MIT",
      "--sample-rate",
      "48000",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).sampleRate, 48000);
    const { readMeasurementSet } = await import("../../io/manifest.ts");
    const { readSofa, sofaIrOffset } = await import("../../io/sofa.ts");
    const set = await readMeasurementSet(join(dir, "k48"));
    const sofa = await readSofa(KEMAR);
    const capture = set.manifest.captures[2 * 100]!; // measurement 100, left ear
    const x = (await set.readIr(capture)).channels[0]!;
    const h = sofa.ir.subarray(sofaIrOffset(sofa, 100, 0, 0), sofaIrOffset(sofa, 100, 0, 0) + 512);
    const level = (y: ArrayLike<number>, fs: number, f: number) => {
      let re = 0, im = 0;
      for (let n = 0; n < y.length; n++) {
        re += y[n]! * Math.cos((2 * Math.PI * f * n) / fs);
        im -= y[n]! * Math.sin((2 * Math.PI * f * n) / fs);
      }
      return 10 * Math.log10(re * re + im * im);
    };
    let worst = 0;
    for (let f = 200; f <= 18000; f *= 1.25) {
      worst = Math.max(worst, Math.abs(level(x, 48000, f) - level(h, 44100, f)));
    }
    assert.ok(worst < 0.1, `worst level difference ${worst} dB`);
    const refused = await runCli("import.ts", [
      "--sofa",
      KEMAR,
      "--out",
      join(dir, "x"),
      "--model",
      "m",
      "--serial",
      "s",
      "--sweep",
      "s.json",
    ]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--sweep with --sofa as a SOFA file holds impulse responses/);
  });
});
