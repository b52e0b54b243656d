/**
 * Synthetic plants for the design tests: free-field point sources with
 * propagation delay and 1/r spreading, plus a Brown & Duda (1998) one-pole
 * head shadow at the ears. Built directly in the frequency domain, so the
 * delays are exact (no fractional-delay interpolation error).
 * @module
 */
import { createComplexMatrixStack } from "../../dsp/complex_linalg.ts";
import {
  type ArcTransferMatrix,
  arcTransferMatrix,
  createTransferMatrix,
  type TransferMatrix,
} from "../../design/transfer_matrix.ts";
import { HEAD_RADIUS_METERS, headShadowAlpha } from "../../design/virtualizer.ts";
import { SPEED_OF_SOUND_MPS } from "../../dsp/constants.ts";

export const SAMPLE_RATE = 48000;
export const FFT_SIZE = 4096;

/** Driver y positions (device frame, meters) of a 5-driver line array 20 cm wide. */
export const FIVE_DRIVERS_Y = [-0.1, -0.05, 0, 0.05, 0.1];

/** 2 × N ear plant (row 0 = listener's left ear) for drivers on the y axis, head at (distance, offsetY). */
export function earPlant(
  driversY: readonly number[],
  options: { distanceMeters?: number; offsetYMeters?: number; shadow?: boolean } = {},
): TransferMatrix {
  const distance = options.distanceMeters ?? 2;
  const offset = options.offsetYMeters ?? 0;
  const shadow = options.shadow ?? true;
  const c = SPEED_OF_SOUND_MPS, a = HEAD_RADIUS_METERS, w0 = c / a;
  const bins = FFT_SIZE / 2 + 1;
  const n = driversY.length;
  const H = createComplexMatrixStack(2, n, bins);
  // The listener faces the device (-x): the listener's left ear is at the device's right (-y).
  const ears = [{ y: offset - a, axis: -1 }, { y: offset + a, axis: 1 }];
  ears.forEach((ear, e) => {
    driversY.forEach((yd, d) => {
      const r = Math.hypot(distance, ear.y - yd);
      // Incidence angle between the ear's outward axis (0, axis) and the direction to the source.
      const toSrcX = -distance, toSrcY = yd - offset;
      const cosPhi = (ear.axis * toSrcY) / Math.hypot(toSrcX, toSrcY);
      const alpha = headShadowAlpha((Math.acos(cosPhi) * 180) / Math.PI);
      for (let k = 0; k < bins; k++) {
        const f = (k * SAMPLE_RATE) / FFT_SIZE, w = 2 * Math.PI * f;
        let sr = 1, si = 0;
        if (shadow) {
          const nr = 1, ni = (alpha * w) / (2 * w0), dr = 1, di = w / (2 * w0);
          const dd = dr * dr + di * di;
          sr = (nr * dr + ni * di) / dd;
          si = (ni * dr - nr * di) / dd;
        }
        const pr = Math.cos(w * r / c) / r, pi = -Math.sin(w * r / c) / r;
        const idx = (k * 2 + e) * n + d;
        H.re[idx] = sr * pr - si * pi;
        H.im[idx] = sr * pi + si * pr;
      }
    });
  });
  return createTransferMatrix(H, { sampleRate: SAMPLE_RATE, fftSize: FFT_SIZE });
}

/** Arc of `points` microphones at `radiusMeters` around omni drivers on the y axis. */
export function arcPlant(
  driversY: readonly number[],
  options: { points?: number; radiusMeters?: number } = {},
): ArcTransferMatrix {
  const points = options.points ?? 72;
  const radius = options.radiusMeters ?? 2;
  const c = SPEED_OF_SOUND_MPS;
  const bins = FFT_SIZE / 2 + 1;
  const n = driversY.length;
  const H = createComplexMatrixStack(points, n, bins);
  const az = Array.from({ length: points }, (_, i) => {
    const a = (360 * i) / points;
    return a > 180 ? a - 360 : a;
  });
  az.forEach((deg, m) => {
    const th = (deg * Math.PI) / 180;
    const mx = radius * Math.cos(th), my = radius * Math.sin(th);
    driversY.forEach((yd, d) => {
      const r = Math.hypot(mx, my - yd);
      for (let k = 0; k < bins; k++) {
        const w = (2 * Math.PI * k * SAMPLE_RATE) / FFT_SIZE;
        const idx = (k * points + m) * n + d;
        H.re[idx] = Math.cos(w * r / c) / r;
        H.im[idx] = -Math.sin(w * r / c) / r;
      }
    });
  });
  return arcTransferMatrix(
    createTransferMatrix(H, { sampleRate: SAMPLE_RATE, fftSize: FFT_SIZE }),
    az,
  );
}

/** Indices of the bins within [lowHz, highHz]. */
export function binsBetween(frequenciesHz: Float64Array, lowHz: number, highHz: number): number[] {
  const out: number[] = [];
  frequenciesHz.forEach((f, k) => {
    if (f >= lowHz && f <= highHz) out.push(k);
  });
  return out;
}
