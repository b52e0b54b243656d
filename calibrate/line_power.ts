/**
 * Detection power of the line checks: for each defect type and size, units
 * with exactly that defect (on a driver drawn with the seeded generator) go
 * through the simulated station and `verifyUnit`; the catch rate is the
 * share that fails (any check) and the share failed by the check meant for
 * the defect. Binary defects (polarity, dead driver, swapped wiring) have one
 * size.
 *
 * @module
 */
import type { Limits } from "./limits.ts";
import {
  type DefectType,
  EXPECTED_CHECK,
  lineDrivers,
  lineRandom,
  measureSimUnit,
  type PlannedDefect,
  resonanceRange,
} from "./line_sim.ts";
import { DEFAULT_STATION, type StationConfig } from "./line_station.ts";
import { verifyUnit } from "./verify.ts";

/** One defect size to test. */
export interface PowerCase {
  /** The defect type. */
  readonly type: DefectType;
  /** Size in words (`"−2 dB"`, `"+3 dB, Q 10"`). */
  readonly size: string;
  /** Make the defect for one unit. */
  readonly draw: (
    rand: () => number,
    drivers: readonly { id: string; kind: string }[],
    passbands: Readonly<Record<string, readonly [number, number]>>,
  ) => PlannedDefect;
}

/** One row of the detection-power table. */
export interface PowerRow {
  readonly type: DefectType;
  readonly size: string;
  readonly units: number;
  /** Units that failed (any check). */
  readonly caught: number;
  /** Units failed by the defect's own check. */
  readonly byExpectedCheck: number;
  /** Units that could not be judged. */
  readonly invalid: number;
}

const pickDriver = (rand: () => number, drivers: readonly { id: string }[]) =>
  drivers[Math.floor(rand() * drivers.length)]!.id;

function one(type: DefectType, d: string, defects: PlannedDefect["defects"], description: string) {
  return { type, drivers: [d], defects, description };
}

/** The default sweep of sizes per defect type (issue 16's detection-power table). */
export function defaultPowerCases(): PowerCase[] {
  const cases: PowerCase[] = [];
  for (const db of [0.5, 1, 1.5, 2, 2.5, 3, 4]) {
    cases.push({
      type: "sensitivity",
      size: `±${db} dB`,
      draw: (rand, drivers) => {
        const d = pickDriver(rand, drivers);
        const sign = rand() < 0.5 ? -1 : 1;
        return one(
          "sensitivity",
          d,
          { drivers: { [d]: { sensitivityOffsetDb: sign * db } } },
          `${sign * db} dB on ${d}`,
        );
      },
    });
  }
  for (const db of [1, 1.5, 2, 2.5, 3, 4]) {
    cases.push({
      type: "resonance",
      size: `+${db} dB, Q 10`,
      draw: (rand, drivers, passbands) => {
        const d = pickDriver(rand, drivers);
        const [lo, hi] = resonanceRange(passbands[d]);
        const hz = lo * Math.pow(hi / lo, rand());
        return one(
          "resonance",
          d,
          { drivers: { [d]: { resonance: { hz, q: 10, gainDb: db } } } },
          `+${db} dB at ${hz.toFixed(0)} Hz on ${d}`,
        );
      },
    });
  }
  for (const db of [-60, -55, -50, -45, -40]) {
    cases.push({
      type: "rub-buzz",
      size: `${db} dB`,
      draw: (rand, drivers) => {
        const d = pickDriver(rand, drivers);
        return one(
          "rub-buzz",
          d,
          { drivers: { [d]: { rubBuzzLevel: Math.pow(10, db / 20) } } },
          `rub & buzz ${db} dB on ${d}`,
        );
      },
    });
  }
  for (const hz of [20, 40, 60, 100, 150]) {
    cases.push({
      type: "air-leak",
      size: `high-pass ${hz} Hz`,
      draw: (_rand, drivers) => {
        const d = drivers.find((x) => x.kind === "woofer")?.id ?? drivers[0]!.id;
        return one(
          "air-leak",
          d,
          { drivers: { [d]: { airLeakHz: hz } } },
          `air leak ${hz} Hz on ${d}`,
        );
      },
    });
  }
  cases.push({
    type: "polarity",
    size: "reversed",
    draw: (rand, drivers) => {
      const d = pickDriver(rand, drivers);
      return one("polarity", d, { drivers: { [d]: { polarity: -1 } } }, `reversed ${d}`);
    },
  });
  cases.push({
    type: "dead-driver",
    size: "dead",
    draw: (rand, drivers) => {
      const d = pickDriver(rand, drivers);
      return one("dead-driver", d, { drivers: { [d]: { dead: true } } }, `dead ${d}`);
    },
  });
  cases.push({
    type: "swapped-wiring",
    size: "two drivers",
    draw: (rand, drivers) => {
      const n = drivers.length;
      const i = Math.floor(rand() * n);
      const j = (i + 1 + Math.floor(rand() * (n - 1))) % n;
      const wiring = drivers.map((_, k) => k);
      wiring[i] = j;
      wiring[j] = i;
      return {
        type: "swapped-wiring",
        drivers: [drivers[i]!.id, drivers[j]!.id],
        defects: { wiring },
        description: `${drivers[i]!.id} ↔ ${drivers[j]!.id}`,
      };
    },
  });
  return cases;
}

