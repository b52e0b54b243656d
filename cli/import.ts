/**
 * `deno task import`: a measurement set from files another tool wrote.
 * This file holds the `--sofa` mode (SOFA / AES69-2022 files).
 *
 * @module
 */
import { importSofa } from "../io/sofa_set.ts";
import {
  booleanFlag,
  checkOutputWritable,
  checkPaths,
  parseFlags,
  runCommand,
  stringFlag,
} from "./_common.ts";

const HELP = `
deno task import --sofa FILE.sofa --out SET --model M --serial S [options]

Imports a SOFA file (AES69-2022) of convention GeneralFIR, GeneralFIR-E or
SimpleFreeFieldHRIR as a measurement set: one capture per measurement ×
receiver × emitter. Emitters become drivers (ids emitter-1… unless the file was
written by \`deno task sofa\`), two receivers left and right of the listener
become ear-left / ear-right, others reference mics receiver-1…; each
measurement's position is the listener's place in the source's frame, with
headYawDeg from ListenerView (an HRIR file reads as a head in front of the
device turned by -azimuth). Data.Delay is applied. The set keeps the file's
sample rate.

  --sofa FILE               the SOFA file (required)
  --out SET                 measurement-set folder to write (required)
  --model M                 device model to record (required)
  --serial S                unit serial to record (required)
  --force                   replace an existing SET
  --json                    machine-readable summary on stdout
`;

await runCommand(HELP, async (args) => {
  const v = parseFlags("import", args, {
    sofa: { type: "string" },
    out: { type: "string" },
    model: { type: "string" },
    serial: { type: "string" },
    force: { type: "boolean" },
    json: { type: "boolean" },
  });
  const sofa = stringFlag(v, "sofa", true);
  const out = stringFlag(v, "out", true);
  const model = stringFlag(v, "model", true);
  const serial = stringFlag(v, "serial", true);
  const force = booleanFlag(v, "force");
  await checkPaths({
    inputs: [{ flag: "--sofa", path: sofa }],
    outputs: [{ flag: "--out", path: out }],
  });
  await checkOutputWritable("--out", out, { force, kind: "folder" });
  const manifest = await importSofa(sofa, out, { model, serial, force });
  const summary = {
    set: out,
    sampleRate: manifest.sampleRate,
    drivers: manifest.device.drivers.map((d) => d.id),
    mics: manifest.mics.map((m) => m.id),
    captures: manifest.captures.length,
  };
  if (booleanFlag(v, "json")) console.log(JSON.stringify(summary));
  else {
    console.error(
      `wrote ${out}: ${summary.captures} captures (${summary.drivers.length} drivers × ${summary.mics.length} mics), ${summary.sampleRate} Hz`,
    );
  }
  return 0;
});
