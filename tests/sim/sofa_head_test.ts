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

/** Complex spectrum on the band's bins: the file's IR by a slow DTFT, or a simulated IR by FFT. */
function fileSpectrum(h: Float64Array): [number, number][] {
  return BAND.map((k) => {
    const w = (2 * Math.PI * frequencies[k]!) / sofa.sampleRate;
    let re = 0, im = 0;
    for (let n = 0; n < h.length; n++) {
      re += h[n]! * Math.cos(w * n);
      im -= h[n]! * Math.sin(w * n);
    }
    return [re, im];
  });
}
function simSpectrum(x: Float64Array): [number, number][] {
  const s = realFftPlan(SIZE).forward(x);
  return BAND.map((k) => [s.re[k]!, s.im[k]!]);
}
/** a/b per bin. */
function divide(a: [number, number][], b: [number, number][]): [number, number][] {
  return a.map(([ar, ai], i) => {
    const [br, bi] = b[i]!;
    const d = br * br + bi * bi;
    return [(ar * br + ai * bi) / d, (ai * br - ar * bi) / d];
  });
}
/**
 * How far the simulated interaural transfer function L/R is from the file's at
 * measurement m: rms level difference in dB and largest phase difference in
 * radians (the phase carries the ITD at every frequency).
 */
function interauralError(left: Float64Array, right: Float64Array, m: number) {
  const sim = divide(simSpectrum(left), simSpectrum(right));
  const file = divide(fileSpectrum(fileIr(m, 0)), fileSpectrum(fileIr(m, 1)));
  const q = divide(sim, file);
  return {
    rmsDb: rms(q.map(([re, im]) => 10 * Math.log10(re * re + im * im))),
    maxPhaseRad: Math.max(...q.map(([re, im]) => Math.abs(Math.atan2(im, re)))),
  };
}

const minus = (a: number[], b: number[]) => a.map((v, i) => v - b[i]!);
const rms = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);

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
  const interaural = interauralError(left, right, m);
  assert.ok(interaural.rmsDb < 0.01 && interaural.maxPhaseRad < 0.01, JSON.stringify(interaural));
  // the mirror direction (330°) is far off: this comparison can fail
  const mirror = measurement(sofa, 330, 0);
  const ildMirror = minus(fileLevelDb(fileIr(mirror, 0)), fileLevelDb(fileIr(mirror, 1)));
  assert.ok(
    rms(minus(ildSim, ildMirror)) > 5,
    `mirror ILD rms difference ${rms(minus(ildSim, ildMirror))} dB`,
  );
  // each ear relative to the free field at the centre is the file's response times one
  // diffuse-field equalizer, the same for both ears and every direction
  const eqL = minus(minus(simLevelDb(left), simLevelDb(ref)), fileLevelDb(fileIr(m, 0)));
  const eqR = minus(minus(simLevelDb(right), simLevelDb(ref)), fileLevelDb(fileIr(m, 1)));
  assert.ok(
    rms(minus(eqL, eqR)) < 0.01,
    `left/right equalizers differ by ${rms(minus(eqL, eqR))} dB`,
  );
  const side = simEars({ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2, headYawDeg: -90 });
  const m90 = measurement(sofa, 90, 0);
  const eq90 = minus(
    minus(simLevelDb(side.left), simLevelDb(side.ref)),
    fileLevelDb(fileIr(m90, 0)),
  );
  assert.ok(
    rms(minus(eqL, eq90)) < 0.01,
    `30° and 90° equalizers differ by ${rms(minus(eqL, eq90))} dB`,
  );
  // it does equalize: MIT's raw set rises ~20 dB from 300 Hz to 3 kHz (its loudspeaker)
  const fileL = fileLevelDb(fileIr(m, 0));
  const simL = minus(simLevelDb(left), simLevelDb(ref));
  const span = (x: number[]) => Math.max(...x) - Math.min(...x);
  assert.ok(span(simL) < span(fileL), `equalized span ${span(simL)} dB vs raw ${span(fileL)} dB`);
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
  // the complex interaural transfer function (level and phase: ILD and ITD at every frequency)
  const up = interauralError(left, right, measurement(sofa, 30, 20));
  const down = interauralError(left, right, measurement(sofa, 30, -20));
  assert.ok(up.rmsDb < 0.01 && up.maxPhaseRad < 0.01, `vs (30°, +20°): ${JSON.stringify(up)}`);
  assert.ok(down.rmsDb > 1, `vs (30°, −20°): ${JSON.stringify(down)}`);
});

