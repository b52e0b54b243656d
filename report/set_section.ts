/**
 * The measurement-set part of a report: per-driver magnitude (fractional-octave
 * smoothed), phase and group delay, impulse responses with onset and gate,
 * harmonic distortion over frequency (THD and each order), binaural responses
 * per ear, and the reference arc as polar plots and a frequency × angle map.
 *
 * @module
 */
import type { CaptureEntry, MeasurementSet } from "../io/manifest.ts";
import { fractionalOctaveBands } from "../dsp/bands.ts";
import { bandLevels } from "../dsp/smoothing.ts";
import { harmonicDistortion } from "../measure/harmonics.ts";
import { heatMap, lineChart, type Plot, polarChart } from "./charts.ts";
import { type KeyNumber, rounded, type Section } from "./_types.ts";
import {
  atHz,
  cellMeans,
  groupDelaySeconds,
  irSpectrum,
  logGridHz,
  magnitudeDb,
  onsetSamples,
  phaseDeg,
  powerOf,
} from "./_spectra.ts";
import { readSetData, type SetData } from "./_set_data.ts";

/** Smoothing choices of the magnitude plots, as 1/N octave. */
export const SMOOTHING_FRACTIONS = [1, 2, 3, 6, 12, 24, 48] as const;

/** Direct-sound gate drawn on the impulse responses, ms after the onset (the fit's room gate). */
export const IR_GATE_MS = 2.5;

/** Samples before each harmonic IR's arrival in a set's `harmonics` WAV (measure/deconvolve.ts). */
const HARMONIC_PRE_SECONDS = 0.004;

/** Options of {@linkcode setSection}. */
export interface SetSectionOptions {
  /** Magnitude smoothing, 1/N octave: one of {@linkcode SMOOTHING_FRACTIONS}. Default 6. */
  readonly smoothingFraction?: number;
  /** Bands of the arc's polar plots, Hz. Default [500, 1000, 2000, 4000, 8000]. */
  readonly polarBandsHz?: readonly number[];
}

const PLOT_POINTS_PER_OCTAVE = 24;

function frequencyTopHz(sampleRate: number): number {
  return Math.min(20000, sampleRate * 0.45);
}

/**
 * Build the set section.
 *
 * @param set The measurement set.
 * @param options Smoothing and polar bands.
 * @returns Plots and the numbers shown beside them.
 */
