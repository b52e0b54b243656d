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
import type { OwnOutput } from "../io/own_output.ts";
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
  }, { force: options.force ?? false, own: PLOTS_FOLDER_OUTPUT });
}

/** A folder `--force` may replace when it holds only files of these endings (no subfolders). */
function ownFilesFolder(what: string, endings: readonly string[]): OwnOutput {
  return {
    description: `${what} (a folder of ${endings.join(" / ")} files only)`,
    problem: async (path) => {
      const info = await Deno.lstat(path);
      if (info.isSymlink) return "it is a symbolic link";
      if (!info.isDirectory) return "it is not a folder";
      for await (const e of Deno.readDir(path)) {
        if (!e.isFile || !endings.some((x) => e.name.endsWith(x))) {
          return `it holds "${e.name}", which is not a ${endings.join(" / ")} file`;
        }
      }
      return undefined;
    },
  };
}

/** A plots folder as `--force` may replace it: SVG and PNG files only. */
export const PLOTS_FOLDER_OUTPUT: OwnOutput = ownFilesFolder("a plots folder", [".svg", ".png"]);

/** An FRD folder as `--force` may replace it: FRD files only. */
export const FRD_FOLDER_OUTPUT: OwnOutput = ownFilesFolder("an FRD folder", [".frd"]);

/** A report as `--force` may replace it: an HTML file that names spatialcal as its generator. */
export const REPORT_HTML_OUTPUT: OwnOutput = {
  description:
    'a spatialcal report (HTML with <meta name="generator" content="spatialcal report">)',
  problem: async (path) => {
    const info = await Deno.lstat(path);
    if (!info.isFile) return "it is not a regular file";
    const file = await Deno.open(path, { read: true });
    try {
      const head = new Uint8Array(1024);
      let got = 0;
      while (got < head.length) {
        const n = await file.read(head.subarray(got));
        if (n === null) break;
        got += n;
      }
      const text = new TextDecoder().decode(head.subarray(0, got));
      return text.includes('<meta name="generator" content="spatialcal report">')
        ? undefined
        : "it is not a report this tool wrote (no spatialcal generator tag in its head)";
    } finally {
      file.close();
    }
  },
};

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
  }, { force: options.force ?? false, own: FRD_FOLDER_OUTPUT });
}
