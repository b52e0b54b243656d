/**
 * What every command shares: flag parsing with `node:util` `parseArgs`
 * (JSR's `@std/cli` is unreachable from the project's machines), typed flag
 * readers whose errors name the flag and value, and the mapping of errors to
 * the documented exit codes:
 *
 * - 0 success / pass, 1 unit failed verification,
 * - 2 usage error or bad input (`InputError`, `RangeError`, `UsageError`), no
 *   audio system to measure with (`AudioUnavailableError`), a failed level check (`LevelCheckError`),
 * - 3 anything else (a bug or an environment failure), with the stack on stderr. A `TypeError`
 *   is a bug (`undefined is not a function`, a library called with the wrong type by our own
 *   code): validation of what the user gave throws `InputError` (io/errors.ts).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../io/errors.ts";
import { checkFolderWritable } from "../io/atomic.ts";
import { checkReplaceable, type OwnOutput } from "../io/own_output.ts";
import { AudioUnavailableError } from "../measure/_probe.ts";
import { LevelCheckError } from "../measure/level_check.ts";

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
  return error instanceof InputError || error instanceof RangeError ||
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
  useCallersFolder();
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

/** The project folder (where deno.json is): `deno task` runs every command there. */
const PROJECT_FOLDER = resolve(fileURLToPath(new URL("..", import.meta.url)));

/**
 * Resolve relative paths against the folder the user typed the command in.
 * `deno task` runs a task in the project folder and passes the caller's
 * folder as `INIT_CWD` (as npm does): without this, `deno task sweep --out
 * a.wav` typed in another folder would write into the project. Only a process
 * started in the project folder moves (a command started elsewhere, e.g. by a
 * test with its own working folder, keeps it); an `INIT_CWD` that is gone is
 * ignored.
 */
export function useCallersFolder(): void {
  const caller = Deno.env.get("INIT_CWD");
  if (caller === undefined || caller === "" || resolve(Deno.cwd()) !== PROJECT_FOLDER) return;
  try {
    Deno.chdir(caller);
  } catch {
    // The caller's folder is gone: stay in the project folder.
  }
}

/** Write a progress line to stderr, redrawn in place only on a terminal. */
/**
 * Time left as the user reads it: `ETA 42 s`, `ETA 3 min 5 s`; empty before
 * the first item or when done. Linear in the items done so far.
 */
export function formatEta(elapsedMs: number, done: number, total: number): string {
  if (done <= 0 || done >= total) return "";
  const leftSeconds = Math.round((elapsedMs / done) * (total - done) / 1000);
  return leftSeconds < 60
    ? `ETA ${leftSeconds} s`
    : `ETA ${Math.floor(leftSeconds / 60)} min ${leftSeconds % 60} s`;
}

/**
 * Write progress with the time left (ETA) to stderr: on a terminal one line
 * redrawn in place; otherwise (a log) a plain line every 5 s and at the end.
 */
export function progressReporter(
  label: string,
  options: { readonly isTerminal?: boolean; readonly write?: (text: string) => void } = {},
): (done: number, total: number, item: string) => void {
  const tty = options.isTerminal ?? Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const write = options.write ?? ((text: string) => Deno.stderr.writeSync(encoder.encode(text)));
  const start = Date.now();
  let last = start;
  return (done, total, item) => {
    const now = Date.now();
    const eta = formatEta(now - start, done, total);
    if (tty) {
      const width = 30;
      const filled = Math.round((done / Math.max(1, total)) * width);
      const bar = "#".repeat(filled) + "-".repeat(width - filled);
      write(`\r${label} [${bar}] ${done}/${total} ${eta} ${item}`.slice(0, 120).padEnd(120));
      if (done === total) write("\n");
    } else if (done === total || now - last > 5000) {
      last = now;
      write(`${label}: ${done}/${total}${eta ? ` (${eta})` : ""}\n`);
    }
  };
}

/** Does a path exist? (home: `io/atomic.ts`) */
export { pathExists } from "../io/atomic.ts";

/** A path given on the command line, with the flag that gave it (`"--out"`). */
export interface FlagPath {
  /** The flag as the user typed it, e.g. `"--out"` or `"--out (its .json)"`. */
  readonly flag: string;
  /** The path as given. */
  readonly path: string;
}

/**
 * The absolute path with every link resolved as far as the path exists
 * (`node:path` `resolve`, then `Deno.realPath` of the longest existing
 * prefix), so that two spellings of one file compare equal.
 */
export async function canonicalPath(path: string): Promise<string> {
  let head = resolve(path);
  const tail: string[] = [];
  for (;;) {
    try {
      return join(await Deno.realPath(head), ...tail);
    } catch {
      const parent = dirname(head);
      if (parent === head) return resolve(path);
      tail.unshift(head.slice(parent.length).replace(/^[/\\]+/, ""));
      head = parent;
    }
  }
}

