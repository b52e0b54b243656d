/**
 * Outputs unchanged by issue 14 (mixed-radix FFT, 5-smooth grids, reused buffers, the new WAV
 * reader): `deno task deconvolve` on a remade recording against what the CLI wrote before
 * (`fixtures/deconvolve/`, commit 7e11d23 with fft.js on a power-of-two grid).
 */
import assert from "node:assert/strict";
import { errorDb } from "../_assert.ts";
import { withTempDir } from "../_temp.ts";
import { runCli } from "../cli/_run.ts";
import { encodeWav, readWav } from "../../io/wav.ts";
import { sweepRecording } from "./_sweep_recording.ts";
import { sweepToJson } from "../../measure/synchronized_sweep.ts";

const fixture = (name: string) => new URL(`../../fixtures/deconvolve/${name}`, import.meta.url);

interface Report {
  latencySamples: number | null;
  channels: { snrDb: number; peakDbfs: number; thdPercent: number; onsetSamples: number }[];
}

async function compare(
  dir: string,
  extra: string[],
  irName: string,
  reportName: string,
  harmonicsName: string | undefined,
  boundDb: number,
): Promise<void> {
  const out = `${dir}/ir-${irName}`;
  const args = [
    "--sweep",
    `${dir}/sweep.json`,
    "--recording",
    `${dir}/rec.wav`,
    "--out",
    out,
    "--ir-length-seconds",
    "0.25",
    "--json",
    "--force",
    ...extra,
  ];
  if (harmonicsName) args.push("--harmonics-out", `${dir}/h-${harmonicsName}`);
  const run = await runCli("deconvolve.ts", args);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as Report;
  const before = JSON.parse(await Deno.readTextFile(fixture(reportName))) as Report;
  assert.equal(report.latencySamples, before.latencySamples);
  report.channels.forEach((c, i) => {
    const b = before.channels[i]!;
    assert.equal(c.onsetSamples, b.onsetSamples, `channel ${i + 1} onset`);
    assert.ok(Math.abs(c.snrDb - b.snrDb) <= 0.1, `channel ${i + 1} SNR ${c.snrDb} vs ${b.snrDb}`);
    assert.equal(c.peakDbfs, b.peakDbfs);
    assert.ok(Math.abs(c.thdPercent - b.thdPercent) <= 0.001, `channel ${i + 1} THD`);
  });
  const pairs: [string, string][] = [[out, irName]];
  if (harmonicsName) pairs.push([`${dir}/h-${harmonicsName}`, harmonicsName]);
  // IRs: error energy re the IR's energy. Harmonic IRs (tiny on the loopback channel): largest
  // error re the peak of the recorded channel's linear IR (harmonics are channel-major, K-1 each).
  const irs = (await readWav(out)).channels;
  const peakOf = (x: Float64Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (const [now, then] of pairs) {
    const a = await readWav(now);
    const b = await readWav(fixture(then).pathname);
    assert.equal(a.channels.length, b.channels.length);
    a.channels.forEach((x, c) => {
      const y = b.channels[c]!;
      assert.equal(x.length, y.length);
      let db: number;
      if (then === harmonicsName) {
        const orders = a.channels.length / irs.length;
        let e = 0;
        for (let i = 0; i < x.length; i++) e = Math.max(e, Math.abs(x[i]! - y[i]!));
        db = 20 * Math.log10(e / peakOf(irs[Math.floor(c / orders)]!));
      } else {
        db = errorDb(x, y);
      }
      assert.ok(db <= boundDb, `${then} channel ${c + 1}: ${db.toFixed(1)} dB re before`);
    });
  }
}

Deno.test("deno task deconvolve writes the IRs and harmonics it wrote before issue 14, within -130 dB", async () => {
  await withTempDir(async (dir) => {
    const { sweep, channels } = sweepRecording(2, 3.5, 3);
    const parameters = { format: "spatialcal.sweep", version: 1, ...sweepToJson(sweep) };
    await Deno.writeTextFile(`${dir}/sweep.json`, JSON.stringify(parameters));
    await Deno.writeFile(`${dir}/rec.wav`, encodeWav({ sampleRate: sweep.sampleRate, channels }));
    await compare(
      dir,
      ["--loopback-channel", "1"],
      "ir_loop.wav",
      "report_loop.json",
      "harm_loop.wav",
      -130,
    );
    await compare(dir, [], "ir.wav", "report.json", undefined, -130);
    // float32 (PFFFT) against the float64 output of before: −129 dB measured, its round-off floor.
    await compare(
      dir,
      ["--loopback-channel", "1", "--fft-precision", "float32"],
      "ir_loop.wav",
      "report_loop.json",
      undefined,
      -120,
    );
  });
});
