/**
 * `sweep.json`: the parameters of a sweep stimulus written by `deno task
 * sweep`, read back to regenerate the exact same sweep for deconvolution.
 *
 * @module
 */
import { InputError, type InputFailure, inputFailure } from "../io/errors.ts";
import { ownJsonFile, type OwnOutput } from "../io/own_output.ts";
import { type Sweep, synchronizedSweep } from "./synchronized_sweep.ts";

/** The `format` string of a sweep parameter file. */
export const SWEEP_FILE_FORMAT = "spatialcal.sweep";

/** A sweep parameter file as `--force` may replace it (see `io/own_output.ts`). */
export const SWEEP_FILE_OUTPUT: OwnOutput = ownJsonFile(
  "a sweep parameter file",
  SWEEP_FILE_FORMAT,
);

/**
 * Regenerate a sweep from the JSON `deno task sweep` wrote, checking every
 * field and that the regenerated sweep has the recorded length.
 *
 * @param json Parsed JSON.
 * @param file File name for error messages.
 * @returns The sweep.
 * @throws {InputError} naming the file, field and value.
 */
export function sweepFromJson(json: unknown, file: string): Sweep {
  const fail: InputFailure = inputFailure(`read sweep parameters "${file}"`, file);
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    fail("the file", "must hold a JSON object", json);
  }
  const o = json as Record<string, unknown>;
  if (o.format !== SWEEP_FILE_FORMAT) fail("format", `must be "${SWEEP_FILE_FORMAT}"`, o.format);
  if (o.version !== 1) fail("version", "must be 1", o.version);
  if (o.method !== "synchronized-exponential") {
    fail("method", 'must be "synchronized-exponential"', o.method);
  }
  const num = (field: string): number => {
    const v = o[field];
    if (typeof v !== "number" || !Number.isFinite(v)) fail(field, "must be a finite number", v);
    return v as number;
  };
  let sweep: Sweep;
  try {
    sweep = synchronizedSweep({
      startHz: num("startHz"),
      endHz: num("endHz"),
      durationSeconds: num("requestedDurationSeconds"),
      sampleRate: num("sampleRate"),
      levelDbfs: num("levelDbfs"),
      fadeInSeconds: num("fadeInSeconds"),
      fadeOutSeconds: num("fadeOutSeconds"),
    });
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`Cannot read sweep parameters "${file}": ${(error as Error).message}`, {
      file,
      field: "parameters",
      value: undefined,
      cause: error,
    });
  }
  if (sweep.samples.length !== num("lengthSamples")) {
    fail(
      "lengthSamples",
      `must equal the regenerated sweep's length (${sweep.samples.length})`,
      o.lengthSamples,
    );
  }
  return sweep;
}
