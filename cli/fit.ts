/**
 * `deno task fit`: fit per-unit spatial-audio filters to a measurement set
 * and write a filter bundle.
 *
 * @module
 */
import { readMeasurementSet } from "../io/manifest.ts";
import { fitBundle, type FitOptions, parseSeparationBreakpoints } from "../calibrate/fit.ts";
import { FILTER_BUNDLE_OUTPUT, writeBundle } from "../calibrate/bundle.ts";
import { formatSummary } from "../calibrate/evaluate.ts";
import { readSigningKey } from "../calibrate/signature.ts";
import {
  booleanFlag,
  checkOutputWritable,
  checkPaths,
  numberFlag,
  parseFlags,
  runCommand,
  stringFlag,
  UsageError,
} from "./_common.ts";

const HELP = `
deno task fit --in <measurement-set> --out <bundle> [options]

Fits the article's processing chain to one unit's measurements and writes a
filter bundle (bundle.json + filters/<input>.wav, one channel per driver):
stereo → upmix (left, right, center) → left/right through virtualizer + CTC
(2 drivers) or null-steering (more) normalized to a target separation curve,
center through a midrange beamformer from the reference arc → delay alignment
→ FIR filters.

The set needs ear-left and ear-right captures of every driver at one position
(--mic binaural) and, for the beamformer, a reference-mic arc with 0° and ±90°
(--mic reference --arc -180:180:5).

Options
  --in DIR                  the measurement set (required)
  --out DIR                 the bundle folder to write (required)
  --taps N|auto             FIR length, power of two (default 2048); auto: the shortest power
                            of two whose truncation removes less than -30 dB of every input's
                            filter energy (each length tried is in bundle.json design.tapsChoice)
  --latency-samples N       modelling delay of the filters (default taps/2)
  --virtualizer none|DEG    virtual speaker angle in degrees (default 30); none = pure CTC
  --upmix lrc|none          lrc (default): 3 inputs; none: a 2-input bundle (left, right)
  --beamformer on|matrix|none
                            center path: beamformer (default), matrix mixing, or none
                            (phantom center through the left/right filters)
  --ctc-target SPEC|FILE    target separation of the left/right design: breakpoints Hz:dB,...
                            (linear in dB over log frequency, the end values held beyond), e.g.
                            500:0,1000:25,6000:25,8000:0; or a file of Hz:dB pairs, one a line
                            (default: 0 dB at 200 Hz rising to 20 dB at 4 kHz)
  --regularization IN[,OUT] CTC regularization beta in band (100 Hz-16 kHz) and outside
                            (default 1e-3,1); larger = smaller filters, less separation
  --head-positions first|all
                            design at the first binaural position (default) or over all
  --gate-ms auto|none|MS    gate the responses to the direct sound (default auto: 2.5 ms
                            in a reverberant set)
  --force                   replace an existing bundle folder (never a file, never the --in set)
  --sign KEY                sign bundle.json with the lab's private key (deno task keys): the
                            signature covers every field and every filter file's SHA-256, so
                            verify/evaluate --trust accept the bundle
  --json                    print bundle.json and warnings as JSON on stdout

Exit codes: 0 written, 2 bad input (missing captures are named), 3 internal error.
`;