export async function setSection(
  set: MeasurementSet,
  options: SetSectionOptions = {},
): Promise<Section & { data: SetData }> {
  const fraction = options.smoothingFraction ?? 6;
  if (!(SMOOTHING_FRACTIONS as readonly number[]).includes(fraction)) {
    throw new RangeError(
      `Cannot build the report as the smoothing must be 1/N octave with N one of ${
        SMOOTHING_FRACTIONS.join(", ")
      }: current value is ${fraction}`,
    );
  }
  const data = await readSetData(set);
  const fs = data.sampleRate;
  const top = frequencyTopHz(fs);
  const grid = logGridHz(20, top, PLOT_POINTS_PER_OCTAVE);
  const plots: Plot[] = [];
  const numbers: KeyNumber[] = [];
  const mag: Record<string, unknown>[] = [], phase: Record<string, unknown>[] = [];
  const gd: Record<string, unknown>[] = [], irRows: Record<string, unknown>[] = [];
  const thdRows: Record<string, unknown>[] = [], orderRows: Record<string, unknown>[] = [];
  let firstOnsetMs = Infinity;
  let micLabel = "";
  for (const [driver, { capture, ir }] of data.main) {
    micLabel ||=
      `${capture.mic} at azimuth ${capture.position.azimuthDeg}°, elevation ${capture.position.elevationDeg}°, ${capture.position.distanceMeters} m`;
    const { spectrum, fftSize } = irSpectrum(ir);
    const df = fs / fftSize;
    const m = magnitudeDb(spectrum, fraction);
    const onset = onsetSamples(ir);
    const ph = phaseDeg(spectrum, fftSize, onset);
    const p = powerOf(spectrum);
    const tau = groupDelaySeconds(ir, fftSize, fs);
    const tauCells = cellMeans(tau, p, df, grid, PLOT_POINTS_PER_OCTAVE / 2);
    grid.forEach((hz, i) => {
      mag.push({ x: hz, y: atHz(m, df, hz), series: driver });
      phase.push({ x: hz, y: atHz(ph, df, hz), series: driver });
      gd.push({ x: hz, y: (tauCells[i] as number) * 1000, series: driver });
    });
    const onsetMs = (onset / fs) * 1000;
    firstOnsetMs = Math.min(firstOnsetMs, onsetMs);
    let peak = 0;
    for (const v of ir) peak = Math.max(peak, Math.abs(v));
    const from = Math.max(0, onset - Math.round(0.001 * fs));
    const to = Math.min(ir.length, onset + Math.round(0.012 * fs));
    for (let n = from; n < to; n++) {
      irRows.push({ x: (n / fs) * 1000, y: (ir[n] as number) / (peak || 1), series: driver });
    }
    // Passband: where the smoothed response is within 6 dB of its median over 200 Hz–10 kHz.
    const mid = grid.filter((f) => f >= 200 && f <= 10000).map((f) => atHz(m, df, f)).sort((a, b) =>
      a - b
    );
    const ref = mid[Math.floor(mid.length / 2)] ?? NaN;
    const inBand = grid.filter((f) => atHz(m, df, f) >= ref - 6);
    numbers.push(
      {
        id: `set.${driver}.onset-ms`,
        label: `${driver}: sound arrives after`,
        value: rounded(onsetMs, 2),
        unit: "ms",
      },
      {
        id: `set.${driver}.level-db`,
        label: `${driver}: typical level 200 Hz–10 kHz (re full scale)`,
        value: rounded(ref, 1),
        unit: "dB",
      },
      {
        id: `set.${driver}.low-hz`,
        label: `${driver}: lowest frequency within 6 dB of it`,
        value: rounded(inBand[0] ?? NaN, 0),
        unit: "Hz",
      },
      {
        id: `set.${driver}.high-hz`,
        label: `${driver}: highest frequency within 6 dB of it`,
        value: rounded(inBand[inBand.length - 1] ?? NaN, 0),
        unit: "Hz",
      },
    );
    if (capture.snrDb !== undefined) {
      numbers.push({
        id: `set.${driver}.snr-db`,
        label: `${driver}: signal-to-noise ratio`,
        value: rounded(capture.snrDb, 1),
        unit: "dB",
      });
    }
    // Harmonic distortion from the stored harmonic IRs.
    const hd = await distortionRows(set, capture, ir, grid);
    if (hd) {
      thdRows.push(...hd.thd.map((r) => ({ ...r, series: driver })));
      orderRows.push(...hd.orders.map((r) => ({ ...r, panel: driver })));
      numbers.push({
        id: `set.${driver}.thd-percent`,
        label: `${driver}: total harmonic distortion`,
        // measure's figure when the set has it: its linear window also held the 4 ms before
        // IR sample 0, which the set does not store (a woofer's THD, dominated by bands where
        // its fundamental is weak, comes out 10.8 % here against measure's 31.2 %).
        value: rounded(capture.thdPercent ?? hd.thdPercent, 2),
        unit: "%",
      });
    }
  }
  const fx = { xTitle: "Frequency (Hz)", xLog: true, xDomain: [20, top] as [number, number] };
  plots.push({
    id: "set-magnitude",
    section: "set",
    title: `How loud each driver plays, by frequency (1/${fraction}-octave smoothed)`,
    explanation:
      `Level of each driver at the ${micLabel}. Good: each driver flat (within a few dB) over the band it is meant for, with a smooth roll-off outside it. Bad: deep notches, sharp peaks, or one driver far below its twins — a damaged or mis-wired driver.`,
    spec: lineChart("", mag, { ...fx, yTitle: "Level (dB re full scale)", seriesTitle: "driver" }),
  });
  plots.push({
    id: "set-phase",
    section: "set",
    title: "Phase of each driver, flight time removed",
    explanation:
      "Phase after removing each driver's own arrival delay, wrapped to ±180°. Good: a slow, smooth slope through the passband (the driver's roll-offs). Bad: jumps inside the passband, or a driver that starts 180° away from its twins (reversed polarity).",
    spec: lineChart("", phase, {
      ...fx,
      yTitle: "Phase (degrees)",
      yDomain: [-180, 180],
      seriesTitle: "driver",
    }),
  });
  plots.push({
    id: "set-group-delay",
    section: "set",
    title: "How late each frequency arrives (group delay)",
    explanation:
      "Time each frequency takes from the input to the microphone, including the flight time. Good: nearly constant in the passband, rising only at the low end (every high-pass filter delays bass). Bad: spikes in the passband (resonances) or drivers whose delays differ by more than a fraction of a millisecond at the crossover.",
    spec: lineChart("", gd, {
      ...fx,
      yTitle: "Group delay (ms)",
      seriesTitle: "driver",
      yDomain: [Math.max(0, firstOnsetMs - 2), firstOnsetMs + 8],
    }),
  });
  plots.push({
    id: "set-impulse",
    section: "set",
    title: "Impulse response: how each driver answers a click",
    explanation:
      `Each driver's response to a click, scaled to its own peak. The dashed lines mark the earliest arrival (onset) and the ${IR_GATE_MS} ms gate the fit uses in a room (sound after it is the room, not the speaker). Good: one clean, short main peak. Bad: long ringing, a second peak before the gate (an early reflection), or noise before the onset.`,
    spec: lineChart("", irRows, {
      xTitle: "Time after the sweep reached the DAC (ms)",
      yTitle: "Amplitude (re its peak)",
      seriesTitle: "driver",
      rules: [
        { x: firstOnsetMs, label: "onset" },
        { x: firstOnsetMs + IR_GATE_MS, label: `gate +${IR_GATE_MS} ms` },
      ],
    }),
  });
  if (thdRows.length > 0) {
    plots.push({
      id: "set-thd",
      section: "set",
      title: "Distortion: how much of the output is not the input (THD)",
      explanation:
        "Total harmonic distortion (orders 2–5 re the fundamental) at each excitation frequency. Good: below 1 % over the passband. Bad: a rise above a few percent — overload at the bottom of the band, or rub and buzz anywhere.",
      spec: lineChart("", thdRows, {
        ...fx,
        yTitle: "THD (% of the fundamental)",
        seriesTitle: "driver",
      }),
    });
    plots.push({
      id: "set-harmonics",
      section: "set",
      title: "Each harmonic order over frequency",
      explanation:
        "Level of the 2nd to 5th harmonic re the fundamental, per driver. Good: every order below −40 dB (1 %), odd orders lower than even. Bad: one order standing out, or high orders close to the low ones (rub and buzz).",
      spec: lineChart("", orderRows, {
        ...fx,
        yTitle: "Level re fundamental (dB)",
        yDomain: [-100, 0],
        seriesTitle: "harmonic",
        panelColumns: 3,
      }),
    });
  }
  if (data.binaural) {
    const rows: Record<string, unknown>[] = [];
    for (const [driver, [l, r]] of data.binaural.irs) {
      for (const [ear, h] of [["left ear", l], ["right ear", r]] as const) {
        const { spectrum, fftSize } = irSpectrum(h);
        const m = magnitudeDb(spectrum, fraction);
        for (const hz of grid) {
          rows.push({ x: hz, y: atHz(m, fs / fftSize, hz), series: ear, panel: driver });
        }
      }
      // Over 1–8 kHz, where the head shadows the far ear (the bass reaches both ears alike).
      const band = {
        lowerHz: Float64Array.of(1000),
        upperHz: Float64Array.of(Math.min(8000, fs / 2 - 1)),
      };
      const leftE = 10 ** (bandLevels({ ir: l, sampleRate: fs }, band)[0]! / 10);
      const rightE = 10 ** (bandLevels({ ir: r, sampleRate: fs }, band)[0]! / 10);
      numbers.push({
        id: `set.${driver}.ear-difference-db`,
        label: `${driver}: left ear minus right ear, 1–8 kHz`,
        value: rounded(10 * Math.log10(leftE / rightE), 2),
        unit: "dB",
      });
    }
    plots.push({
      id: "set-binaural",
      section: "set",
      title: `What each ear of the listener hears from each driver (${data.binaural.label})`,
      explanation:
        "Each driver as heard at the dummy head's left and right ear. A driver on the listener's left is louder at the left ear, mostly at high frequency (the head's shadow). Good: clear, smooth ear differences that the filters can use. Bad: both ears alike for a side driver (it points the wrong way), or deep notches at one ear.",
      spec: lineChart("", rows, {
        ...fx,
        yTitle: "Level (dB re full scale)",
        seriesTitle: "ear",
        panelColumns: 3,
      }),
    });
  }
  if (data.arc) {
    plots.push(...arcPlots(data, options.polarBandsHz ?? [500, 1000, 2000, 4000, 8000], numbers));
  }
  return {
    heading: "The measured device",
    intro:
      `Measurement set of ${set.manifest.device.model} ${set.manifest.device.serial}: ${set.manifest.captures.length} captures at ${fs} Hz.`,
    plots,
    numbers,
    tableRows: data.drivers,
    data,
  };
}

