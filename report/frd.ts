/**
 * FRD text: a frequency response as lines of `Hz dB deg`, the plain format
 * REW, VituixCAD, XSim and most crossover tools import. Magnitude in dB re
 * unity gain (full scale in, full scale out), phase in degrees wrapped to
 * (−180, 180] and including the flight time, so the responses of one set keep
 * their relative timing.
 *
 * @module
 */
import { irSpectrum, logGridHz } from "./_spectra.ts";
import { flooredPowerToDb } from "../dsp/db.ts";

/** Points per octave of an FRD file. */
export const FRD_POINTS_PER_OCTAVE = 96;

/**
 * The FRD text of an impulse response.
 *
 * @param ir The impulse response.
 * @param sampleRate Its sample rate in Hz.
 * @param comment A first line (written after `*`, the FRD comment mark).
 * @returns Lines `Hz dB deg` from 10 Hz to 0.49·sampleRate, 96 per octave.
 */
export function frdText(ir: ArrayLike<number>, sampleRate: number, comment = ""): string {
  const { spectrum, fftSize } = irSpectrum(ir, 65536);
  const df = sampleRate / fftSize;
  const lines = comment ? [`* ${comment.replace(/\n/g, " ")}`, "* Hz dB deg"] : ["* Hz dB deg"];
  for (const hz of logGridHz(10, sampleRate * 0.49, FRD_POINTS_PER_OCTAVE)) {
    // Interpolate the complex response between bins (the grid is finer than the bins at the top).
    const x = hz / df, k = Math.floor(x), t = x - k;
    const re = spectrum.re[k]! * (1 - t) + spectrum.re[k + 1]! * t;
    const im = spectrum.im[k]! * (1 - t) + spectrum.im[k + 1]! * t;
    const db = flooredPowerToDb(re * re + im * im);
    const deg = (Math.atan2(im, re) * 180) / Math.PI;
    lines.push(`${hz.toFixed(3)} ${db.toFixed(3)} ${deg.toFixed(2)}`);
  }
  return lines.join("\n") + "\n";
}

/** FRD file name of a capture: its IR file's name with `.frd` (`mid-left.ref.az+000.el+00.r2.00.frd`). */
export function frdFileName(irPath: string): string {
  return (irPath.split("/").pop() ?? irPath).replace(/\.wav$/i, "") + ".frd";
}
