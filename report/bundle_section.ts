/**
 * The filter-bundle part of a report: the filters' responses per input and
 * driver, the separation each ear gets per band at every head position against
 * the target and against the bare device (the baseline), the center beam's
 * polar plots and its frequency × angle map against matrix mixing, and the
 * drive effort.
 *
 * @module
 */
import type { MeasurementSet } from "../io/manifest.ts";
import type { LoadedBundle } from "../calibrate/bundle.ts";
import { evaluateBundle } from "../calibrate/evaluate.ts";
import { evaluateBaseline } from "../calibrate/baseline.ts";
import { fractionalOctaveBands } from "../dsp/bands.ts";
import { nextPowerOfTwo, realFftPlan, type Spectrum } from "../dsp/fft.ts";
import { bandLevels } from "../dsp/smoothing.ts";
import { heatMap, lineChart, type Plot, polarChart } from "./charts.ts";
import { type KeyNumber, rounded, type Section } from "./_types.ts";
import { atHz, logGridHz, magnitudeDb, onsetSamples } from "./_spectra.ts";
import type { SetData } from "./_set_data.ts";

/** Options of {@linkcode bundleSection}. */
export interface BundleSectionOptions {
  /** Bands of the center beam's polar plots, Hz. Default [1000, 2000, 4000]. */
  readonly beamBandsHz?: readonly number[];
}

/** Direct-sound gate of the arc in a room, ms after the onset (as `evaluate`). */
const ARC_GATE_MS = 2.5;

/**
 * Build the bundle section.
 *
 * @param loaded The bundle and its filters.
 * @param set The set to evaluate on (the unit's own, another unit's, a moved head).
 * @param data The set's captures as the set section read them.
 * @param options Beam bands.
 */
