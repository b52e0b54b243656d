/**
 * jconvolver (Debian) running an exported bundle live inside the CI's JACK
 * loopback (`bash .ci/jack_loopback.sh start`): a stereo test signal played
 * through node-web-audio-api on the default server reaches the upstream
 * "loopup" server as `loop:loop:from_client_1/2`; the exported jconvolver
 * (its own client name, on loopup) reads those ports, and `jack_rec` records
 * the two inputs and the five driver outputs in the same JACK cycles. The
 * recorded outputs must equal `deno task render` of the recorded inputs to
 * −100 dB at the engine latency the export states (0: partition = period).
 *
 * Without a JACK loopback the test is skipped with a printed reason, unless
 * `CI` is set: then it must run. It lives in the sequential JACK group of
 * `deno task test` (other JACK tests stop and restart the servers).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../_temp.ts";
import { runCli } from "../cli/_run.ts";
import { jackServerRunning } from "../../measure/jack.ts";
import { readWav, writeWav } from "../../io/wav.ts";
import { errorDb, stereoTestSignal, writeStereoBundle } from "./_engines.ts";

const UPSTREAM = "loopup";
const CLIENT = "spatialcal-export-test";
const DRIVERS = ["mid-left", "mid-right", "mid-top", "tweeter", "woofer"];

async function loopbackReady(): Promise<boolean> {
  return await jackServerRunning(UPSTREAM) && await jackServerRunning();
}

async function waitForPort(port: string, seconds: number): Promise<void> {
  for (let t = 0; t < seconds * 10; t++) {
    const out = await new Deno.Command("jack_lsp", {
      args: ["-s", UPSTREAM],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (new TextDecoder().decode(out.stdout).split("\n").includes(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`JACK port ${port} did not appear within ${seconds} s`);
}

/** Play a stereo signal through node-web-audio-api (default JACK server → system:playback_1/2). */
async function play(left: Float64Array, right: Float64Array): Promise<void> {
  const nwa = await import("node-web-audio-api");
  const ctx = new nwa.AudioContext({ sampleRate: 48000, latencyHint: "playback" });
  try {
    const buffer = ctx.createBuffer(2, left.length, 48000);
    buffer.copyToChannel(Float32Array.from(left) as Float32Array<ArrayBuffer>, 0);
    buffer.copyToChannel(Float32Array.from(right) as Float32Array<ArrayBuffer>, 1);
    const source = ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(ctx.destination);
    source.start();
    await new Promise((r) => setTimeout(r, (left.length / 48000) * 1000 + 300));
  } finally {
    await ctx.close();
  }
}

Deno.test("jconvolver (Debian) runs the exported config in the JACK loopback and equals deno task render to -100 dB", async (t) => {
  if (!(await loopbackReady())) {
    const reason =
      "no JACK loopback (servers loopup + default): run bash .ci/jack_loopback.sh start";
    if (Deno.env.get("CI")) throw new Error(`CI is set but ${reason}`);
    console.log(`skipped: ${reason}`);
    return;
  }
  await withTempDir(async (dir) => {
    const b = await writeStereoBundle(dir);
    const exportDir = join(dir, "jc");
    const exported = await runCli("export.ts", [
      "--bundle",
      b.bundleFolder,
      "--format",
      "jconvolver",
      "--io",
      "jack",
      "--partition-size",
      "256",
      "--capture",
      "loop:loop:from_client_1,loop:loop:from_client_2",
      "--playback",
      ",,,,",
      "--out",
      exportDir,
      "--json",
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    const description = JSON.parse(exported.stdout);
    assert.equal(description.engineLatency.samples, 0);

    const engine = new Deno.Command("jconvolver", {
      args: ["-s", UPSTREAM, "-N", CLIENT, "jconvolver.conf"],
      cwd: exportDir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const recording = join(dir, "rec.wav");
    try {
      await waitForPort(`${CLIENT}:${DRIVERS.at(-1)}`, 10);
      // Amplitude 0.05: the CTC filters gain up to ~+20 dB and jack_rec writes PCM (clips at 1).
      const [left, right] = stereoTestSignal(48000, b.taps - 1, 0.05);
      const recorder = new Deno.Command("jack_rec", {
        args: [
          "-f",
          recording,
          "-d",
          "3",
          "-b",
          "32",
          "loop:loop:from_client_1",
          "loop:loop:from_client_2",
          ...DRIVERS.map((d) => `${CLIENT}:${d}`),
        ],
        env: { JACK_DEFAULT_SERVER: UPSTREAM },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await new Promise((r) => setTimeout(r, 500));
      await play(left, right);
      const rec = await recorder.output();
      assert.equal(rec.code, 0, new TextDecoder().decode(rec.stderr));

      const channels = (await readWav(recording)).channels;
      const x = channels.slice(0, 2), y = channels.slice(2);
      // The recorded inputs hold the test signal, bit-exact up to jack_rec's 32-bit PCM.
      const start = x[0]!.findIndex((v) => v !== 0);
      assert.ok(start >= 0 && start + left.length <= x[0]!.length, `signal start ${start}`);
      const e0 = errorDb(
        x.map((c) => c.subarray(start)),
        [left, right],
      );
      assert.ok(e0.worstDb < -150, `recorded input vs test signal: ${e0.worstDb.toFixed(1)} dB`);

      await t.step("outputs equal deno task render of the recorded input", async () => {
        const inWav = join(dir, "recorded-in.wav");
        await writeWav(inWav, { sampleRate: 48000, channels: x });
        const r = await runCli("render.ts", [
          "--bundle",
          b.bundleFolder,
          "--in",
          inWav,
          "--out",
          join(dir, "feeds.wav"),
        ]);
        assert.equal(r.code, 0, r.stderr);
        const feeds = (await readWav(join(dir, "feeds.wav"))).channels;
        const e = errorDb(y, feeds, {
          shift: description.engineLatency.samples,
          length: y[0]!.length,
        });
        console.log(
          `jconvolver in the JACK loopback vs deno task render: ${
            e.worstDb.toFixed(1)
          } dB (worst channel ${e.channel})`,
        );
        assert.ok(e.worstDb < -100, `jconvolver vs render: ${e.worstDb.toFixed(1)} dB`);
        // One sample off fails by far: the comparison is sample-aligned.
        assert.ok(errorDb(y, feeds, { shift: 1, length: y[0]!.length - 1 }).worstDb > -10);
      });
    } finally {
      try {
        engine.kill("SIGTERM");
      } catch {
        // already gone
      }
      await engine.output();
    }
  });
});
