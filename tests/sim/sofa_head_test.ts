/**
 * The measured head (sim/sofa_head.ts) on a head nobody designed this code
 * on: Debian's MIT KEMAR set (libmysofa1, 44.1 kHz, 710 directions at
 * 1.4 m), placed in the 48 kHz simulator instead of the sphere. The ear
 * IRs the simulator synthesizes are checked against the file's own IRs,
 * transformed here with a slow direct DTFT: direction (ILD spectrum, left
 * and right not swapped, elevation sign), delay (ITD, arrival at the head
 * centre) and distance compensation (1/r and r/c from the simulator, the
 * ear response unchanged).
 */
import assert from "node:assert/strict";
import { loadSofaHead, onsetSamples } from "../../sim/sofa_head.ts";
import { createSimDevice } from "../../sim/sim_device.ts";
import { readSofa, type SofaFir, sofaIrOffset } from "../../io/sofa.ts";
import { InputError } from "../../io/errors.ts";
import { binFrequencies, realFftPlan } from "../../dsp/fft.ts";
import { POINT_SOURCE_MODEL } from "./_point_source.ts";

const KEMAR = "/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa";
const FS = 48000;
const SIZE = 8192; // the simulator's IR length at 48 kHz in the free field

const head = await loadSofaHead(KEMAR);
const sofa = await readSofa(KEMAR);
const sim = createSimDevice({
  model: POINT_SOURCE_MODEL,
  serial: "nominal",
  mics: "both",
  measuredHead: head,
  sampleRate: FS,
});

/** The file's measurement at (azimuth, elevation) of the source seen from the head. */
function measurement(file: SofaFir, azimuthDeg: number, elevationDeg: number): number {
  const m = Array.from({ length: file.measurements }, (_, i) => i).find((i) =>
    file.sourcePosition.values[3 * i] === azimuthDeg &&
    file.sourcePosition.values[3 * i + 1] === elevationDeg
  );
  assert.ok(m !== undefined, `no measurement at ${azimuthDeg}, ${elevationDeg}`);
  return m;
}

function fileIr(m: number, ear: 0 | 1): Float64Array {
  const o = sofaIrOffset(sofa, m, ear, 0); // MIT: receiver 0 is the left ear (y = +0.09)
  return sofa.ir.subarray(o, o + sofa.samples);
}

const frequencies = binFrequencies(SIZE, FS);
const BAND = [...frequencies.keys()].filter((k) =>
  frequencies[k]! >= 300 && frequencies[k]! <= 15000
);

/** |DTFT| in dB of a file IR on the band's bins, the slow obvious way. */
function fileLevelDb(h: Float64Array): number[] {
  return BAND.map((k) => {
    const w = (2 * Math.PI * frequencies[k]!) / sofa.sampleRate;
    let re = 0, im = 0;
    for (let n = 0; n < h.length; n++) {
      re += h[n]! * Math.cos(w * n);
      im -= h[n]! * Math.sin(w * n);
    }
    return 10 * Math.log10(re * re + im * im);
  });
}

/** |FFT| in dB of a simulated IR on the band's bins. */
function simLevelDb(x: Float64Array): number[] {
  const s = realFftPlan(SIZE).forward(x);
  return BAND.map((k) => 10 * Math.log10(s.re[k]! ** 2 + s.im[k]! ** 2));
}

/** Position of the largest |x|, refined by a parabola through its neighbours. */
function peakSamples(x: Float64Array): number {
  let at = 0;
  for (let n = 1; n < x.length; n++) if (Math.abs(x[n]!) > Math.abs(x[at]!)) at = n;
  const [a, b, c] = [Math.abs(x[at - 1]!), Math.abs(x[at]!), Math.abs(x[at + 1]!)];
  return at + (0.5 * (a - c)) / (a - 2 * b + c);
}

const minus = (a: number[], b: number[]) => a.map((v, i) => v - b[i]!);
const rms = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const std = (a: number[]) => rms(a.map((v) => v - mean(a)));

function simEars(position: {
  azimuthDeg: number;
  elevationDeg: number;
  distanceMeters: number;
  headYawDeg?: number;
}) {
  const ir = sim.trueImpulseResponses(position).ir["point"]!;
  return { left: ir["ear-left"]!, right: ir["ear-right"]!, ref: ir["ref"]! };
}

