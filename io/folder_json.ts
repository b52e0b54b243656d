/**
 * Reading the JSON file that describes a folder format (a measurement
 * set's `manifest.json`, a filter bundle's `bundle.json`), with errors that
 * say whether the folder, the file or its JSON is at fault.
 *
 * @module
 */
import { join } from "node:path";
import { InputError } from "./errors.ts";

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
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory)) {
      throw error;
    }
    const info = await Deno.stat(folder).catch(() => undefined);
    const [reason, file, field] = info === undefined
      ? ["the folder does not exist", folder, "folder"]
      : !info.isDirectory
      ? ["it is not a folder", folder, "folder"]
      : [`it has no ${fileName}`, path, fileName];
    throw new InputError(`Cannot read ${what.folder} "${folder}" as ${reason}`, {
      file,
      field,
      value: folder,
      cause: error,
    });
  }
  try {
    return { json: JSON.parse(text), path };
  } catch (error) {
    throw new InputError(
      `Cannot read ${what.file} "${path}" as it is not valid JSON: ${(error as Error).message}`,
      { file: path, field: what.file, value: undefined, cause: error },
    );
  }
}
