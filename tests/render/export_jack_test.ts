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
import { ensureJackLoopback, jackLoopback } from "../_jack_loopback.ts";
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

/** Play a stereo signal through node-web-audio-api, in its own process (see `_play_wav.ts`). */
async function play(left: Float64Array, right: Float64Array, wavPath: string): Promise<void> {
  await writeWav(wavPath, { sampleRate: 48000, channels: [left, right] });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_play_wav.ts", import.meta.url).pathname, wavPath],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

interface LiveEngine {
  readonly format: "jconvolver" | "brutefir";
  /** The command and its arguments, run from inside the export folder. */
  readonly command: string;
  readonly args: readonly string[];
  /** The engine's JACK client name (its output ports are `<client>:<driver>`). */
  readonly client: string;
}

/** Export a bundle for `engine`, run it on loopup, play the test signal, record, compare with render. */
async function runLive(engine: LiveEngine): Promise<void> {
  await withTempDir(async (dir) => {
    const b = await writeStereoBundle(dir);
    const exportDir = join(dir, engine.format);
    const exported = await runCli("export.ts", [
      "--bundle",
      b.bundleFolder,
      "--format",
      engine.format,
      "--io",
      "jack",
      "--partition-size",
      "256",
      "--capture",
      "loop:loop:from_client_1,loop:loop:from_client_2",
      "--playback",
      ",,,,",
      "--client-name",
      engine.client,
      "--out",
      exportDir,
      "--json",
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    const description = JSON.parse(exported.stdout);
    // jconvolver states 0; BruteFIR's documented rule, 2 * partition / period - 2 periods, is 0 here.
    const latency = description.engineLatency.samples ?? 2 * 256 - 2 * 256;

    const process = new Deno.Command(engine.command, {
      args: [...engine.args],
      cwd: exportDir,
      env: { JACK_DEFAULT_SERVER: UPSTREAM },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    try {
      await waitForPort(`${engine.client}:${DRIVERS.at(-1)}`, 20);
      // Amplitude 0.05: the CTC filters gain up to ~+20 dB and jack_rec writes PCM (clips at 1).
      const [left, right] = stereoTestSignal(48000, b.taps - 1, 0.05);
      let x: Float64Array[] = [], y: Float64Array[] = [];
      // On a loaded machine the web-audio player can drop periods (the loop runs --no-realtime):
      // a take whose recorded input is not the test signal is played again (at most 3 takes). The
      // engine and jack_rec read the same port buffers in the same cycle, so the comparison with
      // render of the recorded input stays exact even for a take with a dropout; such a take is
      // reported, and must still carry most of the test signal's energy.
      for (let take = 1;; take++) {
        [x, y] = await playAndRecord(engine.client, left, right, join(dir, `rec${take}.wav`));
        const start = x[0]!.findIndex((v) => v !== 0);
        const e0 = start < 0 || start + left.length > x[0]!.length
          ? { worstDb: Infinity }
          : errorDb(x.map((c) => c.subarray(start)), [left, right]);
        if (e0.worstDb < -150) break; // bit-exact up to jack_rec's 32-bit PCM
        console.log(
          `take ${take}: recorded input vs test signal ${
            e0.worstDb.toFixed(1)
          } dB (a dropout, or another client playing into the loop)`,
        );
        if (take === 3) {
          const energy = (c: Float64Array) => c.reduce((s, v) => s + v * v, 0);
          assert.ok(
            energy(x[0]!) > 0.5 * energy(left) && energy(x[1]!) > 0.5 * energy(right),
            "the recorded input lost most of the test signal",
          );
          break;
        }
      }

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
      const e = errorDb(y, feeds, { shift: latency, length: y[0]!.length - latency });
      console.log(
        `${engine.format} in the JACK loopback vs deno task render: ${
          e.worstDb.toFixed(1)
        } dB (worst channel ${e.channel})`,
      );
      assert.ok(e.worstDb < -100, `${engine.format} vs render: ${e.worstDb.toFixed(1)} dB`);
      // One sample off fails by far: the comparison is sample-aligned.
      assert.ok(
        errorDb(y, feeds, { shift: latency + 1, length: y[0]!.length - latency - 1 }).worstDb > -10,
      );
    } finally {
      await stop(process);
      // An engine on the loop (BruteFIR runs its filter processes with realtime priority) can
      // leave the loopback silent for the JACK tests after this one: hand them a fresh loop.
      await jackLoopback("stop");
      await ensureJackLoopback();
    }
  });
}

/** Record the loop's inputs 1/2 and the engine's driver outputs while the test signal plays. */
async function playAndRecord(
  client: string,
  left: Float64Array,
  right: Float64Array,
  recording: string,
): Promise<[Float64Array[], Float64Array[]]> {
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
      ...DRIVERS.map((d) => `${client}:${d}`),
    ],
    env: { JACK_DEFAULT_SERVER: UPSTREAM },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await new Promise((r) => setTimeout(r, 500));
  await play(left, right, `${recording}.play.wav`);
  const rec = await recorder.output();
  assert.equal(rec.code, 0, new TextDecoder().decode(rec.stderr));
  const channels = (await readWav(recording)).channels;
  return [channels.slice(0, 2), channels.slice(2)];
}

/** SIGTERM, then SIGKILL after 5 s; wait for the exit. */
async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // already gone
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, 5000);
  await child.output();
  clearTimeout(timer);
}

async function skipWithoutLoopback(): Promise<boolean> {
  if (Deno.env.get("CI") || await loopbackReady()) {
    await ensureJackLoopback();
    return false;
  }
  console.log(
    "skipped: no JACK loopback (servers loopup + default): run bash .ci/jack_loopback.sh start",
  );
  return true;
}

Deno.test("jconvolver (Debian) runs the exported config in the JACK loopback and equals deno task render to -100 dB", async () => {
  if (await skipWithoutLoopback()) return;
  await runLive({
    format: "jconvolver",
    command: "jconvolver",
    args: ["-s", UPSTREAM, "jconvolver.conf"],
    client: CLIENT,
  });
});

Deno.test("BruteFIR (Debian) runs the exported JACK config in the loopback and equals deno task render to -100 dB", async () => {
  if (await skipWithoutLoopback()) return;
  // Debian's /usr/bin/brutefir is a shell wrapper that does not exec: run the binary itself so
  // that stopping it stops the engine (it forks its filter processes).
  const real = "/usr/lib/brutefir/brutefir.real";
  const direct = await Deno.stat(real).then(() => true, () => false);
  await runLive({
    format: "brutefir",
    command: direct ? real : "brutefir",
    args: ["-nodefault", "-quiet", "brutefir.conf"],
    client: `${CLIENT}-brutefir`,
  });
});
