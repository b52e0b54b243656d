/**
 * What `--force` may replace: only an output spatialcal itself wrote and
 * recognizes, never another folder or file (DESIGN.md "Command line").
 *
 * A folder output (a measurement set, a filter bundle) is recognized by its
 * own descriptor — `manifest.json` of format `"spatialcal.measurement-set"`,
 * `bundle.json` of format `"spatialcal.filter-bundle"` — and must hold no
 * file that descriptor does not list, so that replacing it deletes nothing
 * the tool did not write (a `notes.txt` put into a set keeps the set from
 * being replaced). A file output is recognized by its content (a JSON file of
 * the tool's `format`, a RIFF/WAVE file). The root folder and symbolic links
 * are never replaced.
 *
 * The rule lives here once: the command-line preflight (`checkOutputWritable`
 * in `cli/_common.ts`, before any measuring) and the atomic writer
 * (`writeFolderAtomically` in `io/atomic.ts`, at the moment of replacing)
 * both call {@linkcode checkReplaceable}.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { InputError } from "./errors.ts";

/** An output the tool recognizes as its own, so `--force` may replace it. */
export interface OwnOutput {
  /**
   * What it is, in words, for messages: `a measurement set (manifest.json of format
   * "spatialcal.measurement-set")`.
   */
  readonly description: string;
  /**
   * Why `path` (which exists) is not such an output, in words, or `undefined` when it is.
   * Never throws for a malformed output: that is a reason.
   */
  readonly problem: (path: string) => Promise<string | undefined>;
}

/** Largest descriptor or JSON output read to recognize it, in bytes (a limits file is ~1 MB). */
const MAX_DESCRIPTOR_BYTES = 64 * 1024 * 1024;
/** Most entries walked in a folder before giving up (a 72-position set has a few thousand). */
const MAX_WALK_ENTRIES = 200_000;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Read a small JSON file, or say why it cannot be read as one. */
async function readJson(path: string): Promise<{ json: unknown } | { problem: string }> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch {
    return { problem: `it holds no "${path.slice(dirname(path).length + 1)}"` };
  }
  if (!info.isFile) return { problem: `"${path}" is not a regular file` };
  if (info.size > MAX_DESCRIPTOR_BYTES) {
    return { problem: `"${path}" is larger than ${MAX_DESCRIPTOR_BYTES} bytes` };
  }
  try {
    return { json: JSON.parse(await Deno.readTextFile(path)) };
  } catch (error) {
    return { problem: `"${path}" is not valid JSON (${(error as Error).message})` };
  }
}

/** Every regular file, link and special file under `root`, as relative paths (links not followed). */
async function filesUnder(root: string): Promise<string[] | undefined> {
  const out: string[] = [];
  const pending: string[] = [""];
  let seen = 0;
  while (pending.length > 0) {
    const rel = pending.pop()!;
    for await (const entry of Deno.readDir(join(root, rel))) {
      if (++seen > MAX_WALK_ENTRIES) return undefined;
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory && !entry.isSymlink) pending.push(path);
      else out.push(path);
    }
  }
  return out.sort();
}

/** What identifies a folder output of the tool. */
export interface OwnFolderSpec {
  /** In words: `"a measurement set"`. */
  readonly what: string;
  /** The descriptor's file name: `"manifest.json"`. */
  readonly descriptor: string;
  /** The descriptor's `format` value. */
  readonly format: string;
  /**
   * The relative paths of the files the descriptor lists (besides itself), or `undefined` to
   * accept any other content (for a rewrite that keeps every file, as an append does).
   */
  readonly listed?: (descriptor: Record<string, unknown>) => readonly string[];
}

/**
 * A folder output recognized by its descriptor file (see the module documentation).
 *
 * @param spec What the folder is, its descriptor's name and format, and the files it lists.
 * @returns The {@linkcode OwnOutput} for {@linkcode checkReplaceable}.
 *
 * @example
 * ```ts
 * import { ownFolder } from "./own_output.ts";
 * const set = ownFolder({
 *   what: "a measurement set",
 *   descriptor: "manifest.json",
 *   format: "spatialcal.measurement-set",
 * });
 * console.log(set.description);
 * ```
 */