/** Whether `inner` lies strictly inside the folder `outer` (both canonical). */
function isInside(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Refuse outputs that would overwrite or destroy an input or each other,
 * before any work: an output that is an input, lies inside an input folder
 * or contains an input (a folder replaced with --force that holds it), and
 * two outputs at the same path or one inside the other. Paths are compared
 * after {@linkcode canonicalPath}.
 *
 * @throws {UsageError} naming both flags and paths.
 */
export async function checkPaths(
  paths: { inputs?: readonly FlagPath[]; outputs: readonly FlagPath[] },
): Promise<void> {
  const canon = async (p: FlagPath) => ({ ...p, real: await canonicalPath(p.path) });
  const inputs = await Promise.all((paths.inputs ?? []).map(canon));
  const outputs = await Promise.all(paths.outputs.map(canon));
  for (const o of outputs) {
    for (const i of inputs) {
      const what = o.real === i.real
        ? `it is the ${i.flag} input "${i.path}"`
        : isInside(o.real, i.real)
        ? `it lies inside the ${i.flag} input "${i.path}"`
        : isInside(i.real, o.real)
        ? `it contains the ${i.flag} input "${i.path}"`
        : undefined;
      if (what !== undefined) {
        throw new UsageError(
          `Cannot write ${o.flag} "${o.path}" as ${what}: an output never replaces or changes an input; choose another path`,
        );
      }
    }
  }
  for (let a = 0; a < outputs.length; a++) {
    for (let b = a + 1; b < outputs.length; b++) {
      const x = outputs[a]!;
      const y = outputs[b]!;
      if (x.real === y.real) {
        throw new UsageError(
          `Cannot write ${x.flag} and ${y.flag} to the same path "${y.path}": choose two paths`,
        );
      }
      const [inner, outer] = isInside(y.real, x.real)
        ? [y, x]
        : isInside(x.real, y.real)
        ? [x, y]
        : [undefined, undefined];
      if (inner && outer) {
        throw new UsageError(
          `Cannot write ${inner.flag} "${inner.path}" as it lies inside the ${outer.flag} output "${outer.path}": choose another path`,
        );
      }
    }
  }
}

/** Options of {@linkcode checkOutputWritable}. */
export interface OutputCheckOptions {
  /** `--force` was given: an existing output of the same kind may be replaced. */
  readonly force: boolean;
  /**
   * What the command writes: a `"file"` or a `"folder"`; either way its
   * parent folder must exist. Default `"file"`.
   */
  readonly kind?: "file" | "folder";
  /** An existing output this accepts may be replaced without --force (a JUnit report). */
  readonly replaceable?: (path: string) => Promise<boolean>;
  /**
   * What --force may replace: the command's own kind of output (`MEASUREMENT_SET_OUTPUT`,
   * `FILTER_BUNDLE_OUTPUT`, ...; see `io/own_output.ts`). Without it --force replaces nothing.
   */
  readonly own?: OwnOutput;
}

/**
 * Preflight an output path at the start of a command, before any measuring or
 * long computation: the target is absent (or, with force, of the same kind —
 * a file never replaces a folder nor a folder a file — and the command's own
 * output, `options.own`: see `io/own_output.ts`), its folder exists and
 * is a folder (missing parent folders are refused, never created), and a
 * file can be created there (probed with an empty hidden file, see
 * `checkFolderWritable` in `io/atomic.ts`).
 *
 * @param flag The flag as typed (`"--out"`), named in the messages.
 * @param path The output path.
 * @param options `force`, `kind`, `replaceable` and `own`.
 * @throws {InputError} (field = the flag) naming the flag, the path and the rule broken.
 */
export async function checkOutputWritable(
  flag: string,
  path: string,
  options: OutputCheckOptions,
): Promise<void> {
  const kind = options.kind ?? "file";
  const fail = (why: string): never => {
    throw new InputError(`Cannot write ${flag} "${path}" as ${why}`, {
      file: path,
      field: flag,
      value: path,
    });
  };
  const present = await statKind(path);
  if (present !== undefined) {
    if (present !== kind) {
      fail(
        `it is a ${present}, which a ${kind} cannot replace (even with --force): remove it or choose another path`,
      );
    }
    if (!(await options.replaceable?.(path))) {
      if (!options.force) fail("it already exists: use --force to replace it");
      await checkReplaceable(path, options.own, flag);
    }
  }
  const folder = dirname(resolve(path));
  const k = await statKind(folder);
  if (k === "file") fail(`"${folder}" is a file, not a folder`);
  // Missing parent folders are refused, not created (README: "its folder must exist").
  if (k === undefined) fail(`its folder "${dirname(path)}" does not exist`);
  try {
    await checkFolderWritable(folder, path);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    // The probe names the file it tried; the message names the output and the probe's reason.
    const reason = error.message.replace(/^Cannot write ".*?" as /s, "");
    throw new InputError(`Cannot write ${flag} "${path}" as ${reason}`, {
      file: path,
      field: flag,
      value: path,
      cause: error,
    });
  }
}

/** `"file"` / `"folder"` (links followed) or `undefined` when nothing is there. */
async function statKind(path: string): Promise<"file" | "folder" | undefined> {
  try {
    return (await Deno.stat(path)).isDirectory ? "folder" : "file";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      // A dangling link is still something a write would replace.
      return await Deno.lstat(path).then(() => "file" as const, () => undefined);
    }
    throw error;
  }
}
