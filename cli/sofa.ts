/**
 * `deno task sofa`: write a measurement set as a SOFA (AES69-2022) file.
 *
 * @module
 */
import { readMeasurementSet } from "../io/manifest.ts";
import { type SofaSetConvention, writeMeasurementSetSofa } from "../io/sofa_set.ts";
import {
  booleanFlag,
  checkOutputWritable,
  checkPaths,
  parseFlags,
  runCommand,
  stringFlag,
  UsageError,
} from "./_common.ts";

const HELP = `
deno task sofa --in SET --out FILE.sofa [options]

Writes the measurement set SET as a SOFA file (AES69-2022, HDF5), readable by
h5py, libmysofa, the SOFA Toolbox, pyfar/sofar and the like.

  --in SET                  measurement-set folder (required)
  --out FILE                .sofa file to write (required)
  --convention C            GeneralFIR-E (default): emitters = the device's drivers,
                            receivers = the mics, measurements = the positions
                            (device at the origin facing +x; listener positions
                            spherical, as in the manifest; ListenerView = the head's
                            facing). Missing driver × mic × position IRs are zeros,
                            listed in the attribute SpatialcalMissingCaptures.
                            SimpleFreeFieldHRIR: a binaural set of one driver whose
                            head stays in front of the device (azimuth 0), as an HRIR
                            set: source = the device as the head sees it (azimuth
                            -headYawDeg, elevation -elevationDeg); libmysofa reads it.
  --force                   replace an existing FILE
  --json                    machine-readable summary on stdout

Read a SOFA file back with: deno task import --sofa FILE --out SET --model M --serial S
`;

const CONVENTIONS: readonly SofaSetConvention[] = ["GeneralFIR-E", "SimpleFreeFieldHRIR"];

await runCommand(HELP, async (args) => {
  const v = parseFlags("sofa", args, {
    in: { type: "string" },
    out: { type: "string" },
    convention: { type: "string" },
    force: { type: "boolean" },
    json: { type: "boolean" },
  });
  const input = stringFlag(v, "in", true);
  const out = stringFlag(v, "out", true);
  const convention = stringFlag(v, "convention") ?? "GeneralFIR-E";
  if (!CONVENTIONS.includes(convention as SofaSetConvention)) {
    throw new UsageError(
      `Cannot use --convention as it must be one of ${
        CONVENTIONS.join(", ")
      }: current value is "${convention}"`,
    );
  }
  await checkPaths({
    inputs: [{ flag: "--in", path: input }],
    outputs: [{ flag: "--out", path: out }],
  });
  await checkOutputWritable("--out", out, { force: booleanFlag(v, "force") });
  const set = await readMeasurementSet(input);
  const info = await writeMeasurementSetSofa(set, out, {
    convention: convention as SofaSetConvention,
  });
  if (booleanFlag(v, "json")) console.log(JSON.stringify({ file: out, ...info }));
  else {
    console.error(
      `wrote ${out}: ${info.convention}, M=${info.measurements} positions, R=${info.receivers} mics, E=${info.emitters} drivers, N=${info.samples} samples`,
    );
  }
  return 0;
});
