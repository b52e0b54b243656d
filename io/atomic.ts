/**
 * Atomic writes: a file or a whole folder is built under a temporary sibling
 * name and renamed into place, so a reader never sees a half-written result
 * and a failed run leaves nothing behind (DESIGN.md "Command line": every
 * write goes to a temporary name and is renamed into place).
 *
 * A rename is atomic only within one file system; the temporary name is a
 * sibling of the final path for that reason. Temporary names carry the
 * process id (`.<name>.tmp-<pid>-<random>`, `.<name>.old-<pid>-<random>`):
 * the staging of a process that was killed (`kill -9`, power loss) is removed
 * by the next atomic write into the same folder once that process is gone
 * (checked through `/proc/<pid>` on Linux; elsewhere staging is never removed).
 *
 * Durability: every file is written, `fsync`ed and closed before it is
 * renamed, and the folder holding a renamed entry is `fsync`ed after the
 * rename, so that after a power loss a reader finds either the old or the new
 * content, never a renamed but empty file (POSIX `rename(2)` orders names, not
 * data; ext4's `auto_da_alloc` heuristics are not relied on).
 *
 * Failures to create, write or rename the target (missing or read-only
 * folder, permission denied, a folder where a file should go, a full disk) are
 * {@linkcode InputError}s naming the path and the reason: the user chose the
 * path, so it is bad input (exit code 2), not an internal error.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { InputError } from "./errors.ts";
import { checkReplaceable, type OwnOutput } from "./own_output.ts";

/** Options of {@linkcode writeFolderAtomically}. */
export interface WriteFolderOptions {
  /**
   * Replace an existing folder at the final path. The old one is renamed
   * aside and removed only after the new one is in place. An existing file is
   * never replaced by a folder. Default `false`: an existing path is refused
   * with an {@linkcode InputError}.
   */
  readonly force?: boolean;
  /**
   * What `force` may replace: an existing folder is replaced only when this recognizes it as
   * the tool's own output ({@linkcode checkReplaceable} in `io/own_output.ts`), checked before
   * `fill` runs and again before the old folder is moved aside. Without it, `force` replaces
   * nothing.
   */
  readonly own?: OwnOutput;
}

