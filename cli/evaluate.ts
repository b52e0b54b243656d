/**
 * `deno task evaluate`: apply a bundle to a measurement set's impulse
 * responses and report what a listener there gets.
 *
 * @module
 */
import { readMeasurementSet } from "../io/manifest.ts";
import { readBundle } from "../calibrate/bundle.ts";
import { evaluateBundle, formatEvaluation, formatSummary } from "../calibrate/evaluate.ts";
import { checkSignature, readTrustedKey } from "../calibrate/signature.ts";
import { booleanFlag, listFlag, parseFlags, runCommand, stringFlag } from "./_common.ts";

const HELP = `
deno task evaluate --bundle <bundle> --in <measurement-set> [--json]

Applies the bundle's filters to the set's impulse responses — the unit it was
fitted to, another unit, or the same unit measured with the head moved — and
reports per 1/3-octave band: channel separation at each binaural position
(ipsilateral/contralateral power for the left and right inputs; in a room also
of the direct sound alone), its deviation from the target, the center beam on
the reference arc (null depth at ±90°, response over ±45°, directivity index,
white noise gain) against matrix mixing, the center's direct-to-reverberant
ratio at the listener in a room, and the drive effort.

Options
  --bundle DIR     the filter bundle (required; its file hashes are checked)
  --in DIR         the measurement set (required; same sample rate as the bundle)
  --arc-gate-ms auto|none|MS
                   gate the arc responses to the direct sound (default auto: 2.5 ms in a room)
  --trust PUBKEY   accept only a bundle signed by this public key (deno task keys; repeat for
                   several keys): an unsigned or wrongly signed bundle exits 2, naming it
  --json           print the full evaluation as JSON on stdout

Exit codes: 0 done, 2 bad input (tampered bundle, sample-rate mismatch, missing drivers), 3 internal error.
`;

await runCommand(HELP, async (args) => {
  const v = parseFlags("evaluate", args, {
    bundle: { type: "string" },
    in: { type: "string" },
    "arc-gate-ms": { type: "string" },
    trust: { type: "string", multiple: true },
    json: { type: "boolean" },
  });
  const trusted = await Promise.all(listFlag(v, "trust").map(readTrustedKey));
  const bundleFolder = stringFlag(v, "bundle", true);
  const { bundle, filters } = await readBundle(bundleFolder);
  if (trusted.length > 0) await checkSignature(bundle, trusted, `bundle "${bundleFolder}"`);
  const setFolder = stringFlag(v, "in", true);
  const set = await readMeasurementSet(setFolder);
  const gate = stringFlag(v, "arc-gate-ms");
  const arcGateMs = gate === undefined || gate === "auto" || gate === "none"
    ? (gate ?? "auto")
    : Number(gate);
  if (typeof arcGateMs === "number" && !(arcGateMs > 0)) {
    throw new RangeError(
      `Cannot use --arc-gate-ms as it must be auto, none or a number of ms > 0: current value is "${gate}"`,
    );
  }
  const evaluation = await evaluateBundle(bundle, filters, set, { arcGateMs });
  if (booleanFlag(v, "json")) {
    console.log(JSON.stringify(
      {
        bundle: { device: bundle.device, source: bundle.source },
        set: { folder: setFolder, device: set.manifest.device.serial },
        ...evaluation,
      },
      null,
      2,
    ));
  } else {
    console.log(
      `bundle of ${bundle.device.model} ${bundle.device.serial} on ${setFolder} (${set.manifest.device.serial}):`,
    );
    for (const line of formatSummary(evaluation.summary)) console.log(`  ${line}`);
    console.log("");
    for (const line of formatEvaluation(evaluation)) console.log(line);
  }
  return 0;
});