await runCommand(HELP, async (args) => {
  const v = parseFlags("fit", args, {
    in: { type: "string" },
    out: { type: "string" },
    taps: { type: "string" },
    "ctc-target": { type: "string" },
    regularization: { type: "string" },
    "latency-samples": { type: "string" },
    virtualizer: { type: "string" },
    upmix: { type: "string" },
    beamformer: { type: "string" },
    "head-positions": { type: "string" },
    "gate-ms": { type: "string" },
    force: { type: "boolean" },
    sign: { type: "string" },
    json: { type: "boolean" },
  });
  const input = stringFlag(v, "in", true);
  const out = stringFlag(v, "out", true);
  const force = booleanFlag(v, "force");
  await checkPaths({
    inputs: [{ flag: "--in", path: input }],
    outputs: [{ flag: "--out", path: out }],
  });
  await checkOutputWritable("--out", out, { force, kind: "folder", own: FILTER_BUNDLE_OUTPUT });
  const signPath = stringFlag(v, "sign");
  const signer = signPath === undefined ? undefined : await readSigningKey(signPath);
  const ctcTarget = await ctcTargetFrom(stringFlag(v, "ctc-target"));
  const regularization = regularizationFrom(stringFlag(v, "regularization"));
  const options: FitOptions = {
    taps: stringFlag(v, "taps") === "auto" ? "auto" : numberFlag(v, "taps", 2048),
    ...optional("targetSeparation", ctcTarget),
    ...optional("regularization", regularization),
    ...optional("latencySamples", numberFlag(v, "latency-samples")),
    virtualizer: virtualizerFrom(stringFlag(v, "virtualizer")),
    upmix: choice(v, "upmix", ["lrc", "none"], "lrc"),
    beamformer: choice(v, "beamformer", ["on", "matrix", "none"], "on"),
    headPositions: choice(v, "head-positions", ["first", "all"], "first"),
    gateMs: gateFrom(stringFlag(v, "gate-ms")),
  };
  const started = performance.now();
  const set = await readMeasurementSet(input);
  const result = await fitBundle(set, options);
  const bundle = await writeBundle(out, result.bundle, result.filters, {
    force,
    ...(signer ? { signer } : {}),
  });
  const seconds = Math.round(performance.now() - started) / 1000;
  if (booleanFlag(v, "json")) {
    console.log(JSON.stringify({ out, seconds, bundle, warnings: result.warnings }, null, 2));
  } else {
    console.log(
      `wrote ${out}: ${
        bundle.inputs.join(", ")
      } → ${bundle.device.drivers.length} drivers of ${bundle.device.model} ${bundle.device.serial}, ${bundle.taps} taps, latency ${bundle.latencySamples} samples (${seconds} s)`,
    );
    const choice = (bundle.design as {
      tapsChoice?: { tried: { taps: number; truncationErrorDb: number | null }[] };
    })
      .tapsChoice;
    if (choice) {
      console.log(
        `taps auto: ${
          choice.tried.map((t) => `${t.taps} → ${t.truncationErrorDb} dB`).join(", ")
        } (chose ${bundle.taps}: truncation below -30 dB)`,
      );
    }
    console.log("predicted on the design plant:");
    for (const line of formatSummary(result.evaluation.summary)) console.log(`  ${line}`);
  }
  for (const w of result.warnings) console.error(`warning: ${w}`);
  return 0;
});

function optional<K extends string, T>(key: K, value: T | undefined): { [P in K]?: T } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: T };
}

function choice<T extends string>(
  v: Parameters<typeof stringFlag>[0],
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const s = stringFlag(v, name);
  if (s === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(s)) {
    throw new UsageError(
      `Cannot use --${name} as it must be one of ${allowed.join(", ")}: current value is "${s}"`,
    );
  }
  return s as T;
}

function virtualizerFrom(s: string | undefined): NonNullable<FitOptions["virtualizer"]> {
  if (s === undefined) return {};
  if (s === "none") return "none";
  const angle = Number(s);
  if (s.trim() === "" || !Number.isFinite(angle) || angle < 0 || angle > 90) {
    throw new UsageError(
      `Cannot use --virtualizer as it must be none or an angle in degrees within 0..90: current value is "${s}"`,
    );
  }
  return { angleDeg: angle };
}

function gateFrom(s: string | undefined): NonNullable<FitOptions["gateMs"]> {
  if (s === undefined || s === "auto" || s === "none") return s ?? "auto";
  const ms = Number(s);
  if (s.trim() === "" || !(ms > 0) || !Number.isFinite(ms)) {
    throw new UsageError(
      `Cannot use --gate-ms as it must be auto, none or a number of ms > 0: current value is "${s}"`,
    );
  }
  return ms;
}

/** `--ctc-target`: breakpoints given inline (`Hz:dB,…`) or the path of a file holding them. */
async function ctcTargetFrom(s: string | undefined): Promise<FitOptions["targetSeparation"]> {
  if (s === undefined) return undefined;
  let text = s, source = "--ctc-target";
  try {
    if ((await Deno.stat(s)).isFile) {
      text = await Deno.readTextFile(s);
      source = `--ctc-target file "${s}"`;
    }
  } catch {
    // not a file: inline breakpoints
  }
  try {
    return parseSeparationBreakpoints(text, source);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** `--regularization IN[,OUT]`: β in band and (optionally) out of band, each > 0. */
function regularizationFrom(s: string | undefined): FitOptions["regularization"] {
  if (s === undefined) return undefined;
  const parts = s.split(",").map((x) => x.trim());
  const values = parts.map(Number);
  if (
    parts.length > 2 || values.some((x, i) => parts[i] === "" || !(x > 0) || !Number.isFinite(x))
  ) {
    throw new UsageError(
      `Cannot use --regularization as it must be IN[,OUT] with numbers > 0: current value is "${s}"`,
    );
  }
  return values.length === 2
    ? { inBand: values[0]!, outOfBand: values[1]! }
    : { inBand: values[0]! };
}
