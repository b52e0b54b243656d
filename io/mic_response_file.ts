/**
 * Measurement-microphone frequency-response calibration files, in the common
 * text format microphone makers ship (and REW, ARTA, Smaart read): one point
 * per line, `frequency_Hz  level_dB  [phase_deg]`, separated by spaces, tabs,
 * commas or semicolons. Lines whose first field is not a number (headers
 * such as `"Sens Factor =-1.2dB, SERNO: 7001234"`, `*` or `#` comments) are
 * skipped. The level is the mic's response relative to its sensitivity
 * (what the mic adds); a correction divides by it.
 *
 * @module
 */
import { InputError, type InputFailure, inputFailure } from "./errors.ts";

/** A parsed response calibration. */
export interface MicResponse {
  /** Frequencies in Hz, strictly increasing, > 0. */
  readonly frequenciesHz: Float64Array;
  /** The mic's response at each frequency in dB. */
  readonly levelsDb: Float64Array;
  /** Phase in degrees at each frequency, when every point gives one. */
  readonly phasesDeg?: Float64Array;
}

/**
 * Parse a response calibration file's text.
 *
 * @param text The file's text.
 * @param file Its name, for messages.
 * @returns The points.
 * @throws {InputError} naming the file, line and value: a point with a
 *   non-numeric or non-finite field, a frequency <= 0 or not above the
 *   previous one, phases on some points only, fewer than 2 points.
 *
 * @example
 * ```ts
 * import { parseMicResponse } from "./mic_response_file.ts";
 * const r = parseMicResponse('"Sens Factor =-1.2dB"\n20 -0.5\n1000 0\n20000 1.5\n', "mic.txt");
 * console.log(r.frequenciesHz.length); // 3
 * ```
 */
export function parseMicResponse(text: string, file: string): MicResponse {
  const hz: number[] = [], db: number[] = [], phase: number[] = [];
  let withPhase: boolean | undefined;
  const failField: InputFailure = inputFailure(`read mic response file "${file}"`, file);
  const fail = (line: number, rule: string, value: unknown): never =>
    failField(`line ${line}`, rule, value);
  text.split(/\r\n|\n|\r/).forEach((raw, i) => {
    const line = i + 1;
    const fields = raw.trim().split(/[\s,;]+/).filter((f) => f !== "");
    if (fields.length === 0 || !/^[+-]?(\d|\.\d)/.test(fields[0]!)) return;
    if (fields.length < 2 || fields.length > 3) {
      fail(line, "must hold 2 or 3 numbers (Hz dB [phase])", raw.trim());
    }
    const values = fields.map(Number);
    if (values.some((v) => !Number.isFinite(v))) fail(line, "must hold finite numbers", raw.trim());
    const [f, level, p] = values as [number, number, number | undefined];
    if (!(f > 0)) fail(line, "must start with a frequency > 0 Hz", f);
    if (hz.length > 0 && !(f > hz[hz.length - 1]!)) {
      fail(line, `must have a frequency above the previous point's (${hz[hz.length - 1]} Hz)`, f);
    }
    const has = p !== undefined;
    if (withPhase === undefined) withPhase = has;
    else if (withPhase !== has) {
      fail(
        line,
        `must give a phase like every other point ${withPhase ? "does" : "does not"}`,
        raw.trim(),
      );
    }
    hz.push(f);
    db.push(level);
    if (has) phase.push(p);
  });
  if (hz.length < 2) {
    throw new InputError(
      `Cannot read mic response file "${file}" as it must hold at least 2 points (Hz dB [phase]): current value is ${hz.length}`,
      { file, field: "points", value: hz.length },
    );
  }
  return {
    frequenciesHz: Float64Array.from(hz),
    levelsDb: Float64Array.from(db),
    ...(withPhase ? { phasesDeg: Float64Array.from(phase) } : {}),
  };
}

/**
 * Read and parse a response calibration file ({@linkcode parseMicResponse}).
 *
 * @throws {InputError} for a missing file and everything parseMicResponse refuses.
 */
export async function readMicResponse(path: string): Promise<MicResponse> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.IsADirectory) {
      throw new InputError(`Cannot read mic response file "${path}" as the file does not exist`, {
        file: path,
        field: "file",
        value: path,
        cause: error,
      });
    }
    throw error;
  }
  return parseMicResponse(text, path);
}
