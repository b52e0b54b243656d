/**
 * Private: pull the ear and arc impulse responses a design needs out of a
 * measurement set, name what is missing, and gate / truncate them onto a
 * design grid.
 *
 * @module
 */
import { arrivalSamples, gateWindow } from "../dsp/ir_window.ts";
import { wrapDeg } from "../dsp/angles.ts";
import type { CaptureEntry, CapturePosition, MeasurementSet } from "../io/manifest.ts";
import { InputError } from "../io/errors.ts";
import { type ArcTransferMatrix, arcTransferMatrix } from "../design/transfer_matrix.ts";
import { type TransferMatrix, transferMatrix } from "../design/transfer_matrix.ts";

/** Binaural captures of every driver at one head position. */
export interface EarPosition {
  readonly position: CapturePosition;
  /** `"az+000.0 el+00.0 r2.000 yaw+0.0"`. */
  readonly label: string;
  /** `irs[ear][driver]`, ear 0 = ear-left. */
  readonly irs: readonly (readonly Float64Array[])[];
}

/** Reference-mic captures of every driver on a horizontal arc. */
export interface ArcData {
  readonly distanceMeters: number;
  readonly azimuthsDeg: readonly number[];
  /** `irs[azimuth][driver]`. */
  readonly irs: readonly (readonly Float64Array[])[];
}

/** What a set holds for a design. */
export interface SetPlants {
  readonly sampleRate: number;
  readonly drivers: readonly string[];
  /** Complete binaural positions in manifest order. */
  readonly ears: readonly EarPosition[];
  /** The arc (complete azimuths only), or undefined when the set has none. */
  readonly arc: ArcData | undefined;
}

/** Position label used in messages and reports. */
export function positionLabel(p: CapturePosition): string {
  const sign = (v: number, digits: number, width: number) =>
    `${v < 0 ? "-" : "+"}${Math.abs(v).toFixed(digits).padStart(width, "0")}`;
  return `az${sign(p.azimuthDeg, 1, 5)} el${sign(p.elevationDeg, 1, 4)} r${
    p.distanceMeters.toFixed(3)
  } yaw${sign(p.headYawDeg ?? 0, 1, 3)}`;
}

/**
 * Read the binaural positions and the arc of a set.
 *
 * @param set The measurement set.
 * Only the captures used are read (a studio5 set with 72 head positions has 720 ear
 * captures; a fit at the first position uses 10), all at once so the file system's
 * asynchronous checks overlap.
 *
 * @param need What the design needs: `ears` (at least one complete binaural position), `arc`
 *   (reference captures of every driver at 0° and ±90°), `earPositions` (how many complete
 *   binaural positions to read, in manifest order; default all).
 * @throws {InputError} naming the missing captures (`driver@mic` at a position).
 */
