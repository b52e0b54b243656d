/**
 * The pre-session level check of the lab backend (`openWebAudioDevice`):
 * before the first capture with each mic, a noise-floor recording and a quiet
 * tone burst check that the mic hears the driver (dead mic / wrong channel),
 * nothing clips and the loopback is wired; then the burst is ramped up in
 * 10 dB steps towards the stimulus' level ({@linkcode rampLevelsDbfs}),
 * stopping as soon as the mic clips or is predicted to clip at the stimulus'
 * level ({@linkcode judgeRampStep}). The judging is pure and lives here; the
 * device plays and records.
 *
 * @module
 */
import { dbToAmplitude } from "../dsp/db.ts";
import type { RigFile } from "./rig.ts";

/** The pre-session level check found a dead mic, a wrong channel, clipping or no loopback. */
export class LevelCheckError extends Error {
  /** Always `"LevelCheckError"`. */
  override name = "LevelCheckError";
}

/** Energy of `x` at `frequencyHz` (|Σ x[n]·e^{-jωn}|², rectangular window). */
export function toneEnergy(x: ArrayLike<number>, frequencyHz: number, sampleRate: number): number {
  const w = 2 * Math.PI * frequencyHz / sampleRate;
  let re = 0, im = 0;
  for (let n = 0; n < x.length; n++) {
    const v = x[n] as number;
    re += v * Math.cos(w * n);
    im -= v * Math.sin(w * n);
  }
  return re * re + im * im;
}

/** A Hann-windowed tone burst at `levelDbfs` peak, `durationSeconds` long. */
export function toneBurst(
  frequencyHz: number,
  levelDbfs: number,
  durationSeconds: number,
  sampleRate: number,
): Float64Array {
  const n = Math.round(durationSeconds * sampleRate);
  const a = dbToAmplitude(levelDbfs);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const hann = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / (n - 1));
    x[i] = a * hann * Math.sin(2 * Math.PI * frequencyHz * i / sampleRate);
  }
  return x;
}

/**
 * Tone-burst levels of the pre-session ramp: `checkLevelDbfs`, then 10 dB
 * louder each, while below `targetDbfs − 10` (never above the target).
 */
export function rampLevelsDbfs(checkLevelDbfs: number, targetDbfs: number): number[] {
  const steps = [checkLevelDbfs];
  for (let l = checkLevelDbfs + 10; l <= targetDbfs - 10 + 1e-9; l += 10) steps.push(l);
  return steps;
}

/** Which mic and driver a level check is about, and the rig's level limits. */
export interface LevelCheckContext {
  /** The mic's id in the rig. */
  micId: string;
  /** Its interface input channel (1-based). */
  inputChannel: number;
  /** The driver the tone plays on. */
  driverId: string;
  /** Its interface output channel (1-based). */
  outputChannel: number;
  /** The rig's `levels` (cap, check level, clip level). */
  levels: RigFile["levels"];
}

/**
 * One step of the level ramp (pure): throws {@linkcode LevelCheckError} when
 * the mic clipped at this step, or when its peak scaled to the stimulus'
 * level (`peakDbfs + targetDbfs − levelDbfs`) reaches `clipDbfs`.
 */
export function judgeRampStep(
  step: { peakDbfs: number; levelDbfs: number; targetDbfs: number },
  context: LevelCheckContext,
): void {
  const { micId, inputChannel, driverId, outputChannel, levels } = context;
  const where = `mic "${micId}" (input channel ${inputChannel})`;
  if (step.peakDbfs >= levels.clipDbfs) {
    throw new LevelCheckError(
      `Level check failed: ${where} clips (peak ${
        step.peakDbfs.toFixed(1)
      } dBFS >= clipDbfs ${levels.clipDbfs}) during the level ramp at ${step.levelDbfs} dBFS on driver "${driverId}" (output channel ${outputChannel}): lower the mic preamp gain`,
    );
  }
  const predicted = step.peakDbfs + step.targetDbfs - step.levelDbfs;
  if (predicted >= levels.clipDbfs) {
    throw new LevelCheckError(
      `Level check failed: ${where} would clip at the stimulus level ${
        step.targetDbfs.toFixed(1)
      } dBFS on driver "${driverId}" (output channel ${outputChannel}): the ${step.levelDbfs} dBFS tone peaks at ${
        step.peakDbfs.toFixed(1)
      } dBFS, so about ${
        predicted.toFixed(1)
      } dBFS is expected (clipDbfs ${levels.clipDbfs}): lower the mic preamp gain or the sweep level`,
    );
  }
}