/** A short random hex tag for temporary names (8 hex digits from WebCrypto). */
function randomTag(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Sibling path `.<name>.<kind>-<pid>-<random>` beside `path`. */
function siblingPath(path: string, kind: "tmp" | "old"): string {
  return join(dirname(path), `.${basename(path)}.${kind}-${Deno.pid}-${randomTag()}`);
}

/** The staging names this module makes: `.<name>.<tmp|old>-<pid>-<8 hex digits>`. */
const STAGING_NAME = /^\.(.+)\.(tmp|old)-(\d+)-[0-9a-f]{8}$/;

/**
 * Whether anything (file, folder, link) exists at `path`, without following
 * links (`Deno.lstat`); errors other than "not found" are thrown.
 *
 * @param path The path to look at.
 */
export async function pathExists(path: string): Promise<boolean> {
  return (await kindOf(path)) !== undefined;
}

/** `"folder"`, `"file"` (anything else, links included) or `undefined` when absent. */
async function kindOf(path: string): Promise<"file" | "folder" | undefined> {
  try {
    return (await Deno.lstat(path)).isDirectory ? "folder" : "file";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
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

/**
 * Whether process `pid` is certainly gone. Linux only (`/proc/<pid>`);
 * elsewhere every process counts as alive so that no staging is removed.
 */
async function processIsGone(pid: number): Promise<boolean> {
  if (pid === Deno.pid || Deno.build.os !== "linux") return false;
  try {
    await Deno.stat("/proc/self");
  } catch {
    return false; // no procfs mounted: cannot tell
  }
  return !(await pathExists(`/proc/${pid}`));
}

/**
 * Folders already cleaned by this process: one scan per folder and process is
 * enough (a folder of a measurement session gets hundreds of writes), so this
 * cache is the module's only state.
 */
const cleanedFolders = new Set<string>();

/**
 * Remove the staging that dead processes left in `folder`: every
 * `.<name>.tmp-<pid>-*`, and every `.<name>.old-<pid>-*` whose `<name>` is in
 * place again (otherwise the old copy may be the only one left, and it stays).
 * Errors are ignored: cleaning is a courtesy, never a reason to fail a write.
 * Called by every atomic write (once per folder and process).
 *
 * @param folder The folder to clean.
 */
export async function removeStaleStaging(folder: string): Promise<void> {
  if (cleanedFolders.has(folder)) return;
  cleanedFolders.add(folder);
  try {
    for await (const entry of Deno.readDir(folder)) {
      const m = STAGING_NAME.exec(entry.name);
      if (!m || !(await processIsGone(Number(m[3])))) continue;
      if (m[2] === "old" && !(await pathExists(join(folder, m[1]!)))) continue;
      await removeQuietly(join(folder, entry.name)).catch(() => {});
    }
  } catch {
    // A folder we cannot list: the write itself reports the problem.
  }
}

/**
 * Why a file-system error stops writing `path`, in words, or `undefined`
 * for an error that is not the user's (disk full, I/O error: those stay
 * internal errors).
 */
async function writeReason(path: string, error: unknown): Promise<string | undefined> {
  const code = (error as { code?: unknown } | null)?.code;
  const folder = dirname(path);
  if (error instanceof Deno.errors.NotFound || code === "ENOENT") {
    return (await kindOf(folder)) === "folder"
      ? `its folder "${folder}" does not accept new files (no such file or directory)`
      : `its folder "${folder}" does not exist`;
  }
  if (error instanceof Deno.errors.PermissionDenied || code === "EACCES" || code === "EPERM") {
    return `its folder "${folder}" is not writable (permission denied)`;
  }
  if (code === "EROFS") return `its folder "${folder}" is on a read-only file system`;
  if (error instanceof Deno.errors.IsADirectory || code === "EISDIR") {
    return "a folder of that name exists and a file cannot replace it";
  }
  if (error instanceof Deno.errors.NotADirectory || code === "ENOTDIR") {
    return (await kindOf(path)) === "file"
      ? "a file of that name exists and a folder cannot replace it"
      : `a part of its folder path "${folder}" is a file, not a folder`;
  }
  if (error instanceof Deno.errors.AlreadyExists || code === "EEXIST") {
    return "it already exists";
  }
  if (code === "ENOTEMPTY") return "a folder of that name appeared and is not empty";
  if (code === "ENAMETOOLONG") return "its name is too long";
  if (code === "ENOSPC") return "the disk is full (no space left on device)";
  if (code === "EDQUOT") return "the disk quota is exceeded";
  if (code === "EFBIG") return "the file is larger than the file system allows";
  if (code === "ELOOP") return "its path has too many symbolic links";
  return undefined;
}

/**
 * Write `bytes` to a new file `path` (it must not exist), `fsync` it and
 * close it. A partial file left by a failed write is removed.
 */
async function writeAndSync(path: string, bytes: Uint8Array): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true });
  try {
    let offset = 0;
    while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
    await file.sync();
  } catch (error) {
    file.close();
    await removeQuietly(path).catch(() => {});
    throw error;
  }
  file.close();
}

/** `fsync` a folder, so that the names created or renamed in it are on disk. */
export async function syncFolder(folder: string): Promise<void> {
  const dir = await Deno.open(folder, { read: true });
  try {
    await dir.sync();
  } finally {
    dir.close();
  }
}

/** `fsync` every file and folder under `root` (and `root` itself), deepest first. */
async function syncTree(root: string): Promise<void> {
  for await (const entry of Deno.readDir(root)) {
    const path = join(root, entry.name);
    if (entry.isDirectory) await syncTree(path);
    else if (entry.isFile) {
      const file = await Deno.open(path, { read: true });
      try {
        await file.sync();
      } finally {
        file.close();
      }
    }
  }
  await syncFolder(root);
}

/** Run a file-system step on the way to `path`; user-caused failures become InputErrors. */
async function step<T>(path: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof InputError) throw error;
    const reason = await writeReason(path, error);
    if (reason === undefined) throw error;
    throw new InputError(`Cannot write "${path}" as ${reason}`, {
      file: path,
      field: "out",
      value: path,
      cause: error,
    });
  }
}

