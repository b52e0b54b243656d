/**
 * `deno task report`: one self-contained HTML page of plots and key numbers
 * for a measurement set, optionally its filter bundle and the line records.
 *
 * @module
 */
import { readMeasurementSet } from "../io/manifest.ts";
import { readBundle } from "../calibrate/bundle.ts";
import { readLimits } from "../calibrate/limits.ts";
import { openRecords, sqlitePathOf } from "../calibrate/records.ts";
import { writeFileAtomically } from "../io/atomic.ts";
import { buildReport } from "../report/report.ts";
import { SMOOTHING_FRACTIONS } from "../report/set_section.ts";
import {
  FRD_FOLDER_OUTPUT,
  PLOTS_FOLDER_OUTPUT,
  readFont,
  REPORT_HTML_OUTPUT,
  writeFrdFolder,
  writePlotsFolder,
} from "../report/export.ts";
import {
  booleanFlag,
  checkOutputWritable,
  checkPaths,
  type FlagPath,
  numberFlag,
  parseFlags,
  progressReporter,
  runCommand,
  stringFlag,
  UsageError,
} from "./_common.ts";

const HELP = `
deno task report --in SET [--bundle B] [--db URL [--since T] [--batch B] [--limits L]] --out report.html

Writes one self-contained HTML page (no network, no external script or font)
of plots rendered with Vega-Lite, each titled in plain words with units on
every axis and a short note on what is good and what is bad:
  set     per-driver magnitude (smoothed), phase, group delay, impulse
          response with onset and gate, THD and each harmonic order, each ear
          of a binaural head, the reference arc as polar plots and a
          frequency × angle map
  bundle  filter responses, separation per band at every head position
          against the target and the bare device, the center beam (polar
          plots and map against matrix mixing), drive effort
  line    yield over time, Pareto of failure reasons, control charts per
          check with limits, Cpk per check

  --in DIR             measurement set (required)
  --bundle DIR         filter bundle to show, evaluated on --in
  --db URL             verdict records (sqlite:<path>, a path, or postgres://…)
  --since TIME         only verdicts at or after this ISO 8601 time
  --batch ID           only verdicts of this batch
  --limits FILE        the limits the units were judged with (specification limits, Cpk)
  --smoothing N        magnitude smoothing, 1/N octave: ${
  SMOOTHING_FRACTIONS.join(", ")
} (default 6)
  --polar-bands HZ,…   bands of the arc's polar plots (default 500,1000,2000,4000,8000)
  --beam-bands HZ,…    bands of the center beam's polar plots (default 1000,2000,4000)
  --out FILE           the HTML page (required)
  --plots-dir DIR      also write every plot as DIR/<id>.svg and DIR/<id>.png
  --frd-dir DIR        also write every capture's response as DIR/<ir name>.frd (Hz dB deg)
  --font FILE          TrueType font of the PNGs (default Debian's DejaVu Sans)
  --force              replace existing outputs
  --json               print every number shown on the page as JSON on stdout

Exit codes: 0 done, 2 bad input, 3 internal error.
`;

function bandsFlag(v: Record<string, unknown>, name: string): number[] | undefined {
  const text = v[name];
  if (text === undefined) return undefined;
  const values = String(text).split(",").map((s) => Number(s.trim()));
  if (values.length === 0 || values.some((x) => !(x > 0) || !Number.isFinite(x))) {
    throw new UsageError(
      `Cannot use --${name} as it must be a comma-separated list of frequencies in Hz > 0: current value is "${text}"`,
    );
  }
  return values;
}

