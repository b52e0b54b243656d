/**
 * Reading the JSON file that describes a folder format (a measurement
 * set's `manifest.json`, a filter bundle's `bundle.json`), with errors that
 * say whether the folder, the file or its JSON is at fault.
 *
 * @module
 */
import { join } from "node:path";
import { InputError } from "./errors.ts";
import { MAX_JSON_BYTES, parseJsonBounded, readRegularTextFile } from "./read_file.ts";

/**
 * Read and parse `<folder>/<fileName>`.
 *
 * @param folder The folder.
 * @param fileName The descriptor's file name (`"manifest.json"`).
 * @param what What the folder and the file are, for messages
 *   (`{ folder: "measurement set", file: "manifest" }`); `file` is also the
 *   field named for invalid JSON.
 * @returns The parsed JSON and the file's path.
 * @throws {InputError} for a missing folder, a path that is not a folder, a
 *   missing file (field = the file name) or invalid JSON.
 */
export async function readFolderJson(
  folder: string,
  fileName: string,
  what: { readonly folder: string; readonly file: string },
): Promise<{ json: unknown; path: string }> {
  const path = join(folder, fileName);
  const info = await Deno.stat(folder).catch((error) => error as Error);
  if (info instanceof Error || !info.isDirectory) {
    const loop = info instanceof Deno.errors.FilesystemLoop;
    const reason = info instanceof Error
      ? loop ? "its path has a symbolic-link loop" : "the folder does not exist"
      : "it is not a folder";
    throw new InputError(`Cannot read ${what.folder} "${folder}" as ${reason}`, {
      file: folder,
      field: "folder",
      value: folder,
      ...(info instanceof Error ? { cause: info } : {}),
    });
  }
  let text: string;
  try {
    text = await readRegularTextFile(path, { what: what.file, maxBytes: MAX_JSON_BYTES });
  } catch (error) {
    if (error instanceof InputError && error.cause instanceof Deno.errors.NotFound) {
      throw new InputError(`Cannot read ${what.folder} "${folder}" as it has no ${fileName}`, {
        file: path,
        field: fileName,
        value: folder,
        cause: error.cause,
      });
    }
    throw error;
  }
  return { json: parseJsonBounded(text, { file: path, what: what.file, field: what.file }), path };
}