export async function readSetPlants(
  set: MeasurementSet,
  need: { readonly ears: boolean; readonly arc: boolean; readonly earPositions?: number },
): Promise<SetPlants> {
  const m = set.manifest;
  const drivers = m.device.drivers.map((d) => d.id);
  const roleOf = new Map(m.mics.map((mic) => [mic.id, mic.role]));
  const file = set.folder;
  const cache = new Map<string, Promise<Float64Array>>();
  const read = (c: CaptureEntry): Promise<Float64Array> => {
    let p = cache.get(c.ir);
    if (!p) {
      p = set.readIr(c).then((s) => {
        const ir = s.channels[0] ?? new Float64Array(0);
        if (!ir.some((v) => v !== 0)) {
          throw new InputError(
            `Cannot fit from measurement set "${file}" as the capture of ${c.driver}@${c.mic} is silent (every sample of "${c.ir}" is 0): a real capture always carries noise; re-measure it`,
            { file: c.ir, field: "ir", value: "silent" },
          );
        }
        return ir;
      });
      cache.set(c.ir, p);
    }
    return p;
  };

  // Binaural positions: group by position, need ear-left and ear-right of every driver.
  const groups = new Map<string, { position: CapturePosition; byKey: Map<string, CaptureEntry> }>();
  for (const c of m.captures) {
    const role = roleOf.get(c.mic);
    if (role !== "ear-left" && role !== "ear-right") continue;
    const label = positionLabel(c.position);
    let g = groups.get(label);
    if (!g) {
      g = { position: c.position, byKey: new Map() };
      groups.set(label, g);
    }
    g.byKey.set(`${c.driver}@${role}`, c);
  }
  const earReads: Promise<EarPosition>[] = [];
  const earPositions = need.earPositions ?? Infinity;
  let bestMissing: string[] | undefined, bestLabel = "";
  for (const [label, g] of groups) {
    const missing: string[] = [];
    for (const d of drivers) {
      for (const role of ["ear-left", "ear-right"]) {
        if (!g.byKey.has(`${d}@${role}`)) missing.push(`${d}@${role}`);
      }
    }
    if (missing.length === 0) {
      if (earReads.length >= earPositions) continue;
      earReads.push(
        Promise.all(
          ["ear-left", "ear-right"].map((role) =>
            Promise.all(drivers.map((d) => read(g.byKey.get(`${d}@${role}`)!)))
          ),
        ).then((irs) => ({ position: g.position, label, irs })),
      );
      earReads.at(-1)!.catch(() => {}); // awaited below unless an earlier error wins
    } else if (bestMissing === undefined || missing.length < bestMissing.length) {
      bestMissing = missing;
      bestLabel = label;
    }
  }
  if (need.ears && earReads.length === 0) {
    const what = bestMissing === undefined
      ? "the set has no ear-left/ear-right captures at all (measure with --mic binaural)"
      : `missing ${bestMissing.join(", ")} at ${bestLabel}`;
    throw new InputError(
      `Cannot fit "${file}" as it needs ear-left and ear-right captures of every driver at one position: ${what}`,
      { file, field: "captures", value: bestMissing ?? [] },
    );
  }

  // Arc: reference captures at elevation 0, most common distance, azimuths with every driver.
  const refs = m.captures.filter((c) =>
    roleOf.get(c.mic) === "reference" && Math.abs(c.position.elevationDeg) < 1e-6
  );
  const distances = new Map<number, number>();
  for (const c of refs) {
    const d = Math.round(c.position.distanceMeters * 1000) / 1000;
    distances.set(d, (distances.get(d) ?? 0) + 1);
  }
  let distance = NaN, most = 0;
  for (const [d, n] of distances) {
    if (n > most) {
      most = n;
      distance = d;
    }
  }
  const byAz = new Map<number, Map<string, CaptureEntry>>();
  for (const c of refs) {
    if (Math.round(c.position.distanceMeters * 1000) / 1000 !== distance) continue;
    const az = Math.round(wrapDeg(c.position.azimuthDeg) * 1e4) / 1e4;
    let g = byAz.get(az);
    if (!g) byAz.set(az, g = new Map());
    g.set(c.driver, c);
  }
  const azimuths = [...byAz.keys()].filter((az) => drivers.every((d) => byAz.get(az)!.has(d)))
    .sort((a, b) => a - b);
  // Every read is started before any is awaited (ears and arc together); errors are reported
  // in the order they were before: ear captures, then the arc's coverage, then arc captures.
  const arcRead = azimuths.length >= 3
    ? Promise.all(
      azimuths.map((az) => Promise.all(drivers.map((d) => read(byAz.get(az)!.get(d)!)))),
    )
    : undefined;
  arcRead?.catch(() => {}); // awaited below unless an earlier error wins
  const ears = await Promise.all(earReads);
  let arc: ArcData | undefined;
  if (need.arc) {
    const missing: string[] = [];
    for (const t of [0, -90, 90]) {
      const near = [...byAz.keys()].find((az) => Math.abs(wrapDeg(az - t)) <= 2.5);
      if (near === undefined) {
        missing.push(`every driver@reference at az${t < 0 ? "" : "+"}${t}`);
      } else {
        for (const d of drivers) {
          if (!byAz.get(near)!.has(d)) missing.push(`${d}@reference at az${near}`);
        }
      }
    }
    if (missing.length > 0) {
      throw new InputError(
        `Cannot fit "${file}" as the center beamformer needs a reference-mic arc (elevation 0, one distance) with every driver at 0° and ±90° (e.g. --mic reference --arc -180:180:5): missing ${
          missing.join(", ")
        } (or fit with --beamformer matrix|none)`,
        { file, field: "captures", value: missing },
      );
    }
  }
  if (arcRead !== undefined) {
    arc = { distanceMeters: distance, azimuthsDeg: azimuths, irs: await arcRead };
  }
  return { sampleRate: m.sampleRate, drivers, ears, arc };
}