await runCommand(HELP, async (args) => {
  const v = parseFlags("report", args, {
    in: { type: "string" },
    bundle: { type: "string" },
    db: { type: "string" },
    since: { type: "string" },
    batch: { type: "string" },
    limits: { type: "string" },
    smoothing: { type: "string" },
    "polar-bands": { type: "string" },
    "beam-bands": { type: "string" },
    out: { type: "string" },
    "plots-dir": { type: "string" },
    "frd-dir": { type: "string" },
    font: { type: "string" },
    force: { type: "boolean" },
    json: { type: "boolean" },
  });
  const setPath = stringFlag(v, "in", true);
  const out = stringFlag(v, "out", true);
  const bundlePath = stringFlag(v, "bundle");
  const dbUrl = stringFlag(v, "db");
  const since = stringFlag(v, "since");
  const batch = stringFlag(v, "batch");
  const limitsPath = stringFlag(v, "limits");
  const plotsDir = stringFlag(v, "plots-dir");
  const frdDir = stringFlag(v, "frd-dir");
  const force = booleanFlag(v, "force");
  if ((since !== undefined || batch !== undefined || limitsPath !== undefined) && !dbUrl) {
    throw new UsageError("Cannot use --since, --batch or --limits without --db (see --help)");
  }
  if (since !== undefined && Number.isNaN(Date.parse(since))) {
    throw new UsageError(
      `Cannot use --since as it must be an ISO 8601 time: current value is "${since}"`,
    );
  }
  const smoothing = numberFlag(v, "smoothing", 6);
  if (!(SMOOTHING_FRACTIONS as readonly number[]).includes(smoothing)) {
    throw new UsageError(
      `Cannot use --smoothing as it must be one of ${
        SMOOTHING_FRACTIONS.join(", ")
      } (1/N octave): current value is ${smoothing}`,
    );
  }
  const polarBandsHz = bandsFlag(v, "polar-bands");
  const beamBandsHz = bandsFlag(v, "beam-bands");
  // Every output is checked before any work.
  const inputs: FlagPath[] = [{ flag: "--in", path: setPath }];
  if (bundlePath) inputs.push({ flag: "--bundle", path: bundlePath });
  const dbPath = sqlitePathOf(dbUrl);
  if (dbPath) inputs.push({ flag: "--db", path: dbPath });
  if (limitsPath) inputs.push({ flag: "--limits", path: limitsPath });
  const outputs: FlagPath[] = [{ flag: "--out", path: out }];
  if (plotsDir) outputs.push({ flag: "--plots-dir", path: plotsDir });
  if (frdDir) outputs.push({ flag: "--frd-dir", path: frdDir });
  await checkPaths({ inputs, outputs });
  await checkOutputWritable("--out", out, { force, own: REPORT_HTML_OUTPUT });
  if (plotsDir) {
    await checkOutputWritable("--plots-dir", plotsDir, {
      force,
      kind: "folder",
      own: PLOTS_FOLDER_OUTPUT,
    });
  }
  if (frdDir) {
    await checkOutputWritable("--frd-dir", frdDir, {
      force,
      kind: "folder",
      own: FRD_FOLDER_OUTPUT,
    });
  }
  const font = plotsDir ? await readFont(stringFlag(v, "font")) : undefined;

  const set = await readMeasurementSet(setPath);
  const bundle = bundlePath ? await readBundle(bundlePath) : undefined;
  const limits = limitsPath ? await readLimits(limitsPath) : undefined;
  const store = dbUrl ? await openRecords(dbUrl, { mustExist: true }) : undefined;
  try {
    const report = await buildReport({
      set,
      ...(bundle ? { bundle } : {}),
      ...(store
        ? {
          line: {
            store,
            query: { ...(since ? { since } : {}), ...(batch ? { batch } : {}) },
            ...(limits ? { limits } : {}),
          },
        }
        : {}),
    }, {
      smoothingFraction: smoothing,
      ...(polarBandsHz ? { polarBandsHz } : {}),
      ...(beamBandsHz ? { beamBandsHz } : {}),
      onProgress: progressReporter("report: plots"),
    });
    await writeFileAtomically(out, new TextEncoder().encode(report.html));
    if (plotsDir) {
      await writePlotsFolder(plotsDir, report.plots, {
        font: font!,
        force,
        onProgress: progressReporter("report: PNG"),
      });
    }
    if (frdDir) await writeFrdFolder(frdDir, set, { force });
    if (booleanFlag(v, "json")) {
      console.log(JSON.stringify(
        {
          title: report.title,
          out,
          plots: report.plots.map((p) => ({ id: p.id, section: p.section, title: p.title })),
          numbers: report.numbers,
        },
        null,
        2,
      ));
    } else {
      console.log(
        `report: ${out} (${report.plots.length} plots, ${
          (report.html.length / 1024).toFixed(0)
        } kB)`,
      );
    }
  } finally {
    await store?.close();
  }
  return 0;
});