/**
 * Run `fill` of a folder write: a full disk (or quota, file size limit) while
 * it writes becomes an InputError naming the folder being written. Other
 * errors pass unchanged: `fill` may also read inputs, whose errors are not
 * about the output.
 */
async function fillStep<T>(path: string, fill: () => Promise<T>): Promise<T> {
  try {
    return await fill();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (error instanceof InputError || !["ENOSPC", "EDQUOT", "EFBIG"].includes(String(code))) {
      throw error;
    }
    const reason = (await writeReason(path, error))!;
    throw new InputError(`Cannot write "${path}" as ${reason}`, {
      file: path,
      field: "out",
      value: path,
      cause: error,
    });
  }
}

function refuseExisting(finalPath: string): never {
  throw new InputError(
    `Cannot write "${finalPath}" as it already exists: pass force (--force) to replace it`,
    { file: finalPath, field: "out", value: finalPath },
  );
}

function refuseKind(finalPath: string, present: "file" | "folder"): never {
  const message = present === "folder"
    ? `Cannot write "${finalPath}" as a folder of that name exists and a file cannot replace it (even with --force): remove it or choose another path`
    : `Cannot write "${finalPath}" as a file of that name exists and a folder cannot replace it (even with --force): remove it or choose another path`;
  throw new InputError(message, { file: finalPath, field: "out", value: finalPath });
}

/**
 * Check that a file can be created in `folder` by creating and removing an
 * empty hidden staging file there (`.<name>.tmp-<pid>-<random>`): the only
 * test that sees read-only mounts, `/proc`-like file systems and permissions
 * alike. Used by command-line preflight checks before long work.
 *
 * @param folder An existing folder.
 * @param forPath The output path the check is for, named in the message.
 * @throws {InputError} (field `"out"`) naming `forPath` and the reason.
 */
export async function checkFolderWritable(folder: string, forPath: string): Promise<void> {
  const probe = join(folder, `.${basename(forPath)}.tmp-${Deno.pid}-${randomTag()}`);
  await step(join(folder, basename(forPath)), async () => {
    await Deno.writeFile(probe, new Uint8Array(0), { createNew: true });
  });
  await removeQuietly(probe);
}

/**
 * Build a folder under a temporary sibling name (`.<name>.tmp-<pid>-<random>`)
 * and rename it into place.
 *
 * Steps: remove stale staging of dead processes beside `finalPath`; refuse
 * when `finalPath` exists and `force` is not set, or when it is a file; create
 * the parent folders and the temporary folder; `await fill(tmpDir)`; rename
 * the temporary folder to `finalPath`. With `force`, an existing folder is
 * first renamed aside (`.<name>.old-<pid>-<random>`) and removed only once the
 * new folder is in place. On any error the temporary folder is removed and an
 * existing folder is left untouched (restored if it had been moved aside).
 *
 * @param finalPath Path of the folder to create.
 * @param fill Writes the folder's content into `tmpDir`; its result is returned.
 * @param options `force` to replace an existing folder that `own` recognizes.
 * @returns What `fill` returned.
 * @throws {InputError} (field `"out"`) if `finalPath` exists and `force` is not set, if it is
 *   a file or a folder `own` does not recognize, or if the folder cannot be created there (the message names the path and why).
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
  const before = await step(finalPath, () => kindOf(finalPath));
  if (before !== undefined && !force) refuseExisting(finalPath);
  if (before === "file") refuseKind(finalPath, "file");
  if (before !== undefined) await checkReplaceable(finalPath, options.own);
  await step(finalPath, () => Deno.mkdir(dirname(finalPath), { recursive: true }));
  await removeStaleStaging(dirname(finalPath));
  const tmpDir = siblingPath(finalPath, "tmp");
  await step(finalPath, () => Deno.mkdir(tmpDir));
  let result: T;
  try {
    result = await fillStep(finalPath, () => fill(tmpDir));
    await step(finalPath, () => syncTree(tmpDir));
    // Checked again: the folder may have appeared while `fill` ran, and a
    // rename onto an existing empty folder would silently replace it.
    const present = await kindOf(finalPath);
    if (present !== undefined && !force) refuseExisting(finalPath);
    if (present === "file") refuseKind(finalPath, "file");
    if (present === undefined) {
      await step(finalPath, () => Deno.rename(tmpDir, finalPath));
      await step(finalPath, () => syncFolder(dirname(finalPath)));
      return result;
    }
    await checkReplaceable(finalPath, options.own);
    const aside = siblingPath(finalPath, "old");
    await step(finalPath, () => Deno.rename(finalPath, aside));
    try {
      await step(finalPath, () => Deno.rename(tmpDir, finalPath));
    } catch (error) {
      await Deno.rename(aside, finalPath);
      throw error;
    }
    await step(finalPath, () => syncFolder(dirname(finalPath)));
    await removeQuietly(aside);
    return result;
  } catch (error) {
    await removeQuietly(tmpDir);
    throw error;
  }
}

/** One file of {@linkcode writeFilesAtomically}. */
export interface FileToWrite {
  /** Final file path. */
  readonly path: string;
  /** File content. */
  readonly bytes: Uint8Array;
}

