/**
 * Open the device a `--device` flag names: `sim:<model>` (the virtual lab)
 * or `webaudio[:<name>]` (real hardware through node-web-audio-api).
 *
 * @module
 */
import type { AudioDevice } from "../measure/audio_device.ts";
import { createSimDevice, type MicKind } from "../sim/sim_device.ts";
import { loadSofaHead, type MeasuredHead } from "../sim/sofa_head.ts";
import type { RoomSpec } from "../sim/room.ts";
import { UsageError } from "./_common.ts";
import { readRigFile } from "../measure/rig.ts";
import { openWebAudioDevice } from "../measure/webaudio_device.ts";

/** Options that apply to one backend or the other. */
export interface OpenDeviceOptions {
  readonly serial: string;
  readonly sampleRate: number;
  readonly mic: MicKind;
  readonly room?: RoomSpec | "anechoic" | "living-room" | undefined;
  readonly noiseLevelDbfs?: number | undefined;
  /** Simulated head: ear angle from the front in degrees (default 90). */
  readonly earAngleDeg?: number | undefined;
  /** Simulated head: `sphere` (default) or `sofa:FILE` (a measured head). */
  readonly head?: string | undefined;
  readonly rig?: string | undefined;
  readonly turntableCmd?: string | undefined;
  /** Simulated device: plays on its own clock this many ppm fast, unknown start, no loopback. */
  readonly openLoopClockPpm?: number | undefined;
}

/** Open a device from its `--device` spelling. */
export async function openDevice(spec: string, options: OpenDeviceOptions): Promise<AudioDevice> {
  const [backend, ...rest] = spec.split(":");
  const name = rest.join(":");
  if (backend === "sim") {
    if (!name) {
      throw new UsageError(
        `Cannot use --device as sim needs a model (sim:studio5): current value is "${spec}"`,
      );
    }
    const measuredHead = await headFrom(options.head);
    return createSimDevice({
      model: name,
      ...(measuredHead ? { measuredHead } : {}),
      serial: options.serial,
      sampleRate: options.sampleRate,
      mics: options.mic,
      ...(options.room === undefined ? {} : { room: options.room }),
      ...(options.noiseLevelDbfs === undefined ? {} : { noiseLevelDbfs: options.noiseLevelDbfs }),
      ...(options.earAngleDeg === undefined ? {} : { head: { earAngleDeg: options.earAngleDeg } }),
      ...(options.openLoopClockPpm === undefined
        ? {}
        : { openLoop: { clockPpm: options.openLoopClockPpm } }),
    });
  }
  if (backend === "webaudio") {
    return await openWebAudio(name, options);
  }
  throw new UsageError(
    `Cannot use --device as it must be sim:<model> or webaudio[:<name>]: current value is "${spec}"`,
  );
}

/** The `--head` of a sim device: undefined for the sphere, the loaded set for `sofa:FILE`. */
async function headFrom(spec: string | undefined): Promise<MeasuredHead | undefined> {
  if (spec === undefined || spec === "sphere") return undefined;
  if (spec.startsWith("sofa:") && spec.length > 5) return await loadSofaHead(spec.slice(5));
  throw new UsageError(
    `Cannot use --head as it must be sphere or sofa:FILE: current value is "${spec}"`,
  );
}

async function openWebAudio(name: string, options: OpenDeviceOptions): Promise<AudioDevice> {
  return await openWebAudioDevice({
    rig: options.rig === undefined ? undefined : await readRigFile(options.rig),
    ...(name === "" ? {} : { deviceName: name }),
    sampleRate: options.sampleRate,
    serial: options.serial,
    ...(options.turntableCmd === undefined ? {} : { turntableCmd: options.turntableCmd }),
  });
}

/** A line-station `--device`: a simulated model or real hardware through a rig file. */
export type StationDeviceSpec =
  | { readonly backend: "sim"; readonly model: string }
  | { readonly backend: "webaudio"; readonly name: string };

/**
 * Parse the `--device` of `golden` and `verify`: `sim:MODEL` or
 * `webaudio[:NAME]`.
 *
 * @throws {UsageError} for any other spelling.
 */
export function parseStationDevice(spec: string): StationDeviceSpec {
  const sim = /^sim:([A-Za-z0-9_-]+)$/.exec(spec);
  if (sim) return { backend: "sim", model: sim[1]! };
  const web = /^webaudio(?::(.+))?$/.exec(spec);
  if (web) return { backend: "webaudio", name: web[1] ?? "" };
  throw new UsageError(
    `Cannot use --device as it must be sim:MODEL or webaudio[:NAME]: current value is "${spec}"`,
  );
}

/**
 * Refuse flags that the chosen backend would ignore: `only` maps a flag to
 * the one backend it applies to.
 *
 * @throws {UsageError} naming the flag, the device and the backend it needs.
 */
export function refuseOtherBackendFlags(
  values: Readonly<Record<string, unknown>>,
  device: string,
  backend: StationDeviceSpec["backend"],
  only: Readonly<Record<string, StationDeviceSpec["backend"]>>,
): void {
  for (const [flag, needs] of Object.entries(only)) {
    const value = values[flag];
    if (value !== undefined && value !== false && backend !== needs) {
      throw new UsageError(
        `Cannot use --${flag} with --device ${device} as it applies to ${needs} devices only: current value is "${value}"`,
      );
    }
  }
}
