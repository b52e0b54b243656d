/**
 * Position flags of `deno task measure` turned into mic positions
 * (DESIGN.md conventions: azimuth counter-clockwise from the device's front,
 * +90° = the device's left).
 *
 * @module
 */
import { UsageError } from "./_common.ts";
import { normalizeAngleDeg } from "../measure/positions.ts";

/**
 * Parse an arc `start:stop:step` in degrees. The arc runs from start in
 * steps while <= stop; when it spans a full turn the end (the same direction
 * as the start) is left out, so `-180:180:5` gives 72 points. Azimuths are
 * returned in (−180, 180] (`normalizeAngleDeg`: −180 → 180, 360 → 0); an
 * arc whose points repeat a direction (more than a full turn) is refused.
 */
export function parseArc(text: string): number[] {
  const parts = text.split(":").map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x))) {
    throw new UsageError(
      `Cannot use --arc as it must be start:stop:step in degrees (e.g. -180:180:5): current value is "${text}"`,
    );
  }
  const [start, stop, step] = parts as [number, number, number];
  if (!(step > 0) || stop < start) {
    throw new UsageError(
      `Cannot use --arc as step must be > 0 and stop >= start: current value is "${text}"`,
    );
  }
  const fullTurn = Math.abs(stop - start - 360) < 1e-9;
  const out: number[] = [];
  for (let i = 0;; i++) {
    const a = start + i * step;
    if (a > stop + 1e-9 || (fullTurn && a >= stop - 1e-9)) break;
    out.push(normalizeAngleDeg(a));
    if (out.length > 10000) {
      throw new UsageError(`Cannot use --arc as it has more than 10000 points: "${text}"`);
    }
  }
  const seen = new Set<number>();
  for (const a of out) {
    if (seen.has(a)) {
      throw new UsageError(
        `Cannot use --arc as its points must be distinct directions (at most one full turn): current value is "${text}", which gives azimuth ${a}° twice`,
      );
    }
    seen.add(a);
  }
  return out;
}

/** Parse `--head-offset-cm x,y`. */
export function parseOffset(text: string): [number, number] {
  const parts = text.split(",").map((s) => Number(s.trim()));
  if (parts.length !== 2 || parts.some((x) => !Number.isFinite(x) || Math.abs(x) > 200)) {
    throw new UsageError(
      `Cannot use --head-offset-cm as it must be x,y in cm within ±200 (e.g. 0,5): current value is "${text}"`,
    );
  }
  return parts as [number, number];
}
