/**
 * What the JACK and PipeWire loopback tests share: the measure command line on
 * `fixtures/jack/rig.json` and the check of a set measured through a loopback
 * with the known IRs of `fixtures/jack/` against the same IRs measured offline.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";
import { join } from "node:path";
import { fftConvolve } from "../../dsp/convolve.ts";
import { decodeWav } from "../../io/wav.ts";
import { deconvolve } from "../../measure/deconvolve.ts";
import { synchronizedSweep } from "../../measure/synchronized_sweep.ts";
import { knownJackIr } from "../../fixtures/jack/make_irs.ts";
import { errorDb } from "../_assert.ts";

const SR = 48000;
const ROOT = new URL("../../", import.meta.url);

export const MEASURE_ARGS = [
  "--device",
  "webaudio",
  "--rig",
  new URL("fixtures/jack/rig.json", ROOT).pathname,
  "--serial",
  "CI-0001",
  "--start-hz",
  "20",
  "--end-hz",
  "24000",
  "--duration-seconds",
  "0.3",
  "--ir-length-seconds",
  "0.05",
  // no operator in CI: a turntable command that succeeds stands in for one
  "--turntable-cmd",
  "test {azimuth} = 0",
];

/**
 * The captures of a set measured with {@linkcode MEASURE_ARGS}' sweep (by
 * default the four of fixtures/jack/rig.json), each against the offline
 * measurement of its known IR.
 */
export async function checkKnownIrSet(
  out: string,
  drivers: readonly string[] = ["ch1", "ch2", "ch3", "ch4"],
): Promise<string[]> {
  const manifest = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
  nodeAssert.deepStrictEqual(
    manifest.captures.map((c: { driver: string }) => c.driver).sort(),
    [...drivers].sort(),
  );
  const sweep = synchronizedSweep({
    startHz: 20,
    endHz: 24000,
    durationSeconds: 0.3,
    sampleRate: SR,
    levelDbfs: -12,
  });
  const report: string[] = [];
  for (const capture of manifest.captures as { driver: string; ir: string }[]) {
    const c = Number(capture.driver.slice(2));
    const ir = decodeWav(await Deno.readFile(join(out, capture.ir))).channels[0]!;
    const tail = ir.length + Math.round(0.25 * SR);
    const offlineRec = new Float64Array(sweep.samples.length + tail);
    offlineRec.set(fftConvolve(sweep.samples, knownJackIr(c)));
    const loop = new Float64Array(offlineRec.length);
    loop.set(sweep.samples);
    const offline = deconvolve(sweep, { sampleRate: SR, channels: [offlineRec, loop] }, {
      loopbackChannel: 1,
      irLengthSamples: ir.length,
    }).ir.channels[0]!;
    const e = errorDb(ir, offline);
    report.push(`${capture.driver}: ${e.toFixed(1)} dB vs offline`);
    // -90 dB: the bar (float32 WAV + float32 audio path: about -130 dB)
    nodeAssert.ok(e <= -90, `driver ${capture.driver}: ${e.toFixed(1)} dB vs offline`);
  }
  return report;
}
