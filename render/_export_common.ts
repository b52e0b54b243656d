/**
 * Private: what the engine writers of `export.ts` share — the checked plan,
 * the result type, and small encoders.
 *
 * @module
 */
import { encodeWav } from "../io/wav.ts";
import type { BundleFilters } from "../calibrate/bundle.ts";
import type {
  EngineLatency,
  ExportableBundle,
  ExportFormat,
  ExportIo,
  WavDataLayout,
} from "./export.ts";

/** UTF-8 encoder of config text. */
export const encoder: TextEncoder = new TextEncoder();

/** Checked, defaulted options. */
export interface Plan {
  readonly format: ExportFormat;
  readonly io: ExportIo | null;
  readonly partitionSize: number;
  readonly input: string;
  readonly output: string;
  readonly inputWav: WavDataLayout | undefined;
  readonly capture: readonly string[];
  readonly playback: readonly string[];
  readonly clientName: string;
}

/** What an engine writer returns: its files, its latency and the command that runs it. */
export interface EngineFiles {
  readonly files: Map<string, Uint8Array>;
  readonly latency: EngineLatency;
  readonly run: string;
}

/** Raw float32 little-endian bytes of a signal (interleaved when several channels). */
export function float32LeBytes(channels: readonly ArrayLike<number>[]): Uint8Array {
  const n = channels[0]?.length ?? 0;
  const c = channels.length;
  const bytes = new Uint8Array(n * c * 4);
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < n; k++) {
    for (let ch = 0; ch < c; ch++) {
      view.setFloat32((k * c + ch) * 4, channels[ch]![k] as number, true);
    }
  }
  return bytes;
}

/** The filter WAV of each input, as the bundle stores it (float32, one channel per driver). */
export function filterWavs(
  bundle: ExportableBundle,
  filters: BundleFilters,
): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const input of bundle.inputs) {
    out.set(
      `filters/${input}.wav`,
      encodeWav({ sampleRate: bundle.sampleRate, channels: filters[input]! }, {
        encoding: "float",
      }),
    );
  }
  return out;
}

/** A double-quoted string (config values have no quotes: checked by the plan). */
export function quote(s: string): string {
  return `"${s}"`;
}
