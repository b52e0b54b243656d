/**
 * Test helper run as its own process: play a stereo WAV through
 * node-web-audio-api (under JACK it connects itself to the default server's
 * system:playback_1/2) and exit. A separate process, because a test process
 * whose earlier tests killed the JACK server keeps node-web-audio-api's
 * audio host in a state where every new context finds no device.
 *
 *   deno run -A tests/render/_play_wav.ts file.wav
 *
 * @module
 */
import { readWav } from "../../io/wav.ts";

const path = Deno.args[0];
if (path === undefined) {
  console.error("usage: deno run -A tests/render/_play_wav.ts file.wav");
  Deno.exit(2);
}
const wav = await readWav(path);
const nwa = await import("node-web-audio-api");
// Right after the servers were restarted the first contexts may find no device yet.
let ctx: InstanceType<typeof nwa.AudioContext> | undefined;
for (let attempt = 1; ctx === undefined; attempt++) {
  try {
    ctx = new nwa.AudioContext({ sampleRate: wav.sampleRate, latencyHint: "playback" });
  } catch (error) {
    if (attempt >= 10) throw error;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
const length = wav.channels[0]!.length;
const buffer = ctx.createBuffer(wav.channels.length, length, wav.sampleRate);
wav.channels.forEach((c, i) =>
  buffer.copyToChannel(Float32Array.from(c) as Float32Array<ArrayBuffer>, i)
);
const source = ctx.createBufferSource();
source.buffer = buffer;
source.connect(ctx.destination);
source.start();
await new Promise((r) => setTimeout(r, (length / wav.sampleRate) * 1000 + 300));
await ctx.close();