export function ownFolder(spec: OwnFolderSpec): OwnOutput {
  return {
    description: `${spec.what} (a folder with ${spec.descriptor} of format "${spec.format}"${
      spec.listed ? " and only the files it lists" : ""
    })`,
    problem: async (path) => {
      const info = await Deno.lstat(path);
      if (info.isSymlink) return "it is a symbolic link";
      if (!info.isDirectory) return "it is not a folder";
      const read = await readJson(join(path, spec.descriptor));
      if ("problem" in read) return read.problem;
      if (!isRecord(read.json) || read.json.format !== spec.format) {
        const format = isRecord(read.json) ? JSON.stringify(read.json.format) : "none";
        return `its ${spec.descriptor} has format ${format}, not "${spec.format}"`;
      }
      if (spec.listed === undefined) return undefined;
      let listed: Set<string>;
      try {
        listed = new Set([spec.descriptor, ...spec.listed(read.json)]);
      } catch {
        return `its ${spec.descriptor} does not list its files readably`;
      }
      const files = await filesUnder(path);
      if (files === undefined) return `it holds more than ${MAX_WALK_ENTRIES} entries`;
      const stray = files.find((f) => !listed.has(f));
      if (stray !== undefined) {
        return `it holds "${stray}", which its ${spec.descriptor} does not list`;
      }
      return undefined;
    },
  };
}

/**
 * A JSON file output recognized by its `format` field.
 *
 * @param what In words: `"a limits file"`.
 * @param format The `format` value: `"spatialcal.limits"`.
 */
export function ownJsonFile(what: string, format: string): OwnOutput {
  return {
    description: `${what} (a JSON file of format "${format}")`,
    problem: async (path) => {
      const read = await readJson(path);
      if ("problem" in read) return read.problem;
      if (!isRecord(read.json) || read.json.format !== format) {
        const found = isRecord(read.json) ? JSON.stringify(read.json.format) : "none";
        return `its format is ${found}, not "${format}"`;
      }
      return undefined;
    },
  };
}

/** A WAV file output (the tool writes only RIFF/WAVE): recognized by its first 12 bytes. */
export const OWN_WAV_FILE: OwnOutput = {
  description: `a WAV file (RIFF/WAVE)`,
  problem: async (path) => {
    const info = await Deno.lstat(path);
    if (!info.isFile) return "it is not a regular file";
    const file = await Deno.open(path, { read: true });
    try {
      const head = new Uint8Array(12);
      let got = 0;
      while (got < 12) {
        const n = await file.read(head.subarray(got));
        if (n === null) break;
        got += n;
      }
      const text = new TextDecoder("latin1").decode(head);
      return got === 12 && text.startsWith("RIFF") && text.endsWith("WAVE")
        ? undefined
        : "it does not start with a RIFF/WAVE header";
    } finally {
      file.close();
    }
  },
};

/**
 * Refuse to replace `path` with `--force` unless it is the output `own`
 * describes (see the module documentation). Call it only for a path that
 * exists.
 *
 * @param path The existing output path.
 * @param own What the command writes there; `undefined` refuses every existing path.
 * @param flag The flag that named the path, for the message (`"--out"`).
 * @throws {InputError} (field = `flag`) naming the path, what `--force` replaces and why this
 *   is not it.
 */
export async function checkReplaceable(
  path: string,
  own: OwnOutput | undefined,
  flag = "out",
): Promise<void> {
  const fail = (why: string): never => {
    const named = flag.startsWith("--") ? `${flag} "${path}"` : `"${path}"`;
    throw new InputError(
      `Cannot replace ${named} with --force as ${why}; --force replaces only what spatialcal wrote: remove it yourself or choose another path`,
      { file: path, field: flag, value: path },
    );
  };
  const absolute = resolve(path);
  if (dirname(absolute) === absolute) fail("it is the root folder");
  if (own === undefined) fail("it is not an output this writer recognizes");
  let problem: string | undefined;
  try {
    problem = await own!.problem(path);
  } catch (error) {
    problem = `it cannot be inspected (${(error as Error).message})`;
  }
  if (problem !== undefined) fail(`it is not ${own!.description}: ${problem}`);
}