export async function bundleSection(
  loaded: LoadedBundle,
  set: MeasurementSet,
  data: SetData,
  options: BundleSectionOptions = {},
): Promise<Section> {
  const { bundle, filters } = loaded;
  const fs = bundle.sampleRate;
  const plots: Plot[] = [];
  const numbers: KeyNumber[] = [];
  const top = Math.min(20000, fs * 0.45);
  const grid = logGridHz(20, top, 24);
  const fx = { xTitle: "Frequency (Hz)", xLog: true, xDomain: [20, top] as [number, number] };

  // Filter responses.
  const fftSize = nextPowerOfTwo(Math.max(4 * bundle.taps, 8192));
  const plan = realFftPlan(fftSize);
  const filterRows: Record<string, unknown>[] = [];
  for (const input of bundle.inputs) {
    bundle.device.drivers.forEach((driver, d) => {
      const m = magnitudeDb(plan.forward(filters[input]![d]!), 0);
      for (const hz of grid) {
        filterRows.push({
          x: hz,
          y: atHz(m, fs / fftSize, hz),
          series: driver,
          panel: `${input} input`,
        });
      }
    });
  }
  plots.push({
    id: "bundle-filters",
    section: "bundle",
    title: "What the filters do to each input, per driver",
    explanation:
      "Gain of each filter from an input (left, right, center) to a driver. Good: smooth curves, most gain where the driver works well, and no gain above about +10 dB. Bad: narrow spikes or high gain where a driver is weak — the filter then asks for more than the driver can give, and it will distort or sound different on the next unit.",
    spec: lineChart("", filterRows, {
      ...fx,
      yTitle: "Gain (dB)",
      yDomain: [-60, 20],
      seriesTitle: "driver",
      panelColumns: 3,
    }),
  });

  // Separation at every head position: filters, target, bare device.
  const evaluation = await evaluateBundle(bundle, filters, set);
  // The bare device's separation only: its center would be matrix mixing, which `evaluation`
  // already holds, so the baseline skips the arc (half the report's compute otherwise).
  const baseline = evaluation.ears.length > 0
    ? await evaluateBaseline(
      { ...bundle, inputs: bundle.inputs.filter((i) => i !== "center") },
      set,
    )
    : undefined;
  const sepRows: Record<string, unknown>[] = [];
  evaluation.ears.forEach((ear, p) => {
    const base = baseline!.evaluation.ears[p]!;
    const panel = `head at ${ear.label}`;
    evaluation.bandsHz.forEach((hz, k) => {
      sepRows.push(
        { x: hz, y: ear.separationDb.left[k], series: "with filters, left input", panel },
        { x: hz, y: ear.separationDb.right[k], series: "with filters, right input", panel },
        { x: hz, y: ear.desiredSeparationDb[k], series: "target", panel },
        { x: hz, y: base.separationDb.left[k], series: "bare device, left input", panel },
        { x: hz, y: base.separationDb.right[k], series: "bare device, right input", panel },
      );
      // In a room the fit designs for (and predicts) the direct sound: show it beside the whole.
      if (ear.directSeparationDb) {
        sepRows.push(
          {
            x: hz,
            y: ear.directSeparationDb.left[k],
            series: "direct sound (as predicted), left",
            panel,
          },
          {
            x: hz,
            y: ear.directSeparationDb.right[k],
            series: "direct sound (as predicted), right",
            panel,
          },
        );
      }
    });
    const tag = evaluation.ears.length > 1 ? ` at ${ear.label}` : "";
    const id = evaluation.ears.length > 1 ? `bundle.p${p}` : "bundle";
    numbers.push(
      {
        id: `${id}.separation-left-db`,
        label: `Separation with filters, left input (300 Hz–6 kHz mean)${tag}`,
        value: rounded(ear.meanSeparationDb.left, 1),
        unit: "dB",
      },
      {
        id: `${id}.separation-right-db`,
        label: `Separation with filters, right input${tag}`,
        value: rounded(ear.meanSeparationDb.right, 1),
        unit: "dB",
      },
      {
        id: `${id}.separation-target-db`,
        label: `Separation the design aims for${tag}`,
        value: rounded(ear.meanDesiredSeparationDb, 1),
        unit: "dB",
      },
      {
        id: `${id}.deviation-mean-db`,
        label: `Bands off the target, on average${tag}`,
        value: rounded(ear.meanAbsDeviationDb, 1),
        unit: "dB",
      },
      {
        id: `${id}.deviation-max-db`,
        label: `Band furthest off the target${tag}`,
        value: rounded(ear.maxAbsDeviationDb, 1),
        unit: "dB",
      },
      {
        id: `${id}.baseline-left-db`,
        label: `Separation of the bare device, left input${tag}`,
        value: rounded(base.meanSeparationDb.left, 1),
        unit: "dB",
      },
      {
        id: `${id}.baseline-right-db`,
        label: `Separation of the bare device, right input${tag}`,
        value: rounded(base.meanSeparationDb.right, 1),
        unit: "dB",
      },
    );
  });
  const predicted = bundle.predicted as Record<string, any>;
  if (predicted?.separation?.meanDb) {
    numbers.push(
      {
        id: "bundle.predicted-left-db",
        label: "Separation the fit predicted, left input (on its own set)",
        value: rounded(predicted.separation.meanDb.left, 1),
        unit: "dB",
      },
      {
        id: "bundle.predicted-right-db",
        label: "Separation the fit predicted, right input",
        value: rounded(predicted.separation.meanDb.right, 1),
        unit: "dB",
      },
    );
  }
  const room = evaluation.ears.some((e) => e.directSeparationDb);
  if (sepRows.length > 0) {
    plots.push({
      id: "bundle-separation",
      section: "bundle",
      title: "How well each ear hears only its own channel (separation), per head position",
      explanation:
        `Separation = how much louder a channel is at its own ear than at the other ear, per third octave${
          evaluation.ears.length > 1 ? "" : ` (head at ${evaluation.ears[0]!.label})`
        }. The filters should follow the target (black)${
          room
            ? "; in a room the fit designs for the direct sound (the first 2.5 ms, green and purple, which is what it predicts), and reflections pull the whole response down"
            : ""
        }. The bare device (the same inputs fed straight to the drivers, no filters) shows what the filters add. Good: filter curves within ±3 dB of the target from 300 Hz to 6 kHz. Bad: curves that fall to the bare device's level or swing far above and below the target (a moved head, or filters fitted to another unit).`,
      spec: lineChart("", sepRows, {
        xTitle: "Third-octave band (Hz)",
        xLog: true,
        xDomain: [100, Math.min(16000, fs / 2.2)],
        yTitle: "Separation (dB)",
        yDomain: [-10, 40],
        seriesTitle: "curve",
        seriesColors: {
          "with filters, left input": "#4c78a8",
          "with filters, right input": "#f58518",
          "target": "#000000",
          "bare device, left input": "#8cb4d9",
          "bare device, right input": "#f8c48a",
          ...(room
            ? {
              "direct sound (as predicted), left": "#54a24b",
              "direct sound (as predicted), right": "#b279a2",
            }
            : {}),
        },
        dashedSeries: ["target", "bare device, left input", "bare device, right input"],
        ...(evaluation.ears.length > 1 ? { panelColumns: 2 } : {}),
      }),
    });
  }

  // Center beam.
  if (bundle.inputs.includes("center") && data.arc) {
    plots.push(...beamPlots(loaded, data, options.beamBandsHz ?? [1000, 2000, 4000], numbers));
    const b = evaluation.summary.centerBeam as Record<string, number> | undefined;
    if (b) {
      numbers.push(
        {
          id: "bundle.beam-null-db",
          label:
            "Center: sound at the sides (±90°) below the front, worst band in the controlled band",
          value: rounded(b.minNullDepthDb!, 1),
          unit: "dB",
        },
        {
          id: "bundle.beam-null-matrix-db",
          label: "Center: the same with plain matrix mixing",
          value: rounded(b.matrixMixingMinNullDepthDb!, 1),
          unit: "dB",
        },
      );
    }
  }

  // Drive effort.
  const effortRows: Record<string, unknown>[] = [];
  for (const input of bundle.inputs) {
    evaluation.bandsHz.forEach((hz, k) => {
      effortRows.push({ x: hz, y: evaluation.driveEffortDb[input]![k], series: `${input} input` });
    });
    numbers.push({
      id: `bundle.max-gain-${input}-db`,
      label: `Largest filter gain, ${input} input`,
      value: rounded(evaluation.maxGainDb[input]!, 1),
      unit: "dB",
    });
  }
  plots.push({
    id: "bundle-effort",
    section: "bundle",
    title: "How hard the filters drive the speaker (drive effort)",
    explanation:
      "Total power sent to all drivers per input and third octave, relative to one driver at unit gain. Good: near or below 0 dB. Bad: more than about +10 dB — the speaker runs out of headroom there and plays quieter or distorts, and small unit-to-unit differences are amplified.",
    spec: lineChart("", effortRows, {
      xTitle: "Third-octave band (Hz)",
      xLog: true,
      xDomain: [100, Math.min(16000, fs / 2.2)],
      yTitle: "Drive effort (dB re one driver)",
      seriesTitle: "input",
      hRules: [{ y: 10, label: "+10 dB" }],
    }),
  });
  return {
    heading: "The filters",
    intro: `Bundle of ${bundle.device.model} ${bundle.device.serial}: ${
      bundle.inputs.join(", ")
    } inputs, ${bundle.taps} taps at ${fs} Hz, evaluated on ${set.folder}. ${
      baseline
        ? `Driver sides for the bare device: ${
          Object.entries(baseline.sides).map(([d, s]) => `${d} ${s}`).join(", ")
        }.`
        : "The set has no binaural captures: no separation to show."
    }`,
    plots,
    numbers,
  };
}