/** Options of {@linkcode detectionPower}. */
export interface PowerOptions {
  readonly model: string;
  readonly limits: Limits;
  /** Units per defect size (>= 1). */
  readonly unitsPerSize: number;
  /** Integer seed. */
  readonly seed: number;
  /** Cases (default {@linkcode defaultPowerCases}). */
  readonly cases?: readonly PowerCase[];
  /** Station (default {@linkcode DEFAULT_STATION}). */
  readonly station?: StationConfig;
  /** Called after each unit. */
  readonly onUnit?: (done: number, total: number) => void;
}

/** Catch rate per defect type and size (see the module documentation). */
export async function detectionPower(options: PowerOptions): Promise<PowerRow[]> {
  const { model, limits, unitsPerSize, seed } = options;
  if (!Number.isInteger(unitsPerSize) || unitsPerSize < 1) {
    throw new RangeError(
      `Cannot measure detection power as unitsPerSize must be an integer >= 1: current value is ${unitsPerSize}`,
    );
  }
  const station = options.station ?? DEFAULT_STATION;
  const cases = options.cases ?? defaultPowerCases();
  const { drivers, passbands } = await lineDrivers(model, station, limits);
  const rand = lineRandom(seed);
  const rows: PowerRow[] = [];
  let done = 0;
  const total = cases.length * unitsPerSize;
  for (const [c, k] of cases.map((x, i) => [x, i] as const)) {
    let caught = 0, byExpected = 0, invalid = 0;
    for (let u = 0; u < unitsPerSize; u++) {
      const defect = k >= 0 ? c.draw(rand, drivers, passbands) : undefined;
      const captured = await measureSimUnit({
        model,
        serial: `POWER-${seed}-${k}-${u}`,
        station,
        seed: seed * 7777 + k * 1009 + u,
        defects: defect!.defects,
      });
      try {
        const v = verifyUnit(captured.unit, limits);
        if (!v.passed) caught++;
        if (v.violations.some((x) => x.check === EXPECTED_CHECK[c.type])) byExpected++;
      } catch {
        invalid++;
      }
      options.onUnit?.(++done, total);
    }
    rows.push({
      type: c.type,
      size: c.size,
      units: unitsPerSize,
      caught,
      byExpectedCheck: byExpected,
      invalid,
    });
  }
  return rows;
}

/** The detection-power table as Markdown. */
export function formatPower(rows: readonly PowerRow[]): string {
  const lines = [
    "| defect | size | units | caught | caught by its own check |",
    "| --- | --- | --- | --- | --- |",
  ];
  const pct = (n: number, d: number) => `${((100 * n) / Math.max(1, d)).toFixed(0)} %`;
  for (const r of rows) {
    lines.push(
      `| ${r.type} | ${r.size} | ${r.units} | ${pct(r.caught, r.units)} | ${
        pct(r.byExpectedCheck, r.units)
      } |`,
    );
  }
  return lines.join("\n");
}
