/**
 * The `AudioDevice` interface: what a measurement needs from hardware or a
 * simulator. A device plays a multichannel buffer on chosen output channels
 * while recording chosen input channels, sample-synchronously, and returns the
 * recording. Nothing here returns impulse responses: the measurement code
 * deconvolves what it recorded, whatever the device is.
 *
 * @module
 */
import type { Signal } from "../dsp/signal.ts";
import type { CapturePosition, ManifestMicRole } from "../io/manifest.ts";
import type { InputCalibration } from "./mic_calibration.ts";

/**
 * Where the microphone (or the head centre) is, in the device's own frame
 * (DESIGN.md "Conventions"): the measurement-set contract's position type
 * (`io/manifest.ts`), one name for one thing.
 */
export type MicPosition = CapturePosition;

/** The role of an input channel (DESIGN.md measurement-set `mics[].role`). */
export type MicRole = ManifestMicRole;

/** One input channel of a device. */
export interface InputChannel {
  /** Stable id used in manifests (`"ear-left"`, `"ref"`, `"loopback"`). */
  readonly id: string;
  /**
   * `"loopback"` is an electrical reference: the DAC output wired back to an
   * input, used to measure each capture's latency. Otherwise a mic role.
   */
  readonly role: MicRole | "loopback";
  /**
   * The mic's calibration, when known (a rig's `mics[].sensitivityDbfs` / `responseFile`): the
   * session divides its response out of every IR and gives levels in dB SPL.
   */
  readonly calibration?: InputCalibration;
}

/** One output channel of a device, driving one physical driver. */
export interface OutputChannel {
  /** Driver id used in manifests (`"mid-left"`, `"tweeter"`). */
  readonly id: string;
  /** Driver kind (`"midrange"`, `"tweeter"`, `"woofer"`, `"fullrange"`). */
  readonly kind: string;
}

/** A request to play and record at once. */
export interface PlayRecordRequest {
  /** Output channel ids to drive, one per stimulus channel. */
  readonly outputs: readonly string[];
  /** One stimulus array per output, equal lengths, full scale = 1.0. */
  readonly stimulus: readonly Float64Array[];
  /** Input channel ids to record, in the order the result returns them. */
  readonly inputs: readonly string[];
  /** Samples to keep recording after the stimulus ends (latency + decay). */
  readonly tailSamples: number;
}

/** What a device recorded. */
export interface DeviceRecording {
  /** One channel per requested input, `stimulus length + tailSamples` long. */
  readonly signal: Signal;
  /** Device-level conditions (xruns, dropouts, reconnects) in plain words. */
  readonly warnings: readonly string[];
}

/**
 * A full-duplex audio device. Implementations: the simulator (`sim/`), the
 * node-web-audio-api backend and a file backend (`measure/`).
 */
export interface AudioDevice {
  /** Human-readable name (`"sim:studio5 SIM-000123"`). */
  readonly name: string;
  /** Sample rate in Hz the device runs at. */
  readonly sampleRate: number;
  /** Device model for the manifest (`device.model`). */
  readonly model: string;
  /** Unit serial number for the manifest (`device.serial`). */
  readonly serial: string;
  /** The drivers the device can play, in the device's canonical order. */
  readonly outputs: readonly OutputChannel[];
  /** The inputs it can record (mics and, if wired, a loopback reference). */
  readonly inputs: readonly InputChannel[];
  /** Free-text description of the rig for the manifest (`rig.description`). */
  readonly description: string;
  /** Backend name for the manifest `rig.backend` (`"sim"`, `"webaudio"`, `"file"`). */
  readonly backend: string;
  /**
   * Bring the microphone (or head) to a position. A simulator moves its
   * listener; a lab rig prompts the operator or runs a turntable command.
   */
  moveTo(position: MicPosition): Promise<void>;
  /** Play `stimulus` on `outputs` while recording `inputs`. */
  playRecord(request: PlayRecordRequest): Promise<DeviceRecording>;
  /** Release the device. */
  close(): Promise<void>;
}
