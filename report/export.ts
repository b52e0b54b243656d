/**
 * Report outputs besides the page: every plot as SVG and PNG in a folder, and
 * every capture's response as FRD text in a folder. Both folders are written
 * atomically (staged, then renamed into place).
 *
 * @module
 */
import { join } from "node:path";
import type { MeasurementSet } from "../io/manifest.ts";
import { InputError } from "../io/errors.ts";
import { writeFolderAtomically } from "../io/atomic.ts";
import { type RenderedPlot, svgToPng } from "./charts.ts";
import { frdFileName, frdText } from "./frd.ts";

/** Debian's DejaVu Sans (package fonts-dejavu-core), the font PNGs are drawn with by default. */
export const DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/** Read the font used for PNGs, with a message that says how to get it. */
export async function readFont(path = DEFAULT_FONT_PATH): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    throw new InputError(
      `Cannot draw PNG plots as the font "${path}" cannot be read (${
        (error as Error).message
      }): install fonts-dejavu-core or pass --font FILE.ttf`,
      { file: path, field: "font", value: path },
    );
  }
}

/**
 * Write `<id>.svg` and `<id>.png` of every plot into `folder`.
 *
 * @param folder The output folder (must not exist unless `force`).
 * @param plots Rendered plots.
 * @param options `font` bytes for the PNGs, `force`, progress callback.
 * @returns The file names written.
 */
export async function writePlotsFolder(
  folder: string,
  plots: readonly RenderedPlot[],
  options: {
    readonly font: Uint8Array;
    readonly force?: boolean;
    readonly onProgress?: (done: number, total: number, item: string) => void;
  },
): Promise<string[]> {
  return await writeFolderAtomically(folder, async (tmp) => {
    const names: string[] = [];
    let done = 0;
    for (const p of plots) {
      const svg = `<?xml version="1.0" encoding="UTF-8"?>\n${p.svg}`;
      await Deno.writeTextFile(join(tmp, `${p.id}.svg`), svg);
      await Deno.writeFile(join(tmp, `${p.id}.png`), await svgToPng(p.svg, options.font));
      names.push(`${p.id}.svg`, `${p.id}.png`);
      options.onProgress?.(++done, plots.length, p.id);
    }
    return names;
  }, { force: options.force ?? false });
}

/**
 * Write one FRD file per capture of a set into `folder` (named after the
 * capture's IR file).
 *
 * @returns The file names written.
 */
export async function writeFrdFolder(
  folder: string,
  set: MeasurementSet,
  options: { readonly force?: boolean } = {},
): Promise<string[]> {
  const m = set.manifest;
  return await writeFolderAtomically(folder, async (tmp) => {
    const names: string[] = [];
    for (const c of m.captures) {
      const ir = (await set.readIr(c)).channels[0]!;
      const p = c.position;
      const name = frdFileName(c.ir);
      await Deno.writeTextFile(
        join(tmp, name),
        frdText(
          ir,
          m.sampleRate,
          `spatialcal ${m.device.model} ${m.device.serial} ${c.driver} at ${c.mic}, azimuth ${p.azimuthDeg} deg, elevation ${p.elevationDeg} deg, ${p.distanceMeters} m`,
        ),
      );
      names.push(name);
    }
    return names;
  }, { force: options.force ?? false });
}
