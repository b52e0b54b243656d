/**
 * WAV encode/decode speed on a measurement-sized file: 10 s at 48 kHz,
 * 8 channels. Everything happens in memory; inputs are built once with a
 * fixed seed, outside the timed region.
 */
import { decodeWav, encodeWav } from "../../io/wav.ts";
import { seededRandom } from "../_assert.ts";

const SAMPLE_RATE = 48000;
const FRAMES = 10 * SAMPLE_RATE;
const CHANNELS = 8;

const rand = seededRandom(2026);
const signal = {
  sampleRate: SAMPLE_RATE,
  channels: Array.from(
    { length: CHANNELS },
    () => Float64Array.from({ length: FRAMES }, () => rand() * 1.8 - 0.9),
  ),
};
const float32Bytes = encodeWav(signal);
const pcm24Bytes = encodeWav(signal, { encoding: "pcm", bitsPerSample: 24 });

Deno.bench("encodeWav() float32, 10 s × 48 kHz × 8 ch (15.4 MB)", { group: "float32" }, () => {
  encodeWav(signal);
});

Deno.bench("decodeWav() float32, 10 s × 48 kHz × 8 ch (15.4 MB)", { group: "float32" }, () => {
  decodeWav(float32Bytes);
});

Deno.bench("encodeWav() PCM24, 10 s × 48 kHz × 8 ch (11.5 MB)", { group: "pcm24" }, () => {
  encodeWav(signal, { encoding: "pcm", bitsPerSample: 24 });
});

Deno.bench("decodeWav() PCM24, 10 s × 48 kHz × 8 ch (11.5 MB)", { group: "pcm24" }, () => {
  decodeWav(pcm24Bytes);
});