Deno.test("measured head: on the median plane both ears hear the source when the head centre would (delay)", () => {
  const { left, right, ref } = simEars({ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 });
  // the reference mic is at the head centre with the head absent: its onset is r/c
  assert.ok(Math.abs(onsetSamples(ref) - (2 / 343) * FS) < 1, `ref onset ${onsetSamples(ref)}`);
  for (const ear of [left, right]) {
    // within 2 samples (42 µs; an ITD at 90° is 850 µs): the onset rule sees the ears' and
    // the equalizer's rise, not only the arrival
    const lag = onsetSamples(ear) - onsetSamples(ref);
    assert.ok(Math.abs(lag) < 2, `ear onset − centre onset ${lag} samples`);
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

Deno.test("measured head: distance compensation — at 3 m the ears hear the 1 m response, 1/3 as loud and 2 m / c later", () => {
  const near = simEars({ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 1, headYawDeg: -90 });
  const far = simEars({ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 3, headYawDeg: -90 });
  const delaySamples = (2 / 343) * FS; // 279.88
  for (const ear of ["left", "right"] as const) {
    // far / near = e^{−j2πf·Δ}/3 at every frequency: the ear response does not change
    const q = divide(simSpectrum(far[ear]), simSpectrum(near[ear]));
    const worst = Math.max(...q.map(([re, im], i) => {
      const phi = (2 * Math.PI * frequencies[BAND[i]!]! * delaySamples) / FS;
      const [cr, ci] = [Math.cos(phi), Math.sin(phi)];
      return Math.hypot(3 * (re * cr - im * ci) - 1, 3 * (re * ci + im * cr));
    }));
    assert.ok(worst < 1e-3, `${ear}: |3·(far/near)·e^{+jωΔ} − 1| up to ${worst}`);
  }
});

Deno.test("measured head in the living room: the first 2 ms are the anechoic IRs, the reverberation is the sphere's to 3 dB", () => {
  const position = { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2, headYawDeg: -60 };
  const inRoom = (measured: boolean) =>
    createSimDevice({
      model: POINT_SOURCE_MODEL,
      serial: "nominal",
      mics: "binaural",
      room: "living-room",
      ...(measured ? { measuredHead: head } : {}),
    }).trueImpulseResponses(position).ir["point"]!;
  const room = inRoom(true), sphereRoom = inRoom(false);
  const free = simEars(position);
  const arrival = Math.round((2 / 343) * FS);
  for (const [ear, anechoic] of [["ear-left", free.left], ["ear-right", free.right]] as const) {
    const r = room[ear]!;
    let diff = 0, direct = 0;
    for (let n = 0; n < arrival + 96; n++) diff += (anechoic[n]! - r[n]!) ** 2;
    for (const v of anechoic) direct += v * v;
    assert.ok(10 * Math.log10(diff / direct) < -50, `${ear}: early part differs`);
    // late energy (after the first 2 ms + 4 ms) relative to the direct sound, vs the sphere's
    const lateRatio = (x: Float64Array, d: Float64Array) => {
      let late = 0, dd = 0;
      for (let n = arrival + 296; n < x.length; n++) late += x[n]! ** 2;
      for (const v of d) dd += v * v;
      return 10 * Math.log10(late / dd);
    };
    const sphereFree = createSimDevice({
      model: POINT_SOURCE_MODEL,
      serial: "nominal",
      mics: "binaural",
    }).trueImpulseResponses(position).ir["point"]![ear]!;
    const ours = lateRatio(r, anechoic), sphere = lateRatio(sphereRoom[ear]!, sphereFree);
    assert.ok(Math.abs(ours - sphere) < 3, `${ear}: late/direct ${ours} dB vs sphere ${sphere} dB`);
  }
});

Deno.test("measured head: an ear angle or a file without two ears is refused, naming the field", async () => {
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

Deno.test("measured head: causal — nothing arrives before the sound can (energy > 1 ms early below -50 dB)", () => {
  for (const headYawDeg of [0, -60, 180]) {
    const ears = simEars({ azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2, headYawDeg });
    // the ear nearest the source is at most a head radius (0.26 ms) ahead of the centre
    const arrival = Math.floor((2 / 343) * FS) - 48;
    for (const ear of [ears.left, ears.right]) {
      let early = 0, total = 0;
      ear.forEach((v, n) => {
        total += v * v;
        if (n < arrival) early += v * v;
      });
      const db = 10 * Math.log10(early / total);
      assert.ok(db < -50, `yaw ${headYawDeg}: ${db} dB before the arrival`);
    }
  }
});
