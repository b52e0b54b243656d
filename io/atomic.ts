/**
 * Atomic writes: a file or a whole folder is built under a temporary sibling
 * name and renamed into place, so a reader never sees a half-written result
 * and a failed run leaves nothing behind (DESIGN.md "Command line": every
 * write goes to a temporary name and is renamed into place).
 *
 * A rename is atomic only within one file system; the temporary name is a
 * sibling of the final path for that reason.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { InputError } from "./errors.ts";

/** Options of {@linkcode writeFolderAtomically}. */
export interface WriteFolderOptions {
  /**
   * Replace an existing file or folder at the final path. The old one is
   * renamed aside and removed only after the new one is in place.
   * Default `false`: an existing path is refused with an {@linkcode InputError}.
   */
  readonly force?: boolean;
}

/** A short random hex tag for temporary names (8 hex digits from WebCrypto). */
function randomTag(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Sibling path `.<name>.<kind>-<random>` beside `path`. */
function siblingPath(path: string, kind: string): string {
  return join(dirname(path), `.${basename(path)}.${kind}-${randomTag()}`);
}

/** Whether anything (file, folder, link) exists at `path`, without following links. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Remove `path` recursively, ignoring a path that is already gone. */
async function removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

function refuseExisting(finalPath: string): never {
  throw new InputError(
    `Cannot write "${finalPath}" as it already exists: pass force (--force) to replace it`,
    { file: finalPath, field: "out", value: finalPath },
  );
}

/**
 * Build a folder under a temporary sibling name (`.<name>.tmp-<random>`) and
 * rename it into place.
 *
 * Steps: refuse when `finalPath` exists and `force` is not set; create the
 * parent folders and the temporary folder; `await fill(tmpDir)`; rename the
 * temporary folder to `finalPath`. With `force`, an existing `finalPath` is
 * first renamed aside (`.<name>.old-<random>`) and removed only once the new
 * folder is in place. On any error the temporary folder is removed and an
 * existing folder is left untouched (restored if it had been moved aside).
 *
 * @param finalPath Path of the folder to create.
 * @param fill Writes the folder's content into `tmpDir`; its result is returned.
 * @param options `force` to replace an existing path.
 * @returns What `fill` returned.
 * @throws {InputError} (field `"out"`) if `finalPath` exists and `force` is not set.
 *
 * @example
 * ```ts
 * import { writeFolderAtomically } from "./atomic.ts";
 * const root = await Deno.makeTempDir();
 * await writeFolderAtomically(`${root}/set`, async (tmp) => {
 *   await Deno.writeTextFile(`${tmp}/manifest.json`, "{}");
 * });
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function writeFolderAtomically<T>(
  finalPath: string,
  fill: (tmpDir: string) => Promise<T>,
  options: WriteFolderOptions = {},
): Promise<T> {
  const force = options.force ?? false;
  if (!force && await exists(finalPath)) refuseExisting(finalPath);
  await Deno.mkdir(dirname(finalPath), { recursive: true });
  const tmpDir = siblingPath(finalPath, "tmp");
  await Deno.mkdir(tmpDir);
  let result: T;
  try {
    result = await fill(tmpDir);
    // Checked again: the folder may have appeared while `fill` ran, and a
    // rename onto an existing empty folder would silently replace it.
    const present = await exists(finalPath);
    if (present && !force) refuseExisting(finalPath);
    if (!present) {
      await Deno.rename(tmpDir, finalPath);
      return result;
    }
    const aside = siblingPath(finalPath, "old");
    await Deno.rename(finalPath, aside);
    try {
      await Deno.rename(tmpDir, finalPath);
    } catch (error) {
      await Deno.rename(aside, finalPath);
      throw error;
    }
    await removeQuietly(aside);
    return result;
  } catch (error) {
    await removeQuietly(tmpDir);
    throw error;
  }
}

/**
 * Write a file atomically: the bytes go to a temporary sibling
 * (`.<name>.tmp-<random>`) which is then renamed over `path`. An existing
 * file is replaced; on error the temporary file is removed and the old file
 * is untouched. The parent folder must exist.
 *
 * @param path Final file path.
 * @param bytes File content.
 *
 * @example
 * ```ts
 * import { writeFileAtomically } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomically(`${dir}/a.txt`, new TextEncoder().encode("hi"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const tmpPath = siblingPath(path, "tmp");
  try {
    await Deno.writeFile(tmpPath, bytes, { createNew: true });
    await Deno.rename(tmpPath, path);
  } catch (error) {
    await removeQuietly(tmpPath);
    throw error;
  }
}

/**
 * SHA-256 of some bytes as 64 lowercase hex digits (WebCrypto
 * `crypto.subtle.digest`; FIPS 180-4). Used for the `files` table of a filter
 * bundle and the `source.sha256` of a measurement set.
 *
 * @param bytes The data to hash.
 * @returns The digest in hex.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./atomic.ts";
 * await sha256Hex(new TextEncoder().encode("abc"));
 * // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // Copy into a plain ArrayBuffer-backed view: digest() does not accept a
  // SharedArrayBuffer-backed one.
  const data = bytes.buffer instanceof ArrayBuffer
    ? bytes as Uint8Array<ArrayBuffer>
    : new Uint8Array(bytes);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