/** Polar plots at the given bands and the frequency × angle map of each driver. */
function arcPlots(data: SetData, polarBandsHz: readonly number[], numbers: KeyNumber[]): Plot[] {
  const arc = data.arc!;
  const fs = data.sampleRate;
  const bands = fractionalOctaveBands({
    fraction: 3,
    minHz: 100,
    maxHz: Math.min(16000, fs / 2.2),
  });
  // levels[driver][az][band], dB
  const levels = data.drivers.map((_, d) =>
    arc.irs.map((row) => Array.from(bandLevels({ ir: row[d]!, sampleRate: fs }, bands)))
  );
  const front = arc.azimuthsDeg.reduce(
    (best, a, i) => Math.abs(a) < Math.abs(arc.azimuthsDeg[best]!) ? i : best,
    0,
  );
  const plots: Plot[] = [];
  const bandIndex = (hz: number) => {
    let best = 0;
    bands.centerHz.forEach((c, i) => {
      if (Math.abs(Math.log(c / hz)) < Math.abs(Math.log(bands.centerHz[best]! / hz))) best = i;
    });
    return best;
  };
  const polarRows: { angleDeg: number; levelDb: number; series: string; panel: string }[] = [];
  for (const hz of polarBandsHz) {
    const k = bandIndex(hz);
    data.drivers.forEach((driver, d) => {
      const peak = Math.max(...levels[d]!.map((row) => row[k]!));
      arc.azimuthsDeg.forEach((az, i) => {
        polarRows.push({
          angleDeg: az,
          levelDb: levels[d]![i]![k]! - peak,
          series: driver,
          panel: `${Math.round(bands.centerHz[k]!)} Hz`,
        });
      });
    });
  }
  for (const hz of polarBandsHz) {
    const k = bandIndex(hz);
    const label = `${Math.round(bands.centerHz[k]!)} Hz`;
    plots.push({
      id: `set-polar-${Math.round(hz)}`,
      section: "set",
      title: `Where each driver sends sound at ${label} (seen from above)`,
      explanation:
        `Level around the device on the ${arc.distanceMeters} m reference arc in the ${label} third-octave band, each driver re its own loudest direction; 0° is the device's front, +90° its left. Good: each driver's lobe points where the design says. Bad: a lobe in the wrong direction (a driver mounted or wired wrong) or deep, ragged notches.`,
      spec: polarChart("", polarRows.filter((r) => r.panel === label), {
        floorDb: -30,
        ringStepDb: 10,
        seriesTitle: "driver",
      }),
    });
  }
  const cells: { x0: number; x1: number; y0: number; y1: number; value: number; panel: string }[] =
    [];
  const step = arc.azimuthsDeg.length > 1 ? arc.azimuthsDeg[1]! - arc.azimuthsDeg[0]! : 5;
  data.drivers.forEach((driver, d) => {
    arc.azimuthsDeg.forEach((az, i) => {
      bands.centerHz.forEach((_, k) => {
        cells.push({
          x0: bands.lowerHz[k]!,
          x1: bands.upperHz[k]!,
          y0: az - step / 2,
          y1: az + step / 2,
          value: levels[d]![i]![k]! - levels[d]![front]![k]!,
          panel: driver,
        });
      });
    });
    // −6 dB beam width at 2 kHz around the driver's own loudest direction.
    const k = bandIndex(2000);
    const row = levels[d]!.map((r) => r[k]!);
    const peak = Math.max(...row);
    numbers.push({
      id: `set.${driver}.coverage-2k-deg`,
      label: `${driver}: angle within 6 dB of its loudest direction at 2 kHz`,
      value: rounded(row.filter((v) => v >= peak - 6).length * step, 0),
      unit: "°",
    });
  });
  plots.push({
    id: "set-directivity-map",
    section: "set",
    title: "Each driver's level by frequency and angle, re its on-axis level",
    explanation:
      "Third-octave level at every angle of the arc relative to the front (0°), per driver: bright = as loud as on axis or louder, dark = quieter. Good: a wide bright band at low frequency narrowing smoothly toward high frequency. Bad: bright spots far off axis or stripes (interference, a driver facing the wrong way).",
    spec: heatMap("", cells, {
      xTitle: "Frequency (Hz)",
      yTitle: "Angle (degrees, + = device's left)",
      valueTitle: "dB re 0°",
      domain: [-30, 10],
      panelColumns: 3,
    }),
  });
  return plots;
}