/**
 * Index of the first sample reaching half the peak magnitude over a group
 * of responses (the earliest arrival).
 */
export function onsetSamples(irs: readonly (readonly Float64Array[])[]): number {
  const best = Math.min(...irs.flatMap((row) => row.map((h) => arrivalSamples(h))));
  return Number.isFinite(best) ? best : 0;
}

/**
 * Gate responses in time: keep samples 0..end, where end = onset + gate, with
 * a half-Hann fade of `fadeSamples` ending at `end`; truncate to `maxLength`.
 *
 * @param irs `irs[row][driver]`.
 * @param gateSamples Samples kept after the group's earliest onset (Infinity: no gate).
 * @param fadeSamples Fade-out length.
 * @param maxLength Longest output (the design FFT size); a fade is applied at the cut too.
 */
export function gateResponses(
  irs: readonly (readonly Float64Array[])[],
  gateSamples: number,
  fadeSamples: number,
  maxLength: number,
): Float64Array[][] {
  const onset = onsetSamples(irs);
  const longest = Math.max(...irs.flatMap((row) => row.map((h) => h.length)));
  const end = Math.min(
    longest,
    maxLength,
    Number.isFinite(gateSamples) ? onset + gateSamples : Infinity,
  );
  const window = gateWindow(end, fadeSamples);
  return irs.map((row) =>
    row.map((h) => {
      const out = new Float64Array(end);
      for (let n = 0; n < Math.min(end, h.length); n++) {
        out[n] = (h[n] as number) * (window[n] as number);
      }
      return out;
    })
  );
}

/** Ear transfer matrix (2 × drivers) of one position on a grid. */
export function earPlant(
  irs: readonly (readonly Float64Array[])[],
  sampleRate: number,
  fftSize: number,
): TransferMatrix {
  return transferMatrix(irs, { sampleRate, fftSize });
}

/** Arc transfer matrix (azimuths × drivers) on a grid. */
export function arcPlant(
  arc: {
    readonly azimuthsDeg: readonly number[];
    readonly irs: readonly (readonly Float64Array[])[];
  },
  sampleRate: number,
  fftSize: number,
): ArcTransferMatrix {
  return arcTransferMatrix(transferMatrix(arc.irs, { sampleRate, fftSize }), arc.azimuthsDeg);
}

/**
 * Energy after the earliest arrival + 20 ms relative to the total energy of a
 * group of responses, dB (−Infinity for silence or responses shorter than
 * that). About −40 dB for the simulated drivers in the free field; −10 to
 * −20 dB in a furnished room.
 */
export function lateEnergyDb(
  irs: readonly (readonly Float64Array[])[],
  sampleRate: number,
): number {
  const start = onsetSamples(irs) + Math.round(0.02 * sampleRate);
  let late = 0, total = 0;
  for (const row of irs) {
    for (const h of row) {
      for (let n = 0; n < h.length; n++) {
        const e = (h[n] as number) ** 2;
        total += e;
        if (n >= start) late += e;
      }
    }
  }
  return total > 0 && late > 0 ? 10 * Math.log10(late / total) : -Infinity;
}
