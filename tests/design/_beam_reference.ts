/**
 * Test helper: the beamformer problems of `fixtures/beam/arcs.json` as arc
 * transfer matrices on the 4096-point grid (only the reference bins filled;
 * the others are silent, which the design leaves unsolved), and the scipy
 * reference's answers from `fixtures/beam/reference.json`.
 *
 * @module
 */
import { createComplexMatrixStack } from "../../dsp/complex_linalg.ts";
import {
  type ArcTransferMatrix,
  arcTransferMatrix,
  createTransferMatrix,
} from "../../design/transfer_matrix.ts";

export interface ReferenceBin {
  readonly bin: number;
  readonly hz: number;
  readonly t: number;
  readonly nullDepthDb: number;
  readonly mainLobeDeviationDb: number;
  readonly whiteNoiseGainDb: number;
  readonly meetsSpec: boolean;
}

export interface ReferenceProblem {
  readonly name: string;
  readonly arc: ArcTransferMatrix;
  readonly reference: readonly ReferenceBin[];
}

interface ArcsFile {
  meta: { sampleRate: number; fftSize: number };
  problems: {
    name: string;
    azimuthsDeg: number[];
    bins: { bin: number; re: number[][]; im: number[][] }[];
  }[];
}

export function referenceProblems(): ReferenceProblem[] {
  const arcs = JSON.parse(
    Deno.readTextFileSync(new URL("../../fixtures/beam/arcs.json", import.meta.url)),
  ) as ArcsFile;
  const ref = JSON.parse(
    Deno.readTextFileSync(new URL("../../fixtures/beam/reference.json", import.meta.url)),
  ) as { problems: { name: string; bins: ReferenceBin[] }[] };
  const { sampleRate, fftSize } = arcs.meta;
  return arcs.problems.map((p) => {
    const rows = p.azimuthsDeg.length, n = p.bins[0]!.re[0]!.length;
    const H = createComplexMatrixStack(rows, n, fftSize / 2 + 1);
    for (const b of p.bins) {
      for (let r = 0; r < rows; r++) {
        for (let d = 0; d < n; d++) {
          H.re[(b.bin * rows + r) * n + d] = b.re[r]![d]!;
          H.im[(b.bin * rows + r) * n + d] = b.im[r]![d]!;
        }
      }
    }
    const arc = arcTransferMatrix(createTransferMatrix(H, { sampleRate, fftSize }), p.azimuthsDeg);
    return { name: p.name, arc, reference: ref.problems.find((q) => q.name === p.name)!.bins };
  });
}