/**
 * THD and harmonic orders 2–5 over frequency from a capture's stored harmonic
 * IRs (undefined when the set has none). The linear window is rebuilt as
 * measure built it: `HARMONIC_PRE_SECONDS` before IR sample 0 (zeros here, as
 * the set does not store them), then the IR.
 */
async function distortionRows(
  set: MeasurementSet,
  capture: CaptureEntry,
  ir: Float64Array,
  grid: readonly number[],
): Promise<
  | {
    thd: { x: number; y: number }[];
    orders: { x: number; y: number; series: string }[];
    thdPercent: number;
  }
  | undefined
> {
  const sweep = set.manifest.sweep;
  if (!capture.harmonics || !sweep) return undefined;
  const fs = set.manifest.sampleRate;
  const h = (await set.readAudio(capture.harmonics)).channels;
  const pre = Math.round(HARMONIC_PRE_SECONDS * fs);
  const length = (h[0]?.length ?? 0) - pre;
  if (length <= 0) return undefined;
  const linear = new Float64Array(length + pre);
  linear.set(ir.subarray(0, length), pre);
  const hd = harmonicDistortion(linear, h, {
    sampleRate: fs,
    startHz: sweep.startHz,
    endHz: sweep.endHz,
    preSamples: pre,
    lengthSamples: length,
  });
  const fHz = hd.frequenciesHz;
  const df = fHz.length > 1 ? (fHz[1] as number) - (fHz[0] as number) : 1;
  const offset = fHz[0] ?? 0;
  const thd: { x: number; y: number }[] = [];
  const orders: { x: number; y: number; series: string }[] = [];
  for (const hz of grid) {
    if (hz < (fHz[0] ?? Infinity) || hz > (fHz[fHz.length - 1] ?? 0)) continue;
    thd.push({ x: hz, y: atHz(hd.thdPercentByFrequency, df, hz - offset) });
    // Orders 2..5 are shown; higher ones sit at the noise floor.
    hd.harmonicRatios.slice(0, 4).forEach((ratio, k) => {
      const v = atHz(ratio, df, hz - offset);
      orders.push({ x: hz, y: 20 * Math.log10(Math.max(v, 1e-9)), series: `order ${k + 2}` });
    });
  }
  return { thd, orders, thdPercent: hd.thdPercent };
}