/** Polar plots of the center beam at chosen bands and its map against matrix mixing. */
function beamPlots(
  loaded: LoadedBundle,
  data: SetData,
  bandsHz: readonly number[],
  numbers: KeyNumber[],
): Plot[] {
  const { bundle, filters } = loaded;
  const arc = data.arc!;
  const fs = bundle.sampleRate;
  const order = bundle.device.drivers.map((d) => data.drivers.indexOf(d));
  const irs = arc.irs.map((row) => order.map((i) => row[i]!));
  // In a room, keep the direct sound only (as `evaluate` does).
  const onset = Math.min(...irs.flat().map((h) => onsetSamples(h)));
  const longest = Math.max(...irs.flat().map((h) => h.length));
  let late = 0, total = 0;
  for (const row of irs) {
    for (const h of row) {
      for (let n = 0; n < h.length; n++) {
        const e = h[n]! * h[n]!;
        total += e;
        if (n > onset + Math.round(0.01 * fs)) late += e;
      }
    }
  }
  const reverberant = late / Math.max(total, 1e-30) > 1e-3;
  const cut = reverberant ? onset + Math.round((ARC_GATE_MS * fs) / 1000) : longest;
  const fftSize = nextPowerOfTwo(cut + bundle.taps);
  const plan = realFftPlan(fftSize);
  const center = filters.center!.map((h) => plan.forward(h));
  const matrix = bundle.device.drivers.map(() => {
    const h = new Float64Array(bundle.taps);
    h[bundle.latencySamples] = 1 / bundle.device.drivers.length;
    return plan.forward(h);
  });
  const bands = fractionalOctaveBands({
    fraction: 3,
    minHz: 100,
    maxHz: Math.min(16000, fs / 2.2),
  });
  const spectra = irs.map((row) => row.map((h) => plan.forward(h.subarray(0, cut))));
  const levelsOf = (W: Spectrum[]) =>
    spectra.map((row) => {
      const re = new Float64Array(plan.binCount), im = new Float64Array(plan.binCount);
      row.forEach((A, d) => {
        const w = W[d]!;
        for (let k = 0; k < plan.binCount; k++) {
          re[k]! += A.re[k]! * w.re[k]! - A.im[k]! * w.im[k]!;
          im[k]! += A.re[k]! * w.im[k]! + A.im[k]! * w.re[k]!;
        }
      });
      return Array.from(bandLevels({ spectrum: { re, im }, sampleRate: fs }, bands));
    });
  const beam = levelsOf(center), mix = levelsOf(matrix);
  const front = arc.azimuthsDeg.reduce(
    (b, a, i) => Math.abs(a) < Math.abs(arc.azimuthsDeg[b]!) ? i : b,
    0,
  );
  const bandIndex = (hz: number) =>
    bands.centerHz.reduce(
      (b, c, i) => Math.abs(Math.log(c / hz)) < Math.abs(Math.log(bands.centerHz[b]! / hz)) ? i : b,
      0,
    );
  const plots: Plot[] = [];
  for (const hz of bandsHz) {
    const k = bandIndex(hz);
    const label = `${Math.round(bands.centerHz[k]!)} Hz`;
    const rows: { angleDeg: number; levelDb: number; series: string }[] = [];
    arc.azimuthsDeg.forEach((az, i) => {
      rows.push(
        { angleDeg: az, levelDb: beam[i]![k]! - beam[front]![k]!, series: "center with filters" },
        {
          angleDeg: az,
          levelDb: mix[i]![k]! - mix[front]![k]!,
          series: "matrix mixing",
        },
      );
    });
    const side = Math.max(
      ...[-90, 90].map((t) => {
        const i = arc.azimuthsDeg.reduce(
          (b, a, j) => Math.abs(a - t) < Math.abs(arc.azimuthsDeg[b]! - t) ? j : b,
          0,
        );
        return beam[i]![k]! - beam[front]![k]!;
      }),
    );
    numbers.push({
      id: `bundle.beam-side-${Math.round(hz)}-db`,
      label: `Center at ${label}: louder side (±90°) re front`,
      value: rounded(side, 1),
      unit: "dB",
    });
    plots.push({
      id: `bundle-beam-${Math.round(hz)}`,
      section: "bundle",
      title: `Where the center channel goes at ${label} (seen from above)`,
      explanation:
        `Level of the center channel around the device in the ${label} third octave, re the front (0°; +90° is the device's left), with the filters and with plain matrix mixing. Good: the filtered beam keeps the front within a few dB over ±45° and is at least 20 dB down at ±90°, where the walls would reflect it. Bad: no narrower than matrix mixing, or a side lobe as loud as the front.`,
      spec: polarChart("", rows, { floorDb: -40, ringStepDb: 10, seriesTitle: "center" }),
    });
  }
  const step = arc.azimuthsDeg.length > 1 ? arc.azimuthsDeg[1]! - arc.azimuthsDeg[0]! : 5;
  const cells: { x0: number; x1: number; y0: number; y1: number; value: number; panel: string }[] =
    [];
  for (const [panel, lv] of [["center with filters", beam], ["matrix mixing", mix]] as const) {
    arc.azimuthsDeg.forEach((az, i) => {
      bands.centerHz.forEach((_, k) => {
        cells.push({
          x0: bands.lowerHz[k]!,
          x1: bands.upperHz[k]!,
          y0: az - step / 2,
          y1: az + step / 2,
          value: lv[i]![k]! - lv[front]![k]!,
          panel,
        });
      });
    });
  }
  plots.push({
    id: "bundle-beam-map",
    section: "bundle",
    title: "The center channel by frequency and angle, filters against matrix mixing",
    explanation:
      "Center level at every angle re the front, per third octave: left with the filters, right with all drivers fed equally. Good: in the band the array controls, a bright stripe around 0° and dark at ±90°. Bad: the filtered map looking like the matrix map (no beam), or bright spots at the sides.",
    spec: heatMap("", cells, {
      xTitle: "Frequency (Hz)",
      yTitle: "Angle (degrees, + = device's left)",
      valueTitle: "dB re 0°",
      domain: [-40, 10],
      panelColumns: 2,
    }),
  });
  return plots;
}
