/**
 * Reading an input file safely: only a regular file is opened (a FIFO would
 * block forever, `/dev/zero` never ends, a folder or a symbolic-link loop
 * cannot be read), its size is bounded before and while it is read, and JSON
 * is parsed only when its nesting depth is bounded. Every refusal is an
 * {@linkcode InputError} naming the file, the rule and the value, so the
 * command line exits 2 instead of hanging, growing without bound or crashing.
 *
 * Every reader of user files in the project goes through
 * {@linkcode readRegularFile} (WAV, manifest, bundle, limits, rig, sweep
 * parameters).
 *
 * @module
 */
import { InputError } from "./errors.ts";

/** Default size limit of a JSON file (manifest, bundle, limits, rig): 32 MiB. */
export const MAX_JSON_BYTES = 32 * 1024 * 1024;

/**
 * Default size limit of a WAV file: 1 GiB (a 10-minute 8-channel float32
 * recording at 48 kHz is 0.92 GB; decoding takes at most 4× the file size
 * more, as Float64 samples).
 */
export const MAX_WAV_BYTES = 1024 * 1024 * 1024;

/**
 * Default nesting limit of a JSON file. The project's formats nest at most 6
 * deep (limits: drivers → bands → ...); 64 leaves room for extra fields while
 * keeping every recursive reader far from the stack limit.
 */
export const MAX_JSON_DEPTH = 64;

/** Options of {@linkcode readRegularFile}. */
export interface ReadRegularFileOptions {
  /** What the file is, for messages (`"WAV"`, `"limits"`, `"manifest"`). */
  readonly what: string;
  /** Largest accepted size in bytes. */
  readonly maxBytes: number;
}

/**
 * Check, before opening it, that `path` is a regular file of at most
 * `maxBytes` (a FIFO would block the open itself). Synchronous, for readers
 * that read with `readSync`.
 *
 * @returns The file's information.
 * @throws {InputError} as {@linkcode readRegularFile}.
 */
export function checkRegularFileSync(
  path: string,
  options: ReadRegularFileOptions,
): Deno.FileInfo {
  const { what, maxBytes } = options;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    const reason = openReason(error);
    if (reason === undefined) throw error;
    throw new InputError(`Cannot read ${what} "${path}" as ${reason}`, {
      file: path,
      field: "path",
      value: path,
      cause: error,
    });
  }
  if (!info.isFile) {
    throw new InputError(`Cannot read ${what} "${path}" as ${notRegular(info)}`, {
      file: path,
      field: "path",
      value: path,
    });
  }
  if (info.size > maxBytes) {
    throw new InputError(
      `Cannot read ${what} "${path}" as it is too large: it has ${info.size} bytes, a ${what} file may have at most ${maxBytes}`,
      { file: path, field: "size", value: info.size },
    );
  }
  return info;
}

/** The kind of a non-regular file, in words. */
function kindText(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a folder";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

/** The reason a non-regular file is refused (`"it is a FIFO (named pipe), not a regular file"`). */
function notRegular(info: Deno.FileInfo): string {
  return info.isDirectory ? "it is a folder" : `it is ${kindText(info)}, not a regular file`;
}

/** Why opening or statting `path` failed, in words, or undefined for an unknown error. */
function openReason(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Deno.errors.NotFound || code === "ENOENT") return "the file does not exist";
  if (error instanceof Deno.errors.NotADirectory || code === "ENOTDIR") {
    return "a part of its path is a file, not a folder";
  }
  if (error instanceof Deno.errors.FilesystemLoop || code === "ELOOP") {
    return "its path has a symbolic-link loop (too many levels of symbolic links)";
  }
  if (error instanceof Deno.errors.PermissionDenied || code === "EACCES" || code === "EPERM") {
    return "it is not readable (permission denied)";
  }
  if (code === "ENAMETOOLONG") return "its name is too long for the file system";
  if (error instanceof Deno.errors.IsADirectory || code === "EISDIR") return "it is a folder";
  if (code === "EIO") return "the disk reported an I/O error";
  return undefined;
}