Deno.test("measured head: at a measured direction the ILD spectrum and ITD are the file's own (KEMAR at 30° left)", () => {
  // head turned 30° clockwise: the device is seen at azimuth +30° (the head's left)
  const { left, right, ref } = simEars({
    azimuthDeg: 0,
    elevationDeg: 0,
    distanceMeters: 2,
    headYawDeg: -30,
  });
  const m = measurement(sofa, 30, 0);
  const ildSim = minus(simLevelDb(left), simLevelDb(right));
  const ildFile = minus(fileLevelDb(fileIr(m, 0)), fileLevelDb(fileIr(m, 1)));
  // the same DTFT at the same frequencies: equal to round-off
  assert.ok(
    rms(minus(ildSim, ildFile)) < 0.01,
    `ILD rms difference ${rms(minus(ildSim, ildFile))} dB`,
  );
  // the mirror direction (330°) is far off: this comparison can fail
  const mirror = measurement(sofa, 330, 0);
  const ildMirror = minus(fileLevelDb(fileIr(mirror, 0)), fileLevelDb(fileIr(mirror, 1)));
  assert.ok(
    rms(minus(ildSim, ildMirror)) > 5,
    `mirror ILD rms difference ${rms(minus(ildSim, ildMirror))} dB`,
  );
  // each ear relative to the free field at the centre is the file's response up to one
  // gain for the whole file (no per-ear or per-frequency change)
  const gainL = minus(minus(simLevelDb(left), simLevelDb(ref)), fileLevelDb(fileIr(m, 0)));
  const gainR = minus(minus(simLevelDb(right), simLevelDb(ref)), fileLevelDb(fileIr(m, 1)));
  assert.ok(std(gainL) < 0.01 && std(gainR) < 0.01, `gain spread ${std(gainL)}, ${std(gainR)} dB`);
  assert.ok(Math.abs(mean(gainL) - mean(gainR)) < 0.01);
  // ITD: the file's onsets (44.1 kHz) vs the simulated ones (48 kHz), within 5 µs
  const itdSim = (onsetSamples(right) - onsetSamples(left)) / FS;
  const itdFile = (onsetSamples(fileIr(m, 1)) - onsetSamples(fileIr(m, 0))) / sofa.sampleRate;
  assert.ok(itdFile > 200e-6, `file ITD ${itdFile}`);
  assert.ok(
    Math.abs(itdSim - itdFile) < 5e-6,
    `ITD ${itdSim * 1e6} µs vs file ${itdFile * 1e6} µs`,
  );
});

Deno.test("measured head: elevation keeps its sign (listener 20° below the device sees it 20° up)", () => {
  const { left, right } = simEars({
    azimuthDeg: 0,
    elevationDeg: -20,
    distanceMeters: 2,
    headYawDeg: -30,
  });
  const up = measurement(sofa, 30, 20), down = measurement(sofa, 30, -20);
  const sim = simLevelDb(left);
  const dUp = rms(minus(sim, fileLevelDb(fileIr(up, 0))).map((v, _, a) => v - mean(a)));
  const dDown = rms(minus(sim, fileLevelDb(fileIr(down, 0))).map((v, _, a) => v - mean(a)));
  assert.ok(dUp < 0.01, `left ear vs (30°, +20°): ${dUp} dB`);
  assert.ok(dDown > 1, `left ear vs (30°, −20°): ${dDown} dB`);
  const itd = (onsetSamples(right) - onsetSamples(left)) / FS;
  const itdFile = (onsetSamples(fileIr(up, 1)) - onsetSamples(fileIr(up, 0))) / sofa.sampleRate;
  assert.ok(Math.abs(itd - itdFile) < 5e-6);
});

Deno.test("measured head: on the median plane both ears hear the source when the head centre would (delay)", () => {
  const { left, right, ref } = simEars({ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 });
  // the reference mic is at the head centre with the head absent: its onset is r/c
  assert.ok(Math.abs(onsetSamples(ref) - (2 / 343) * FS) < 1, `ref onset ${onsetSamples(ref)}`);
  for (const ear of [left, right]) {
    const lag = onsetSamples(ear) - onsetSamples(ref);
    assert.ok(Math.abs(lag) < 1, `ear onset − centre onset ${lag} samples`);
  }
});

