/**
 * `deno task render`: play stereo audio through a bundle offline — one
 * output channel per driver.
 *
 * @module
 */
import { readBundle } from "../calibrate/bundle.ts";
import { renderBundle } from "../render/mod.ts";
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
} from "./_common.ts";

const HELP = `
deno task render --bundle <bundle> --in <stereo.wav> --out <feeds.wav> [--force] [--json]

Renders a stereo WAV through a filter bundle as DESIGN.md defines it:
inputs = upmix(stereo); out_d = Σ_i filters[i][d] * inputs_i. Writes a float32
WAV with one channel per driver (bundle.device.drivers order), input length +
taps − 1 samples long, not normalized (the peak is reported).

Options
  --bundle DIR   the filter bundle (required; its file hashes are checked)
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
    force: { type: "boolean" },
    json: { type: "boolean" },
  });
  const out = stringFlag(v, "out", true);
  const bundleFolder = stringFlag(v, "bundle", true);
  const input = stringFlag(v, "in", true);
  await checkPaths({
    inputs: [{ flag: "--bundle", path: bundleFolder }, { flag: "--in", path: input }],
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
  const feeds = renderBundle(bundle, filters, stereo);
  await writeWav(out, feeds);
  const peak = Math.max(...feeds.channels.map((c) => peakAmplitude(c)));
  const summary = {
    out,
    ...(wav.sampleRate === bundle.sampleRate ? {} : { resampledFromHz: wav.sampleRate }),
    drivers: bundle.device.drivers,
    samples: feeds.channels[0]?.length ?? 0,
    peakDbfs: Math.round(20 * Math.log10(Math.max(peak, 1e-12)) * 10) / 10,
  };
  if (booleanFlag(v, "json")) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(
      `wrote ${out}: ${summary.drivers.length} driver feeds (${
        summary.drivers.join(", ")
      }), ${summary.samples} samples, peak ${summary.peakDbfs} dBFS`,
    );
    if (summary.peakDbfs > 0) {
      console.error("warning: the feeds exceed full scale; lower the input level");
    }
  }
  return 0;
});
