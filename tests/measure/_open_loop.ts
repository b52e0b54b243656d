/**
 * Helpers of the open-loop tests: a recording made the way a device that plays a file on its
 * own clock makes it (band-limited resampling of the stimulus, sim/device_clock.ts), through a
 * known IR, plus seeded noise; and the in-band error of a recovered IR against the truth.
 *
 * @module
 */
import { nextFastSize, realFftPlan } from "../../dsp/fft.ts";
import { playOnDeviceClock, resolveDeviceClock } from "../../sim/device_clock.ts";
import { seededRandom } from "../_assert.ts";

/** The great-hall IR of Debian's guitarix-common (a reverb IR from another source), as float32. */
export const GREAT_HALL = "/usr/share/gx_head/sounds/greathall.wav";

/**
 * Read the great hall's left channel. io/wav.ts refuses the file's WAVE_FORMAT_EXTENSIBLE
 * subformat GUID (an ambisonic one), so sox converts it to a plain float32 WAV first.
 */
export async function readGreatHall(): Promise<Float64Array> {
  const dir = await Deno.makeTempDir({ prefix: "spatialcal-hall-" });
  try {
    const out = `${dir}/hall.wav`;
    const r = await new Deno.Command("sox", {
      args: [GREAT_HALL, "-t", "wavpcm", "-e", "floating-point", "-b", "32", out, "remix", "1"],
      stderr: "piped",
    }).output();
    if (r.code !== 0) {
      throw new Error(
        `sox could not read ${GREAT_HALL} (apt-get install guitarix-common sox): ${
          new TextDecoder().decode(r.stderr)
        }`,
      );
    }
    const { readWav } = await import("../../io/wav.ts");
    const h = (await readWav(out)).channels[0]!;
    let peak = 0;
    for (const v of h) peak = Math.max(peak, Math.abs(v));
    return h.map((v) => v * 0.1 / peak); // a hall heard from afar: no clipping of the recording
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * What the recorder records when a device plays `stimulus` channel c through `irs[c]` (summed)
 * on a clock `clockPpm` fast, starting `startSamples` after the recording, plus white Gaussian
 * noise of RMS `noise`.
 */
export function openLoopRecording(
  stimulus: readonly Float64Array[],
  irs: readonly Float64Array[],
  clockPpm: number,
  startSamples: number,
  length: number,
  noise = 1e-5,
  seed = 1,
): Float64Array {
  const played = playOnDeviceClock(
    stimulus,
    resolveDeviceClock({ clockPpm }),
    startSamples,
    length,
  );
  const longest = Math.max(...irs.map((h) => h.length));
  const plan = realFftPlan(nextFastSize(length + longest));
  const re = new Float64Array(plan.binCount), im = new Float64Array(plan.binCount);
  played.forEach((u, c) => {
    const U = plan.forward(u), H = plan.forward(irs[c]!);
    for (let k = 0; k < plan.binCount; k++) {
      re[k]! += U.re[k]! * H.re[k]! - U.im[k]! * H.im[k]!;
      im[k]! += U.re[k]! * H.im[k]! + U.im[k]! * H.re[k]!;
    }
  });
  const y = plan.inverse({ re, im }).slice(0, length);
  const rand = seededRandom(seed);
  for (let i = 0; i < length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand())), t = 2 * Math.PI * rand();
    y[i]! += noise * r * Math.cos(t);
    if (i + 1 < length) y[i + 1]! += noise * r * Math.sin(t);
  }
  return y;
}

/**
 * The error of `ir` against `truth` once the best (fractional) delay is applied to the truth:
 * the open-loop reference (the marker's arrival) is known only up to a delay. Returns the
 * error-to-truth energy ratio in dB over [loHz, hiHz] (`errorDb`), the worst 1/3-octave band's
 * (from loHz) and the delay.
 */
export function inBandErrorDb(
  ir: Float64Array,
  truth: Float64Array,
  sampleRate: number,
  loHz = 40,
  hiHz = 18000,
): { errorDb: number; worstBandDb: number; worstBandHz: number; delaySamples: number } {
  const n = Math.max(ir.length, truth.length);
  const size = nextFastSize(2 * n);
  const plan = realFftPlan(size);
  const A = plan.forward(ir), B = plan.forward(truth);
  // Integer delay from the cross-correlation, then the phase slope of the cross-spectrum.
  const cre = new Float64Array(plan.binCount), cim = new Float64Array(plan.binCount);
  for (let k = 0; k < plan.binCount; k++) {
    cre[k] = A.re[k]! * B.re[k]! + A.im[k]! * B.im[k]!;
    cim[k] = A.im[k]! * B.re[k]! - A.re[k]! * B.im[k]!;
  }
  const cc = plan.inverse({ re: cre, im: cim });
  let lag = 0;
  for (let i = 0; i < size; i++) if (Math.abs(cc[i]!) > Math.abs(cc[lag]!)) lag = i;
  if (lag > size / 2) lag -= size;
  let num = 0, den = 0;
  const k0 = Math.ceil(loHz * size / sampleRate), k1 = Math.floor(hiHz * size / sampleRate);
  for (let k = k0; k <= k1; k++) {
    const om = 2 * Math.PI * k / size;
    const c = Math.cos(om * lag), s = Math.sin(om * lag);
    const re = cre[k]! * c - cim[k]! * s, im = cim[k]! * c + cre[k]! * s;
    const mag = Math.hypot(re, im);
    num += mag * om * Math.atan2(im, re);
    den += mag * om * om;
  }
  const delay = lag - num / den;
  let worst = -Infinity, worstHz = 0, eAll = 0, rAll = 0;
  for (let lo = loHz; lo < hiHz; lo *= 2 ** (1 / 3)) {
    const hi = Math.min(hiHz, lo * 2 ** (1 / 3));
    let e = 0, r = 0;
    for (let k = Math.ceil(lo * size / sampleRate); k < hi * size / sampleRate; k++) {
      const om = 2 * Math.PI * k / size;
      const c = Math.cos(om * delay), s = -Math.sin(om * delay);
      const br = B.re[k]! * c - B.im[k]! * s, bi = B.re[k]! * s + B.im[k]! * c;
      e += (A.re[k]! - br) ** 2 + (A.im[k]! - bi) ** 2;
      r += br * br + bi * bi;
    }
    eAll += e;
    rAll += r;
    if (r > 0 && 10 * Math.log10(e / r) > worst) {
      worst = 10 * Math.log10(e / r);
      worstHz = lo;
    }
  }
  return {
    errorDb: 10 * Math.log10(eAll / rAll),
    worstBandDb: worst,
    worstBandHz: worstHz,
    delaySamples: delay,
  };
}