Deno.test("measured head: between measured directions the response lies between its neighbours (32.5°)", () => {
  const { left, right } = simEars({
    azimuthDeg: 0,
    elevationDeg: 0,
    distanceMeters: 2,
    headYawDeg: -32.5,
  });
  const a = measurement(sofa, 30, 0), b = measurement(sofa, 35, 0);
  const itd = (onsetSamples(right) - onsetSamples(left)) / FS;
  const itdOf = (m: number) =>
    (onsetSamples(fileIr(m, 1)) - onsetSamples(fileIr(m, 0))) / sofa.sampleRate;
  assert.ok(itd > itdOf(a) && itd < itdOf(b), `ITD ${itd} not in (${itdOf(a)}, ${itdOf(b)})`);
  const ild = minus(simLevelDb(left), simLevelDb(right));
  const ildA = minus(fileLevelDb(fileIr(a, 0)), fileLevelDb(fileIr(a, 1)));
  const ildB = minus(fileLevelDb(fileIr(b, 0)), fileLevelDb(fileIr(b, 1)));
  const inside =
    ild.filter((v, i) =>
      v >= Math.min(ildA[i]!, ildB[i]!) - 1 && v <= Math.max(ildA[i]!, ildB[i]!) + 1
    ).length;
  assert.ok(
    inside / ild.length > 0.9,
    `${inside} of ${ild.length} bins between the neighbours ±1 dB`,
  );
});

Deno.test("measured head: distance compensation — 1 m and 3 m give the same ear response, 1/r and r/c from the simulator", () => {
  const near = simEars({ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 1, headYawDeg: -90 });
  const far = simEars({ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 3, headYawDeg: -90 });
  for (const ear of ["left", "right"] as const) {
    const earNear = minus(simLevelDb(near[ear]), simLevelDb(near.ref));
    const earFar = minus(simLevelDb(far[ear]), simLevelDb(far.ref));
    assert.ok(rms(minus(earNear, earFar)) < 0.01, `${ear}: ${rms(minus(earNear, earFar))} dB`);
    // 1/r: 20·log10(3) = 9.54 dB
    const drop = mean(minus(simLevelDb(near[ear]), simLevelDb(far[ear])));
    assert.ok(Math.abs(drop - 20 * Math.log10(3)) < 0.01, `${ear} level drop ${drop} dB`);
    // r/c: 2 m more path = 279.88 samples at 48 kHz (main peaks: the shadowed ear's early
    // diffraction lobe sits near the onset threshold, the peak is a sharper mark)
    const shift = peakSamples(far[ear]) - peakSamples(near[ear]);
    assert.ok(Math.abs(shift - (2 / 343) * FS) < 0.1, `${ear} onset shift ${shift} samples`);
  }
});

Deno.test("measured head: a room, an ear angle or a file without two ears is refused, naming the field", async () => {
  assert.throws(
    () =>
      createSimDevice({
        model: POINT_SOURCE_MODEL,
        serial: "nominal",
        mics: "binaural",
        measuredHead: head,
        room: "living-room",
      }),
    (e: unknown) =>
      e instanceof RangeError &&
      /Cannot create sim device as room must be "anechoic" with a measured head/.test(e.message),
  );
  assert.throws(
    () =>
      createSimDevice({
        model: POINT_SOURCE_MODEL,
        serial: "nominal",
        mics: "binaural",
        measuredHead: head,
        head: { earAngleDeg: 100 },
      }),
    /head\.earAngleDeg must be unset with a measured head/,
  );
  const dir = await Deno.makeTempDir();
  try {
    const one = `${dir}/one.sofa`;
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [new URL("../io/_sofa_h5py_write.py", import.meta.url).pathname, "general-fir", one],
    }).output();
    assert.ok(out.success);
    await assert.rejects(
      loadSofaHead(one),
      (e: unknown) =>
        e instanceof InputError && e.field === "the number of receivers R" &&
        /as a head as the number of receivers R must be 2 \(two ears\): current value is 1/.test(
          e.message,
        ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
