/**
 * `deno task calibrate-mic`: a mic's sensitivity (dBFS for 94 dB SPL) from a
 * recording of an acoustic calibrator.
 *
 * @module
 */
import { readWav } from "../io/wav.ts";
import { micSensitivityFromCalibrator } from "../measure/mic_calibration.ts";
import {
  booleanFlag,
  numberFlag,
  parseFlags,
  runCommand,
  stringFlag,
  UsageError,
} from "./_common.ts";

const HELP = `
deno task calibrate-mic --recording cal.wav [--spl 94] [--channel K] [--json]

Measures a microphone's sensitivity from a recording of an acoustic calibrator
(a steady tone at a known SPL, the mic in the calibrator's coupler): the RMS of
the middle 80 % of the recording gives its level L in dBFS (AES17: a full-scale
sine is 0 dBFS), and sensitivity = L - (SPL - 94) dBFS for 94 dB SPL. Put it in
a capture list (mic_sensitivity_dbfs) to get levels in dB SPL.

  --recording FILE   the calibrator recording (WAV, any channel count)
  --spl DB           the calibrator's level in dB SPL (default 94; 114 for the loud setting)
  --channel K        1-based channel of the mic (default 1)
  --json             machine-readable result on stdout
`;

await runCommand(HELP, async (args) => {
  const v = parseFlags("calibrate-mic", args, {
    recording: { type: "string" },
    spl: { type: "string" },
    channel: { type: "string" },
    json: { type: "boolean" },
  });
  const path = stringFlag(v, "recording", true);
  const spl = numberFlag(v, "spl", 94);
  const channel = numberFlag(v, "channel", 1);
  const wav = await readWav(path);
  if (!Number.isInteger(channel) || channel < 1 || channel > wav.channels.length) {
    throw new UsageError(
      `Cannot use --channel as it must be a channel number 1..${wav.channels.length} of "${path}": current value is ${channel}`,
    );
  }
  const r = micSensitivityFromCalibrator(wav.channels[channel - 1]!, wav.sampleRate, spl);
  const result = {
    recording: path,
    channel,
    splDb: spl,
    sensitivityDbfs: Math.round(r.sensitivityDbfs * 100) / 100,
    levelDbfs: Math.round(r.levelDbfs * 100) / 100,
    frequencyHz: Math.round(r.frequencyHz * 10) / 10,
    warnings: r.warnings,
  };
  if (booleanFlag(v, "json")) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(
      `sensitivity ${
        result.sensitivityDbfs.toFixed(2)
      } dBFS for 94 dB SPL (calibrator tone ${result.frequencyHz} Hz at ${
        result.levelDbfs.toFixed(2)
      } dBFS = ${spl} dB SPL)`,
    );
    for (const w of r.warnings) console.error(`warning: ${w}`);
  }
  return 0;
});