/** Figures of the pre-session check for one mic. */
export interface LevelCheckFigures {
  /** Tone level at the mic above its noise floor at the tone frequency, dB. */
  readonly toneSnrDb: number;
  /** Peak of the mic recording during the silent and the tone pass, dBFS. */
  readonly peakDbfs: number;
  /** Mic level / played level at the tone frequency, dB. */
  readonly gainDb: number;
  /** Broadband noise floor (RMS of the silent pass), dBFS. */
  readonly noiseRmsDbfs: number;
  /** Loopback level / played level at the tone frequency, dB (undefined without loopback). */
  readonly loopbackGainDb?: number;
}

/**
 * Judge a pre-session check (pure): throws {@linkcode LevelCheckError} for
 * clipping, a mic that does not hear the tone, or a loopback that does not
 * carry it; returns warnings (e.g. a full-level sweep predicted to clip).
 */
export function judgeLevelCheck(
  figures: LevelCheckFigures,
  context: LevelCheckContext & { loopbackInputChannel?: number },
): string[] {
  const { micId, inputChannel, driverId, outputChannel, levels } = context;
  const where = `mic "${micId}" (input channel ${inputChannel})`;
  if (figures.peakDbfs >= levels.clipDbfs) {
    throw new LevelCheckError(
      `Level check failed: ${where} clips (peak ${
        figures.peakDbfs.toFixed(1)
      } dBFS >= clipDbfs ${levels.clipDbfs}) during a ${levels.checkLevelDbfs} dBFS tone on driver "${driverId}" (output channel ${outputChannel}) or in silence: lower the mic preamp gain`,
    );
  }
  if (!(figures.toneSnrDb >= levels.minCheckSnrDb)) {
    throw new LevelCheckError(
      `Level check failed: ${where} hears the ${levels.checkToneHz} Hz, ${levels.checkLevelDbfs} dBFS tone on driver "${driverId}" (output channel ${outputChannel}) only ${
        figures.toneSnrDb.toFixed(1)
      } dB above its noise floor (needs >= ${levels.minCheckSnrDb} dB): dead mic or wrong channel — check the mic cable, phantom power, the amplifier, and mics[].inputChannel / drivers[].outputChannel in the rig file`,
    );
  }
  if (context.loopbackInputChannel !== undefined && figures.loopbackGainDb !== undefined) {
    if (!(figures.loopbackGainDb > -20)) {
      throw new LevelCheckError(
        `Level check failed: the loopback input channel ${context.loopbackInputChannel} carries the check tone at ${
          figures.loopbackGainDb.toFixed(1)
        } dB re the played level (needs > -20 dB): check the loopback cable and loopback.outputChannel / loopback.inputChannel in the rig file`,
      );
    }
  }
  const warnings: string[] = [];
  const predicted = figures.peakDbfs + (levels.maxLevelDbfs - levels.checkLevelDbfs);
  if (predicted >= levels.clipDbfs && figures.toneSnrDb > 30) {
    warnings.push(
      `${where} may clip at maxLevelDbfs ${levels.maxLevelDbfs} on driver "${driverId}": the check predicts a peak of ${
        predicted.toFixed(1)
      } dBFS`,
    );
  }
  return warnings;
}
