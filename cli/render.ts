/**
 * `deno task render`: play stereo audio through a bundle offline — one
 * output channel per driver.
 *
 * @module
 */
import { readBundle } from "../calibrate/bundle.ts";
import { renderBundle } from "../render/mod.ts";
import { binauralPreview, unprocessedFeeds } from "../render/binaural_preview.ts";
import { readBinauralPosition } from "../calibrate/binaural_position.ts";
import { readMeasurementSet } from "../io/manifest.ts";
import { readWav, writeWav } from "../io/wav.ts";
import { InputError } from "../io/errors.ts";
import { OWN_WAV_FILE } from "../io/own_output.ts";
import { peakAmplitude } from "../dsp/db.ts";
import { resample } from "../dsp/resample.ts";
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
deno task render --bundle <bundle> --in <stereo.wav> --out <feeds.wav> [--force] [--json]
deno task render --bundle <bundle> --in <song.wav> --binaural <set> [--position P]
                 [--unprocessed] --out <preview.wav>

Renders a stereo WAV through a filter bundle as DESIGN.md defines it:
inputs = upmix(stereo); out_d = Σ_i filters[i][d] * inputs_i. Writes a float32
WAV with one channel per driver (bundle.device.drivers order), input length +
taps − 1 samples long, not normalized (the peak is reported).

Binaural preview (--binaural): the driver feeds are rendered through the set's
measured ear impulse responses at one binaural position, ear_e = Σ_d ir[e][d] * feed_d,
to a 2-channel headphone WAV (ear-left, ear-right) — what a listener there hears,
as evaluate scores it. --unprocessed renders the bare device instead (no
filters: left to the drivers whose id says left, right to those that say right,
(left+right)/2 to the others, delayed by the bundle's latency) for A/B.

Options
  --bundle DIR   the filter bundle (required; its file hashes are checked)
  --binaural SET a measurement set with ear-left/ear-right captures of every driver
  --position P   the binaural position: az,el,distance[,yaw] in degrees and meters
                 (e.g. 0,0,2) or the label evaluate prints; default the set's first
  --unprocessed  render the bare device (no filters) instead of the bundle
  --in FILE      stereo WAV (required); at another integer sample rate (44.1 kHz
                 and the like) it is resampled to the bundle's first (polyphase
                 Kaiser-windowed sinc, flat to 0.9 of the lower Nyquist frequency)
  --out FILE     the driver-feed WAV to write (required)
  --force        replace an existing --out file (never a folder, never an input)
  --json         print a summary as JSON on stdout
`;

await runCommand(HELP, async (args) => {
  const v = parseFlags("render", args, {
    bundle: { type: "string" },
    in: { type: "string" },
    out: { type: "string" },
    binaural: { type: "string" },
    position: { type: "string" },
    unprocessed: { type: "boolean" },
    force: { type: "boolean" },
    json: { type: "boolean" },
  });
  const binaural = stringFlag(v, "binaural");
  const positionText = stringFlag(v, "position");
  if (positionText !== undefined && binaural === undefined) {
    throw new UsageError("Cannot use --position without --binaural SET (see --help)");
  }
  const out = stringFlag(v, "out", true);
  const bundleFolder = stringFlag(v, "bundle", true);
  const input = stringFlag(v, "in", true);
  await checkPaths({
    inputs: [
      { flag: "--bundle", path: bundleFolder },
      { flag: "--in", path: input },
      ...(binaural !== undefined ? [{ flag: "--binaural", path: binaural }] : []),
    ],
    outputs: [{ flag: "--out", path: out }],
  });
  await checkOutputWritable("--out", out, { force: booleanFlag(v, "force"), own: OWN_WAV_FILE });
  const { bundle, filters } = await readBundle(bundleFolder);
  const wav = await readWav(input);
  if (wav.channels.length !== 2) {
    throw new InputError(
      `Cannot render "${input}" as it must be stereo: it has ${wav.channels.length} channels at ${wav.sampleRate} Hz`,
      {
        file: input,
        field: "format",
        value: { channels: wav.channels.length, sampleRate: wav.sampleRate },
      },
    );
  }
  const stereo = wav.sampleRate === bundle.sampleRate ? wav : resample(wav, bundle.sampleRate);
  const unprocessed = booleanFlag(v, "unprocessed");
  const driverFeeds = unprocessed
    ? unprocessedFeeds(bundle, stereo)
    : renderBundle(bundle, filters, stereo);
  let feeds = driverFeeds;
  let position: string | undefined;
  if (binaural !== undefined) {
    const set = await readMeasurementSet(binaural);
    if (set.manifest.sampleRate !== bundle.sampleRate) {
      throw new InputError(
        `Cannot render a binaural preview with "${binaural}" as sample rates differ: the bundle has ${bundle.sampleRate} Hz, the set has ${set.manifest.sampleRate} Hz`,
        { file: binaural, field: "sampleRate", value: set.manifest.sampleRate },
      );
    }
    const ears = await readBinauralPosition(
      set,
      bundle.device.drivers,
      positionText === undefined ? undefined : parsePosition(positionText),
    );
    position = ears.label;
    feeds = binauralPreview(driverFeeds, ears);
  }
  await writeWav(out, feeds);
  const peak = Math.max(...feeds.channels.map((c) => peakAmplitude(c)));
  const summary = {
    out,
    ...(wav.sampleRate === bundle.sampleRate ? {} : { resampledFromHz: wav.sampleRate }),
    drivers: bundle.device.drivers,
    ...(position !== undefined ? { binaural: { set: binaural, position } } : {}),
    ...(unprocessed ? { unprocessed } : {}),
    samples: feeds.channels[0]?.length ?? 0,
    peakDbfs: Math.round(20 * Math.log10(Math.max(peak, 1e-12)) * 10) / 10,
  };
  if (booleanFlag(v, "json")) console.log(JSON.stringify(summary, null, 2));
  else {
    const what = position !== undefined
      ? `binaural preview (ear-left, ear-right) at ${position} of ${binaural}`
      : `${summary.drivers.length} driver feeds (${summary.drivers.join(", ")})`;
    console.log(
      `wrote ${out}: ${
        unprocessed ? "unprocessed device, " : ""
      }${what}, ${summary.samples} samples, peak ${summary.peakDbfs} dBFS`,
    );
    if (summary.peakDbfs > 0) {
      console.error("warning: the feeds exceed full scale; lower the input level");
    }
  }
  return 0;
});

/** `--position`: a label as evaluate prints it (starts with "az") or az,el,distance[,yaw]. */
function parsePosition(text: string) {
  if (text.trim().startsWith("az")) return text.trim();
  const parts = text.split(",").map((x) => Number(x.trim()));
  if (
    parts.length < 3 || parts.length > 4 || parts.some((x) => !Number.isFinite(x)) ||
    !(parts[2]! > 0)
  ) {
    throw new UsageError(
      `Cannot use --position as it must be az,el,distance[,yaw] (degrees, meters > 0) or a label as evaluate prints it: current value is "${text}"`,
    );
  }
  return {
    azimuthDeg: parts[0]!,
    elevationDeg: parts[1]!,
    distanceMeters: parts[2]!,
    ...(parts[3] !== undefined ? { headYawDeg: parts[3] } : {}),
  };
}
