/**
 * The error thrown for bad input files: a WAV the reader cannot use, a
 * manifest that breaks the measurement-set contract, an output folder that
 * already exists.
 *
 * @module
 */

/** Where an {@linkcode InputError} was found. */
export interface InputErrorDetails {
  /** The file or folder at fault (a path or a caller-given name), if known. */
  readonly file: string | undefined;
  /** The field at fault, as a path into the file (`"captures[3].ir"`, `"format tag"`). */
  readonly field: string;
  /** The offending value as read. */
  readonly value: unknown;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/**
 * Bad input: a file or folder that does not meet the rules of its format.
 * The message names the action, the file, the field, the rule and the value;
 * the same facts are available as fields for programs. The CLI maps
 * `InputError` (like `RangeError`) to exit code 2; a `TypeError` is taken
 * for a bug (exit 3), so validation of user input throws `InputError`.
 *
 * @example
 * ```ts
 * import { InputError } from "./errors.ts";
 * try {
 *   throw new InputError("Cannot read WAV \"x.wav\" as ...", {
 *     file: "x.wav", field: "format tag", value: 6,
 *   });
 * } catch (e) {
 *   if (e instanceof InputError) console.log(e.file, e.field, e.value);
 * }
 * ```
 */
export class InputError extends Error {
  /** The file or folder at fault, if known. */
  readonly file: string | undefined;
  /** The field at fault. */
  readonly field: string;
  /** The offending value. */
  readonly value: unknown;

  /**
   * Create an input error whose `name` is `"InputError"`.
   *
   * @param message Full message: action, file, field, rule and value.
   * @param details File, field, value and optional cause.
   */
  constructor(message: string, details: InputErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "InputError";
    this.file = details.file;
    this.field = details.field;
    this.value = details.value;
  }
}

/** How {@linkcode inputError} spells the offending value after "current value is". */
export type ShowValue = (value: unknown) => string;

/** `JSON.stringify(value)`: strings quoted, `NaN` and `Infinity` as `null`. The default. */
export function showJson(value: unknown): string {
  return String(JSON.stringify(value));
}

/** Strings quoted (`JSON.stringify`), every other value as `String(value)` (`NaN`, `Infinity`). */
export function showPlain(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** What {@linkcode inputError} builds its message from. */
export interface InputErrorSpec {
  /** What could not be done, with the file: `read limits "x.json"`. */
  readonly action: string;
  /** The file or folder at fault, if known. */
  readonly file: string | undefined;
  /** The field at fault (`"bands[2].lowerHz"`). */
  readonly field: string;
  /** The rule the value breaks (`"must be > 0"`). */
  readonly rule: string;
  /** The offending value as read. */
  readonly value: unknown;
  /** How to spell the value (default {@linkcode showJson}). */
  readonly show?: ShowValue;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/**
 * The project's one input-error builder: an {@linkcode InputError} whose
 * message reads `Cannot <action> as <field> <rule>: current value is <value>`.
 *
 * @example
 * ```ts
 * import { inputError } from "./errors.ts";
 * const e = inputError({
 *   action: 'read limits "l.json"',
 *   file: "l.json",
 *   field: "fftSize",
 *   rule: "must be a power of two",
 *   value: 1000,
 * });
 * e.message; // 'Cannot read limits "l.json" as fftSize must be a power of two: current value is 1000'
 * ```
 */
export function inputError(spec: InputErrorSpec): InputError {
  const { action, file, field, rule, value, cause } = spec;
  const show = spec.show ?? showJson;
  return new InputError(
    `Cannot ${action} as ${field} ${rule}: current value is ${show(value)}`,
    cause === undefined ? { file, field, value } : { file, field, value, cause },
  );
}

/** A function that throws {@linkcode inputError} for one action and file. */
export type InputFailure = (field: string, rule: string, value: unknown, cause?: unknown) => never;

/**
 * A thrower of {@linkcode inputError}s for one action and file, for the
 * validators that check many fields of one input.
 *
 * @example
 * ```ts
 * import { inputFailure } from "./errors.ts";
 * const fail = inputFailure('read sweep parameters "s.json"', "s.json");
 * try {
 *   fail("startHz", "must be > 0", -1);
 * } catch (e) {
 *   (e as Error).message; // 'Cannot read sweep parameters "s.json" as startHz must be > 0: current value is -1'
 * }
 * ```
 */
export function inputFailure(
  action: string,
  file: string | undefined,
  show: ShowValue = showJson,
): InputFailure {
  return (field, rule, value, cause) => {
    throw inputError({ action, file, field, rule, value, show, cause });
  };
}