/**
 * Read a whole regular file, refusing anything else before opening it.
 *
 * Links are followed (a link to a regular file is read; a link to a FIFO or
 * device is refused). The size is checked against `maxBytes` from `stat`
 * before the file is opened and again while reading, so a file that grows
 * while it is read stops at `maxBytes + 1` bytes.
 *
 * @param path The file.
 * @param options `what` (for messages) and `maxBytes`.
 * @returns The file's bytes.
 * @throws {InputError} (field `"path"`, or `"size"`) for a missing file, a
 *   folder, a FIFO, a device, a socket, a link loop, an unreadable file or
 *   one larger than `maxBytes`; the message names the file and the reason.
 *
 * @example
 * ```ts
 * import { readRegularFile } from "./read_file.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.json`, "{}");
 * const bytes = await readRegularFile(`${dir}/a.json`, { what: "JSON", maxBytes: 1024 });
 * console.log(bytes.length); // 2
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readRegularFile(
  path: string,
  options: ReadRegularFileOptions,
): Promise<Uint8Array> {
  const { what, maxBytes } = options;
  const fail = (reason: string, field = "path", value: unknown = path, cause?: unknown): never => {
    throw new InputError(`Cannot read ${what} "${path}" as ${reason}`, {
      file: path,
      field,
      value,
      ...(cause === undefined ? {} : { cause }),
    });
  };
  const tooLarge = (size: number): never =>
    fail(
      `it is too large: it has ${size} bytes, a ${what} file may have at most ${maxBytes}`,
      "size",
      size,
    );
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    const reason = openReason(error);
    if (reason === undefined) throw error;
    return fail(reason, "path", path, error);
  }
  if (!info.isFile) fail(notRegular(info));
  if (info.size > maxBytes) tooLarge(info.size);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    const reason = openReason(error);
    if (reason === undefined) throw error;
    return fail(reason, "path", path, error);
  }
  try {
    // The file may have been swapped between stat and open: check the opened one.
    const opened = await file.stat();
    if (!opened.isFile) fail(notRegular(opened));
    const chunks: Uint8Array[] = [];
    let total = 0;
    const buffer = new Uint8Array(Math.min(Math.max(opened.size, 4096), maxBytes) + 1);
    for (;;) {
      const n = await file.read(buffer.subarray(0, Math.min(buffer.length, maxBytes + 1 - total)));
      if (n === null || n === 0) break;
      total += n;
      if (total > maxBytes) tooLarge(total);
      chunks.push(buffer.slice(0, n));
    }
    if (chunks.length === 1) return chunks[0]!;
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const c of chunks) {
      bytes.set(c, offset);
      offset += c.length;
    }
    return bytes;
  } catch (error) {
    if (error instanceof InputError) throw error;
    const reason = openReason(error);
    if (reason === undefined) throw error;
    return fail(reason, "path", path, error);
  } finally {
    file.close();
  }
}

/**
 * {@linkcode readRegularFile} decoded as UTF-8 text (invalid bytes are refused).
 *
 * @throws {InputError} as {@linkcode readRegularFile}, and (field `"encoding"`) for bytes
 *   that are not UTF-8.
 */
export async function readRegularTextFile(
  path: string,
  options: ReadRegularFileOptions,
): Promise<string> {
  const bytes = await readRegularFile(path, options);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new InputError(`Cannot read ${options.what} "${path}" as it is not UTF-8 text`, {
      file: path,
      field: "encoding",
      value: "not UTF-8",
      cause,
    });
  }
}

/** Options of {@linkcode parseJsonBounded}. */
export interface ParseJsonOptions {
  /** The file name for messages. */
  readonly file: string;
  /** What the file is, for messages (`"limits"`). */
  readonly what: string;
  /** Deepest accepted nesting of arrays and objects. Default {@linkcode MAX_JSON_DEPTH}. */
  readonly maxDepth?: number;
  /** The field named when the text is not JSON. Default `"(file)"`. */
  readonly field?: string;
}

/**
 * The deepest nesting of `[` / `{` in a JSON text (brackets inside strings
 * are not counted) and the offset where it is first exceeded past `limit`,
 * or -1 when it never is. Linear, no recursion.
 */
export function jsonDepthExceeded(text: string, limit: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return -1;
}

/**
 * `JSON.parse` with a nesting limit checked first, so that a hostile file
 * (4000 nested arrays) is refused with its name instead of overflowing the
 * stack of a later recursive reader.
 *
 * @param text The JSON text.
 * @param options File name, what it is and the depth limit.
 * @returns The parsed value.
 * @throws {InputError} (field `"nesting depth"` or `"(file)"`) naming the file, for nesting
 *   deeper than the limit or text that is not JSON.
 *
 * @example
 * ```ts
 * import { parseJsonBounded } from "./read_file.ts";
 * parseJsonBounded('{"a": [1, 2]}', { file: "a.json", what: "JSON" }); // { a: [1, 2] }
 * ```
 */
export function parseJsonBounded(text: string, options: ParseJsonOptions): unknown {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const at = jsonDepthExceeded(text, maxDepth);
  if (at >= 0) {
    throw new InputError(
      `Cannot read ${options.what} "${options.file}" as its JSON nests deeper than ${maxDepth} levels (at character ${at})`,
      { file: options.file, field: "nesting depth", value: `> ${maxDepth}` },
    );
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new InputError(
      `Cannot read ${options.what} "${options.file}" as it is not valid JSON: ${
        (cause as Error).message
      }`,
      { file: options.file, field: options.field ?? "(file)", value: text.slice(0, 40), cause },
    );
  }
}

/**
 * Read a regular JSON file with size and depth limits: {@linkcode readRegularTextFile} then
 * {@linkcode parseJsonBounded}.
 *
 * @param path The file.
 * @param what What it is, for messages.
 * @param maxBytes Size limit, default {@linkcode MAX_JSON_BYTES}.
 * @throws {InputError} naming the file, field and value.
 */
export async function readJsonFile(
  path: string,
  what: string,
  maxBytes = MAX_JSON_BYTES,
): Promise<unknown> {
  const text = await readRegularTextFile(path, { what, maxBytes });
  return parseJsonBounded(text, { file: path, what });
}