/**
 * Write several files as one unit, as far as a file system allows: every
 * file is first written in full to a temporary sibling
 * (`.<name>.tmp-<pid>-<random>`); only when all are written are they renamed
 * into place, existing files being moved aside first. If any step fails, the
 * files already renamed are removed, the old ones restored and the temporary
 * ones removed: either all files are written or none (a crash between two
 * renames can still leave some).
 *
 * Existing files are replaced (the command line decides about `--force`
 * before); an existing folder at a path is refused. Parent folders must exist.
 *
 * @param files The files to write; paths must differ.
 * @throws {InputError} (field `"out"`) naming the path and the reason when a file cannot be
 *   written there (missing or read-only folder, permission denied, a folder of that name).
 *
 * @example
 * ```ts
 * import { writeFilesAtomically } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * const bytes = new TextEncoder().encode("hi");
 * await writeFilesAtomically([{ path: `${dir}/a.txt`, bytes }, { path: `${dir}/b.txt`, bytes }]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFilesAtomically(files: readonly FileToWrite[]): Promise<void> {
  const staged: { path: string; tmp: string; aside?: string; placed: boolean }[] = [];
  try {
    for (const { path, bytes } of files) {
      if ((await step(path, () => kindOf(path))) === "folder") refuseKind(path, "folder");
      await removeStaleStaging(dirname(path));
      const tmp = siblingPath(path, "tmp");
      staged.push({ path, tmp, placed: false });
      await step(path, () => writeAndSync(tmp, bytes));
    }
    for (const s of staged) {
      // A single file is renamed straight over the old one (atomic replace); several are
      // moved aside first so that all old ones can be restored if a later rename fails.
      if (staged.length > 1 && await pathExists(s.path)) {
        const aside = siblingPath(s.path, "old");
        await step(s.path, () => Deno.rename(s.path, aside));
        s.aside = aside;
      }
      await step(s.path, () => Deno.rename(s.tmp, s.path));
      s.placed = true;
    }
    for (const folder of new Set(staged.map((s) => dirname(s.path)))) {
      await step(folder, () => syncFolder(folder));
    }
  } catch (error) {
    for (const s of staged.reverse()) {
      await removeQuietly(s.tmp).catch(() => {});
      if (s.placed) await removeQuietly(s.path).catch(() => {});
      if (s.aside !== undefined) await Deno.rename(s.aside, s.path).catch(() => {});
    }
    throw error;
  }
  for (const s of staged) if (s.aside !== undefined) await removeQuietly(s.aside);
}

/**
 * Write a file atomically: the bytes go to a temporary sibling
 * (`.<name>.tmp-<pid>-<random>`) which is then renamed over `path`. An
 * existing file is replaced; an existing folder is refused. On error the
 * temporary file is removed and the old file is untouched. The parent folder
 * must exist.
 *
 * @param path Final file path.
 * @param bytes File content.
 * @throws {InputError} (field `"out"`) naming the path and the reason when the file cannot be
 *   written there (missing or read-only folder, permission denied, a folder of that name).
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
  await writeFilesAtomically([{ path, bytes }]);
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
