import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../_temp.ts";
import { runCli } from "../cli/_run.ts";
import { writeTrueSet } from "../calibrate/_sets.ts";
import { readWav, writeWav } from "../../io/wav.ts";
import { nextPowerOfTwo, realFftPlan } from "../../dsp/fft.ts";
import { fractionalOctaveBands } from "../../dsp/bands.ts";
import { stereoTestSignal, writeStereoBundle } from "./_engines.ts";
import { binauralPreview, unprocessedRouting } from "../../render/binaural_preview.ts";
import { fftConvolve } from "../../dsp/convolve.ts";
import { assertAllClose } from "../_assert.ts";

/**
 * Mean over the 1/3-octave bands centred in 300 Hz–6 kHz of
 * 10·log10(E_ipsi / E_contra), E the band energy of the preview file's ears.
 */
function measuredSeparationDb(ears: Float64Array[], ipsi: 0 | 1): number {
  const size = nextPowerOfTwo(ears[0]!.length);
  const plan = realFftPlan(size);
  const power = ears.map((x) => {
    const X = plan.forward(x);
    return X.re.map((r, k) => r * r + (X.im[k] as number) ** 2);
  });
  const bands = fractionalOctaveBands({ fraction: 3, minHz: 100, maxHz: 16000 });
  const df = 48000 / size;
  const values: number[] = [];
  bands.centerHz.forEach((c, b) => {
    if (c < 300 || c > 6000) return;
    let e = [0, 0];
    for (let k = Math.ceil(bands.lowerHz[b]! / df); k < bands.upperHz[b]! / df; k++) {
      e = [e[0]! + power[0]![k]!, e[1]! + power[1]![k]!];
    }
    values.push(10 * Math.log10(e[ipsi]! / e[1 - ipsi]!));
  });
  return values.reduce((s, v) => s + v, 0) / values.length;
}

Deno.test("binauralPreview() is the sum over drivers of feed * ear IR (against direct convolution)", () => {
  const feeds = [Float64Array.of(1, 0.5, -0.25, 0, 0.1), Float64Array.of(0, 0, 1, -1, 0.3)];
  const irs = [[Float64Array.of(0.2, 0.1), Float64Array.of(0, 0, 1)], [
    Float64Array.of(1),
    Float64Array.of(0.5, -0.5, 0.25),
  ]];
  const out = binauralPreview({ sampleRate: 48000, channels: feeds }, { label: "x", irs });
  irs.forEach((row, e) => {
    const want = new Float64Array(5 + 3 - 1);
    row.forEach((h, d) => fftConvolve(feeds[d]!, h).forEach((v, n) => want[n]! += v));
    assertAllClose(out.channels[e]!, want, { atol: 1e-12 }); // FFT round-off
  });
  assert.deepEqual(
    ["mid-left", "mid-right", "mid-top", "tweeter", "woofer"].map(unprocessedRouting),
    ["left", "right", "both", "both", "both"],
  );
});

Deno.test("the binaural preview of a pure-CTC bundle shows, measured on the file, the separation evaluate reports (within 0.5 dB), at the fitted and at a moved head", async () => {
  await withTempDir(async (dir) => {
    const b = await writeStereoBundle(dir, { taps: 1024 });
    // Evaluated on another set of the same unit with a second head position 5 cm to the side.
    const setFolder = join(dir, "eval-set");
    await writeTrueSet(setFolder, { headOffsetsCm: [[0, 0], [0, 5]] });
    const ev = await runCli("evaluate.ts", [
      "--bundle",
      b.bundleFolder,
      "--in",
      setFolder,
      "--json",
    ]);
    assert.equal(ev.code, 0, ev.stderr);
    const evaluation = JSON.parse(ev.stdout);
    assert.equal(evaluation.ears.length, 2);
    // Noise on one side only, 2 s: what reaches the other ear is the crosstalk left over.
    const [noise] = stereoTestSignal(96000, 0, 0.1);
    const silence = new Float64Array(noise.length);
    await writeWav(join(dir, "left.wav"), { sampleRate: 48000, channels: [noise, silence] });
    await writeWav(join(dir, "right.wav"), { sampleRate: 48000, channels: [silence, noise] });
    for (const ear of evaluation.ears) {
      const measured: Record<string, number> = {};
      for (const [side, ipsi] of [["left", 0], ["right", 1]] as const) {
        for (const mode of ["bundle", "unprocessed"]) {
          const out = join(dir, `${side}-${mode}-${ear.label.replaceAll(" ", "_")}.wav`);
          const r = await runCli("render.ts", [
            "--bundle",
            b.bundleFolder,
            "--in",
            join(dir, `${side}.wav`),
            "--binaural",
            setFolder,
            "--position",
            ear.label,
            ...(mode === "unprocessed" ? ["--unprocessed"] : []),
            "--out",
            out,
          ]);
          assert.equal(r.code, 0, r.stderr);
          const preview = await readWav(out);
          assert.equal(preview.channels.length, 2);
          measured[`${side}-${mode}`] = measuredSeparationDb(preview.channels, ipsi);
        }
        const reported = ear.meanSeparationDb[side];
        const got = measured[`${side}-bundle`]!;
        console.log(
          `${ear.label} ${side}: preview ${
            got.toFixed(2)
          } dB, evaluate ${reported} dB, unprocessed ${
            measured[`${side}-unprocessed`]!.toFixed(2)
          } dB`,
        );
        assert.ok(
          Math.abs(got - reported) <= 0.5,
          `${ear.label} ${side}: preview ${got.toFixed(2)} dB vs evaluate ${reported} dB`,
        );
        // The A/B is audible: the bare device separates far less than the canceller.
        assert.ok(got - measured[`${side}-unprocessed`]! > 5);
      }
    }
    // --position as numbers names the same position as evaluate's label: the same file.
    const byNumbers = join(dir, "by-numbers.wav");
    const n = await runCli("render.ts", [
      "--bundle",
      b.bundleFolder,
      "--in",
      join(dir, "left.wav"),
      "--binaural",
      setFolder,
      "--position",
      "0,0,2",
      "--out",
      byNumbers,
    ]);
    assert.equal(n.code, 0, n.stderr);
    const label = evaluation.ears[0].label.replaceAll(" ", "_");
    assert.deepEqual(
      await Deno.readFile(byNumbers),
      await Deno.readFile(join(dir, `left-bundle-${label}.wav`)),
    );
    const bad = await runCli("render.ts", [
      "--bundle",
      b.bundleFolder,
      "--in",
      join(dir, "left.wav"),
      "--binaural",
      setFolder,
      "--position",
      "0,0,3",
      "--out",
      join(dir, "bad.wav"),
    ]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /Cannot read a binaural position of ".*eval-set" as position must be one the set measured \(az\+000\.0 el\+00\.0 r2\.000 yaw\+0\.0; az\+001\.4 .*\): current value is "az\+000\.0 el\+00\.0 r3\.000 yaw\+0\.0"/,
    );
  });
});
