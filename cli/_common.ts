/**
 * What every command shares: flag parsing with `node:util` `parseArgs`
 * (JSR's `@std/cli` is unreachable from the project's machines), typed flag
 * readers whose errors name the flag and value, and the mapping of errors to
 * the documented exit codes:
 *
 * - 0 success / pass, 1 unit failed verification,
 * - 2 usage error or bad input (`InputError`, `RangeError`, `TypeError`, `UsageError`), no
 *   audio system to measure with (`AudioUnavailableError`), a failed level check (`LevelCheckError`),
 * - 3 anything else (a bug or an environment failure), with the stack on stderr.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { InputError } from "../io/errors.ts";
import { AudioUnavailableError } from "../measure/_probe.ts";
import { LevelCheckError } from "../measure/webaudio_device.ts";

/** A command-line usage error (unknown flag, missing or malformed value). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A flag definition for {@linkcode parseFlags}. */
export interface FlagSpec {
  readonly type: "string" | "boolean";
  readonly multiple?: boolean;
  readonly short?: string;
}

/** Parsed flag values. */
export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * Parse `args` strictly: unknown flags and positionals are usage errors.
 * `--help` is always accepted.
 */
export function parseFlags(
  command: string,
  args: readonly string[],
  flags: Record<string, FlagSpec>,
): FlagValues {
  // parseArgs takes "-180:180:5" for a flag; join negative numbers to their string flag.
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const name = arg.startsWith("--") ? arg.slice(2) : undefined;
    if (name && flags[name]?.type === "string" && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  try {
    const { values } = parseArgs({
      args: joined,
      options: { ...flags, help: { type: "boolean", short: "h" } } as never,
      strict: true,
      allowPositionals: false,
    });
    return values as FlagValues;
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional.*$/s, "");
    throw new UsageError(`${command}: ${message} (see --help)`);
  }
}

/** Read a string flag; `required` makes a missing one a usage error. */
export function stringFlag(values: FlagValues, name: string, required: true): string;
export function stringFlag(values: FlagValues, name: string, required?: false): string | undefined;
export function stringFlag(values: FlagValues, name: string, required = false): string | undefined {
  const v = values[name];
  if (v === undefined) {
    if (required) throw new UsageError(`Missing required flag --${name} (see --help)`);
    return undefined;
  }
  return String(v);
}

/** Read a number flag, or `fallback` when absent. */
export function numberFlag(values: FlagValues, name: string, fallback: number): number;
export function numberFlag(
  values: FlagValues,
  name: string,
  fallback?: undefined,
): number | undefined;
export function numberFlag(
  values: FlagValues,
  name: string,
  fallback?: number,
): number | undefined {
  const v = values[name];
  if (v === undefined) return fallback;
  const text = String(v).trim();
  const n = Number(text);
  if (text === "" || !Number.isFinite(n)) {
    throw new UsageError(
      `Cannot use --${name} as it must be a finite number: current value is "${v}"`,
    );
  }
  return n;
}

/** Read a boolean flag (false when absent). */
export function booleanFlag(values: FlagValues, name: string): boolean {
  return values[name] === true;
}

/** Read a repeatable string flag. */
export function listFlag(values: FlagValues, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** Is this error the user's (exit 2) rather than ours? */
export function isInputError(error: unknown): boolean {
  return error instanceof InputError || error instanceof RangeError || error instanceof TypeError ||
    error instanceof UsageError || error instanceof AudioUnavailableError ||
    error instanceof LevelCheckError;
}

/**
 * Run a command's `main`, print `help` for `--help`, and exit with the
 * documented code. `main` returns 0 or 1; thrown errors map to 2 or 3.
 */
export async function runCommand(
  help: string,
  main: (args: string[]) => Promise<number>,
  args: string[] = Deno.args,
): Promise<never> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(help.trim());
    Deno.exit(0);
  }
  let code: number;
  try {
    code = await main(args);
  } catch (error) {
    if (isInputError(error)) {
      console.error(`error: ${(error as Error).message}`);
      code = 2;
    } else {
      console.error("internal error:", error);
      code = 3;
    }
  }
  Deno.exit(code);
}

/** Write a progress line to stderr, redrawn in place only on a terminal. */
export function progressReporter(
  label: string,
): (done: number, total: number, item: string) => void {
  const tty = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  let last = 0;
  return (done, total, item) => {
    const now = Date.now();
    if (tty) {
      const width = 30;
      const filled = Math.round((done / Math.max(1, total)) * width);
      const bar = "#".repeat(filled) + "-".repeat(width - filled);
      Deno.stderr.writeSync(
        encoder.encode(`\r${label} [${bar}] ${done}/${total} ${item}`.slice(0, 120).padEnd(120)),
      );
      if (done === total) Deno.stderr.writeSync(encoder.encode("\n"));
    } else if (done === total || now - last > 5000) {
      last = now;
      Deno.stderr.writeSync(encoder.encode(`${label}: ${done}/${total}\n`));
    }
  };
}

/** Does a path exist? */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
