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
 * `InputError` (like `RangeError` and `TypeError`) to exit code 2.
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
