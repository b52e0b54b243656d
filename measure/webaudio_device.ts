/**
 * The lab backend: an {@linkcode AudioDevice} on `npm:node-web-audio-api`
 * that plays through the drivers of a multichannel audio interface and
 * records the microphones, with the channel map, levels and loopback
 * reference taken from a rig file ({@linkcode RigFile}).
 *
 * How a capture runs (one "pass" per microphone):
 * 1. Routing. node-web-audio-api opens two ports each way. Under JACK the
 *    client's `out_0` is connected to the driver's output channel and to the
 *    loopback output channel, `out_1` to a second driver if the request has
 *    one; `in_0` is fed by the mic's input channel and `in_1` by the loopback
 *    input channel (`jack_connect`/`jack_disconnect`, see `jack.ts`). Without
 *    JACK (ALSA) every channel used must be 1 or 2.
 * 2. Play + record. An `AudioBufferSourceNode` is scheduled on the context
 *    clock while a `ScriptProcessorNode` fed by `getUserMedia()` collects
 *    input blocks stamped with their `playbackTime`.
 * 3. Timing. The latency of every pass is measured on the loopback input: the
 *    lag of the cross-correlation peak between the loopback recording and the
 *    played stimulus. The recording is cut from that lag, so sample 0 of the
 *    returned signal is the instant the stimulus' first sample reached the
 *    DAC (DESIGN.md conventions) and acoustic delay is kept. The returned
 *    `"loopback"` input is the reference cut the same way (so a deconvolution
 *    that reads it finds latency 0). Without a loopback cable (rig
 *    `digitalReference`, JACK only) `in_1` records the client's own `out_0`:
 *    that measures the software part of the latency, and the rig's
 *    `converterLatencySamples` (calibrated once with a cable,
 *    {@linkcode measureConverterLatency}) is added.
 * 4. Dropouts. The loopback is compared with the stimulus block by block
 *    (2048 samples) against a short FIR model of the loop fitted over the
 *    whole capture ({@linkcode findTimingFaults}): a block whose residual
 *    exceeds −20 dB breaks the loop's time invariance; and the
 *    input blocks' `playbackTime`s must be contiguous. A lost or repeated
 *    period breaks one of these; the pass is then retried (rig
 *    `capture.maxRetries`) and the retry reported in `warnings`.
 * 5. Safety. Stimuli above the rig's `levels.maxLevelDbfs` are refused (the
 *    cap). Before the first capture with each mic, a noise-floor recording
 *    and a quiet tone burst (`levels.checkLevelDbfs`) check that the mic
 *    hears the driver (dead mic / wrong channel), nothing clips, and the
 *    loopback is wired; then the burst is ramped up in 10 dB steps towards
 *    the stimulus' level, stopping as soon as the mic clips or is predicted
 *    to clip at the stimulus' level (the ramp). Failures throw
 *    {@linkcode LevelCheckError} naming the mic and channels.
 *
 * References:
 * 1. S. Müller, P. Massarani, "Transfer-function measurement with sweeps",
 *    J. Audio Eng. Soc. 49(6), 2001 (a reference channel recorded beside the
 *    measurement channel removes the converters' latency and response).
 * 2. A. Farina, "Simultaneous measurement of impulse response and distortion
 *    with a swept-sine technique", AES 108th Convention, 2000.
 *
 * The timing kernels live in `loopback_timing.ts`, the level check's
 * judging in `level_check.ts`, the turntable in `turntable.ts`; this file
 * re-exports them so that existing imports keep working.
 *
 * @module
 */
import type {
  AudioDevice,
  DeviceRecording,
  InputChannel,
  MicPosition,
  OutputChannel,
  PlayRecordRequest,
} from "./audio_device.ts";
import { createSignal } from "../dsp/signal.ts";
import { amplitudeToDb, dbToAmplitude, peakAmplitude, powerToDb } from "../dsp/db.ts";
import { type RigFile, rigMicCalibration } from "./rig.ts";
import { formatPosition, runTurntableCommand, stdinPrompt } from "./turntable.ts";
import { findTimingFaults, measureLatency } from "./loopback_timing.ts";
import {
  judgeLevelCheck,
  judgeRampStep,
  LevelCheckError,
  type LevelCheckFigures,
  rampLevelsDbfs,
  toneBurst,
  toneEnergy,
} from "./level_check.ts";
import { AudioUnavailableError, requireAudioSystem } from "./_probe.ts";
import { InputError } from "../io/errors.ts";
import {
  applyJackRouting,
  JackError,
  listJackConnections,
  type WebAudioJackPorts,
  webAudioJackPorts,
} from "./jack.ts";

export * from "./loopback_timing.ts";
export * from "./level_check.ts";
export { runTurntableCommand, turntableCommand } from "./turntable.ts";

/** The audio server stopped or vanished while the device was in use. */
export class AudioServerError extends Error {
  /** Always `"AudioServerError"`. */
  override name = "AudioServerError";
}

/** Options of {@linkcode openWebAudioDevice}. */
export interface OpenWebAudioDeviceOptions {
  /** The rig: channel map, levels, loopback. Required by this backend. */
  readonly rig: RigFile | undefined;
  /** The unit's serial (`--serial`); overrides `rig.device.serial`. */
  readonly serial?: string;
  /** Interface name from `--device webaudio:<name>`; overrides `rig.interface.name`. */
  readonly deviceName?: string;
  /** Sample rate in Hz the measurement needs; the audio server must run at it. */
  readonly sampleRate: number;
  /**
   * Turntable command run by `moveTo`, e.g. `"turntable --goto {azimuth}"`;
   * `{azimuth}`, `{elevation}`, `{distance}` are replaced by the position's
   * degrees / meters. Without it, the operator is prompted.
   */
  readonly turntableCmd?: string;
  /** Ask the operator and wait (default: a line on stdin). */
  readonly prompt?: (message: string) => Promise<void>;
  /** Milliseconds without audio before the server is declared gone. Default 3000. */
  readonly stallTimeoutMs?: number;
}

/** A recording with the latency found per pass (one pass per recorded mic). */
export interface WebAudioRecording extends DeviceRecording {
  /** Round-trip latency measured on the loopback for each pass, in samples (context clock). */
  readonly latencySamples: readonly number[];
}

// ---------------------------------------------------------------------------
// node-web-audio-api plumbing.

type Nwa = typeof import("node-web-audio-api");

interface CapturedPass {
  /** Recorded input port channels, from the first block collected. */
  readonly ports: Float64Array[];
  /** Index in `ports` of the stimulus' scheduled start. */
  readonly startIndex: number;
  /** Block-continuity problems seen (missing / repeated blocks). */
  readonly blockFaults: string[];
}

/** Where each logical port goes, in interface channels (1-based). */
interface PassPlan {
  /** Output port p plays stimulus p (or silence) to these interface channels. */
  readonly outputChannels: readonly (readonly number[])[];
  /**
   * Input port p records this interface channel (undefined = unused), or
   * `"self"`: the client's own output port 0 (the JACK digital reference).
   */
  readonly inputChannels: readonly (number | "self" | undefined)[];
}

const PORTS = 2;
const BUFFER_SIZE = 1024;
const LEAD_SECONDS = 0.15;
/** The input buffer asked of ALSA (the `latency` constraint of getUserMedia) outside JACK, in seconds. */
const DIRECT_INPUT_LATENCY_S = 0.04;

class WebAudioDevice implements AudioDevice {
  readonly name: string;
  readonly sampleRate: number;
  readonly model: string;
  readonly serial: string;
  readonly outputs: readonly OutputChannel[];
  readonly inputs: readonly InputChannel[];
  readonly description: string;
  readonly backend = "webaudio";

  /** Mics checked this session, with the stimulus level (dBFS) they were ramped to. */
  #checkedMics = new Map<string, number>();
  #queue: Promise<unknown> = Promise.resolve();
  #dead = false;
  #closed = false;
  #lastBlockWallMs = 0;
  #collector: ((time: number, channels: Float64Array[]) => void) | undefined;

  constructor(
    readonly rig: RigFile,
    readonly interfaceName: string,
    readonly mode: "jack" | "direct",
    readonly nwa: Nwa,
    readonly context: InstanceType<Nwa["AudioContext"]>,
    readonly jackPorts: WebAudioJackPorts | undefined,
    readonly options: OpenWebAudioDeviceOptions,
    serial: string,
  ) {
    this.sampleRate = context.sampleRate;
    this.model = rig.device.model;
    this.serial = serial;
    this.outputs = rig.drivers.map((d) => ({ id: d.id, kind: d.kind }));
    this.inputs = [
      ...rig.mics.map((m) => {
        const calibration = rigMicCalibration(m);
        return { id: m.id, role: m.role, ...(calibration === undefined ? {} : { calibration }) };
      }),
      // the timing reference (electrical loopback or digital), returned aligned
      { id: "loopback", role: "loopback" as const },
    ];
    this.name = `webaudio:${interfaceName} ${rig.device.model} ${serial}`;
    this.description = rig.description === ""
      ? `webaudio (${mode === "jack" ? "JACK" : "ALSA"}) on ${interfaceName}`
      : rig.description;
  }

  /** Called from the ScriptProcessor for every input block. */
  onBlock(time: number, channels: Float64Array[]): void {
    this.#lastBlockWallMs = performance.now();
    this.#collector?.(time, channels);
  }

  async moveTo(position: MicPosition): Promise<void> {
    if (this.options.turntableCmd !== undefined) {
      await runTurntableCommand(this.options.turntableCmd, position);
      return;
    }
    await (this.options.prompt ?? stdinPrompt)(`Move the mic to ${formatPosition(position)}`);
  }

  playRecord(request: PlayRecordRequest): Promise<WebAudioRecording> {
    const run = this.#queue.then(() => this.#playRecord(request));
    this.#queue = run.catch(() => {});
    return run;
  }

  #validate(request: PlayRecordRequest): void {
    const { outputs, stimulus, inputs, tailSamples } = request;
    if (this.#closed) throw new Error(`Cannot play and record as device ${this.name} is closed`);
    if (this.#dead) {
      throw new AudioServerError(
        `Cannot play and record as the audio server stopped earlier in this session: start it again and resume`,
      );
    }
    if (outputs.length === 0 || outputs.length !== stimulus.length) {
      throw new RangeError(
        `Cannot play and record as outputs and stimulus must have the same non-zero length: outputs has ${outputs.length}, stimulus has ${stimulus.length}`,
      );
    }
    const maxOutputs = PORTS;
    if (outputs.length > maxOutputs) {
      throw new RangeError(
        `Cannot play and record as the webaudio backend drives at most ${maxOutputs} outputs at once: current value is ${outputs.length}`,
      );
    }
    for (const id of outputs) {
      if (!this.rig.drivers.some((d) => d.id === id)) {
        throw new RangeError(
          `Cannot play and record as output "${id}" is not a driver of the rig: drivers are ${
            this.rig.drivers.map((d) => d.id).join(", ")
          }`,
        );
      }
    }
    for (const id of inputs) {
      if (!this.inputs.some((i) => i.id === id)) {
        throw new RangeError(
          `Cannot play and record as input "${id}" is not an input of the rig: inputs are ${
            this.inputs.map((i) => i.id).join(", ")
          }`,
        );
      }
    }
    if (inputs.length === 0) {
      throw new RangeError(`Cannot play and record as inputs must not be empty`);
    }
    const length = stimulus[0]!.length;
    const maxAmplitude = dbToAmplitude(this.rig.levels.maxLevelDbfs);
    stimulus.forEach((x, i) => {
      if (x.length !== length || length === 0) {
        throw new RangeError(
          `Cannot play and record as every stimulus channel must have the same non-zero length: channel 0 has ${length}, channel ${i} has ${x.length}`,
        );
      }
      const peak = peakAmplitude(x);
      if (!Number.isFinite(peak)) {
        throw new RangeError(`Cannot play and record as stimulus[${i}] has a non-finite sample`);
      }
      // 1e-9 relative: a stimulus generated at exactly maxLevelDbfs must pass.
      if (peak > maxAmplitude * (1 + 1e-9)) {
        throw new RangeError(
          `Cannot play and record as the stimulus peak must be <= levels.maxLevelDbfs (${this.rig.levels.maxLevelDbfs} dBFS) of the rig: stimulus[${i}] for "${
            outputs[i]
          }" peaks at ${amplitudeToDb(peak).toFixed(2)} dBFS`,
        );
      }
    });
    if (!Number.isInteger(tailSamples) || tailSamples < 0) {
      throw new RangeError(
        `Cannot play and record as tailSamples must be a non-negative integer: current value is ${tailSamples}`,
      );
    }
  }

  async #playRecord(request: PlayRecordRequest): Promise<WebAudioRecording> {
    this.#validate(request);
    const warnings: string[] = [];
    const rig = this.rig;
    const driverChannel = (id: string) => rig.drivers.find((d) => d.id === id)!.outputChannel;
    const mics = request.inputs.filter((id) => id !== "loopback");
    const targetDbfs = Math.max(...request.stimulus.map((x) => amplitudeToDb(peakAmplitude(x))));
    for (const micId of mics) {
      const checkedAt = this.#checkedMics.get(micId);
      // (re)check a new mic, or one about to get a louder stimulus than it was ramped to
      if (checkedAt === undefined || targetDbfs > checkedAt + 0.5) {
        warnings.push(...await this.#levelCheck(micId, request.outputs[0]!, targetDbfs));
        this.#checkedMics.set(micId, Math.max(targetDbfs, checkedAt ?? -Infinity));
      }
    }
    const length = request.stimulus[0]!.length;
    const wanted = length + request.tailSamples;
    const recorded = new Map<string, Float64Array>();
    const latencies: number[] = [];
    // One pass per mic (in_0 = mic, in_1 = loopback); a loopback-only request is one pass.
    const passes = mics.length > 0 ? mics : ["loopback"];
    for (const micId of passes) {
      const mic = rig.mics.find((m) => m.id === micId);
      const plan: PassPlan = {
        outputChannels: request.outputs.map((id, i) => [
          driverChannel(id),
          ...(i === 0 && rig.loopback !== undefined ? [rig.loopback.outputChannel] : []),
        ]),
        inputChannels: [mic?.inputChannel ?? this.#referenceInput(), this.#referenceInput()],
      };
      const label = `driver${request.outputs.length > 1 ? "s" : ""} ${
        request.outputs.map((o) => `"${o}"`).join("+")
      } → ${micId}`;
      let attempt = 0;
      while (true) {
        const pass = await this.#capturePass(
          plan,
          request.stimulus,
          wanted + rig.capture.maxLatencySamples,
        );
        const result = this.#alignPass(pass, request.stimulus[0]!, wanted, label);
        if (result.fault === undefined) {
          recorded.set(micId, result.mic);
          if (!recorded.has("loopback") && result.loopback !== undefined) {
            recorded.set("loopback", result.loopback);
          }
          latencies.push(result.latencySamples);
          if (attempt > 0) {
            warnings.push(`capture ${label} succeeded on attempt ${attempt + 1}`);
          }
          break;
        }
        attempt++;
        warnings.push(`capture ${label} attempt ${attempt}: ${result.fault}; retried`);
        if (attempt > rig.capture.maxRetries) {
          throw new AudioServerError(
            `Cannot capture ${label}: ${result.fault} in ${attempt} attempts (capture.maxRetries ${rig.capture.maxRetries}); check the audio server for xruns (period size, CPU load)`,
          );
        }
      }
    }
    const channels = request.inputs.map((id) => recorded.get(id)!);
    return {
      signal: createSignal(this.sampleRate, channels),
      warnings,
      latencySamples: latencies,
    };
  }

  /** What input port 1 records: the loopback input channel or the digital reference. */
  #referenceInput(): number | "self" {
    return this.rig.loopback?.inputChannel ?? "self";
  }

  /** Cut the pass at the measured latency and look for timing faults. */
  #alignPass(
    pass: CapturedPass,
    stimulus: Float64Array,
    wanted: number,
    label: string,
  ): { mic: Float64Array; loopback?: Float64Array; latencySamples: number; fault?: string } {
    const maxLatency = this.rig.capture.maxLatencySamples;
    const [micPort, loopPort] = pass.ports as [Float64Array, Float64Array];
    if (pass.blockFaults.length > 0) {
      return {
        mic: new Float64Array(0),
        latencySamples: -1,
        fault: `input blocks were not contiguous (${pass.blockFaults.join("; ")})`,
      };
    }
    const cut = (x: Float64Array, from: number) => {
      const y = new Float64Array(wanted);
      const a = Math.max(0, from);
      y.set(x.subarray(a, Math.min(x.length, from + wanted)), a - from);
      return y;
    };
    // With a digital reference, the DAC + ADC latency is added to the measured
    // software latency (calibrated once with a loopback cable).
    const converter = this.rig.digitalReference?.converterLatencySamples ?? 0;
    const referenceName = this.rig.loopback === undefined
      ? "digital reference (the client's own output port)"
      : `loopback input channel ${this.rig.loopback.inputChannel}`;
    const window = loopPort.subarray(
      pass.startIndex,
      pass.startIndex + stimulus.length + maxLatency,
    );
    const estimate = measureLatency(window, stimulus, maxLatency);
    if (Math.abs(estimate.normalizedPeak) < 0.5) {
      return {
        mic: new Float64Array(0),
        latencySamples: -1,
        fault: `the stimulus was not found on the ${referenceName} (normalized correlation ${
          estimate.normalizedPeak.toFixed(2)
        }): check the loopback cable`,
      };
    }
    const from = pass.startIndex + estimate.lagSamples;
    const loopback = cut(loopPort, from);
    const faults = findTimingFaults(loopback.subarray(0, stimulus.length), stimulus);
    if (faults.length > 0) {
      const f = faults[0]!;
      return {
        mic: new Float64Array(0),
        latencySamples: estimate.lagSamples,
        fault: `dropout detected on the ${referenceName} at ${
          (f.startSample / this.sampleRate).toFixed(3)
        } s into the stimulus (residual ${
          f.residualDb.toFixed(1)
        } dB re the loop model; ${faults.length} block(s) affected) during ${label}`,
      };
    }
    return {
      mic: cut(micPort, from + converter),
      loopback,
      latencySamples: estimate.lagSamples + converter,
    };
  }

  async #route(plan: PassPlan): Promise<void> {
    if (this.mode === "direct") {
      for (const channels of plan.outputChannels) {
        for (const c of channels) {
          if (c > PORTS) {
            throw new RangeError(
              `Cannot route output channel ${c} without JACK: node-web-audio-api opens ${PORTS} channels; run a JACK server on the interface`,
            );
          }
        }
      }
      for (const c of plan.inputChannels) {
        if (c === "self") {
          throw new RangeError(
            `Cannot use a digital reference without JACK: wire a loopback (rig "loopback") or run a JACK server on the interface`,
          );
        }
        if (c !== undefined && c > PORTS) {
          throw new RangeError(
            `Cannot route input channel ${c} without JACK: node-web-audio-api opens ${PORTS} channels; run a JACK server on the interface`,
          );
        }
      }
      return;
    }
    const name = this.interfaceName;
    try {
      await applyJackRouting(this.jackPorts!, {
        outputs: Array.from({ length: PORTS }, (_, p) => [
          ...(plan.outputChannels[p] ?? []).map((c) => `${name}:playback_${c}`),
          // the digital reference: out_0 also feeds the client's own input port
          ...(p === 0
            ? this.jackPorts!.inputs.filter((_, i) => plan.inputChannels[i] === "self")
            : []),
        ]),
        inputs: Array.from({ length: PORTS }, (_, p) => {
          const c = plan.inputChannels[p];
          if (c === "self") return [this.jackPorts!.outputs[0]!];
          return c === undefined ? [] : [`${name}:capture_${c}`];
        }),
      });
    } catch (error) {
      if (error instanceof JackError) {
        this.#dead = true;
        throw new AudioServerError(`The audio server is gone or refused routing: ${error.message}`);
      }
      throw error;
    }
  }

  /** Route, play `stimulus`, and record `recordSamples` from the scheduled start. */
  async #capturePass(
    plan: PassPlan,
    stimulus: readonly Float64Array[],
    recordSamples: number,
  ): Promise<CapturedPass> {
    await this.#route(plan);
    const sr = this.sampleRate;
    const ctx = this.context;
    const length = stimulus[0]!.length;
    const buffer = ctx.createBuffer(PORTS, length, sr);
    if (this.mode === "jack") {
      stimulus.forEach((x, p) => buffer.copyToChannel(Float32Array.from(x), p));
    } else {
      plan.outputChannels.forEach((channels, p) => {
        for (const c of channels) buffer.copyToChannel(Float32Array.from(stimulus[p]!), c - 1);
      });
    }
    // Let the new connections settle for a few periods before scheduling.
    await new Promise((r) => setTimeout(r, 60));
    const blocks: Float64Array[][] = [];
    const times: number[] = [];
    const t0 = ctx.currentTime + LEAD_SECONDS;
    const endTime = t0 + (recordSamples + BUFFER_SIZE) / sr;
    const stall = this.options.stallTimeoutMs ?? 3000;
    const done = new Promise<void>((resolve, reject) => {
      this.#lastBlockWallMs = performance.now();
      const timer = setInterval(() => {
        if (performance.now() - this.#lastBlockWallMs > stall) {
          clearInterval(timer);
          this.#collector = undefined;
          this.#dead = true;
          reject(
            new AudioServerError(
              `The audio server stopped: no audio for ${stall} ms during a capture (context time frozen at ${
                ctx.currentTime.toFixed(3)
              } s). Start the server again (jack_wait -c says "${"running"}" when it is up) and resume the session`,
            ),
          );
        }
      }, 100);
      this.#collector = (time, channels) => {
        if (time + BUFFER_SIZE / sr < t0 - LEAD_SECONDS / 2) return;
        times.push(time);
        blocks.push(channels);
        if (time >= endTime) {
          clearInterval(timer);
          this.#collector = undefined;
          resolve();
        }
      };
    });
    const source = ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(ctx.destination);
    source.start(t0);
    try {
      await done;
    } finally {
      try {
        source.disconnect();
      } catch { /* already gone */ }
    }
    const blockFaults: string[] = [];
    for (let i = 1; i < times.length; i++) {
      const step = (times[i]! - times[i - 1]!) * sr;
      if (Math.abs(step - BUFFER_SIZE) > 0.5) {
        blockFaults.push(
          `block at ${times[i]!.toFixed(4)} s follows ${
            step.toFixed(0)
          } samples after the previous`,
        );
      }
    }
    const total = blocks.length * BUFFER_SIZE;
    const ports = Array.from({ length: PORTS }, () => new Float64Array(total));
    blocks.forEach((channels, b) => {
      for (let p = 0; p < PORTS; p++) {
        const source = plan.inputChannels[p];
        const inputIndex = this.mode === "jack" || typeof source !== "number" ? p : source - 1;
        const data = channels[inputIndex] ?? channels[0]!;
        ports[p]!.set(data, b * BUFFER_SIZE);
      }
    });
    const startIndex = Math.round((t0 - times[0]!) * sr);
    return { ports, startIndex, blockFaults };
  }

  /**
   * The DAC + ADC part of the round-trip latency: play noise on the loopback
   * output, record the loopback input and the digital reference (the
   * client's own output port), and return the difference of their lags.
   * Three captures must agree.
   */
  async converterLatency(): Promise<number> {
    const loop = this.rig.loopback;
    if (loop === undefined || this.mode !== "jack") {
      throw new InputError(
        `Cannot calibrate the converter latency as it needs JACK and a loopback cable (rig "loopback"): ${
          loop === undefined ? "the rig has no loopback" : "no JACK server runs"
        }`,
        { file: undefined, field: "loopback", value: loop },
      );
    }
    const random = (() => {
      let a = 12345;
      return () => {
        a = (Math.imul(a, 1103515245) + 12345) >>> 0;
        return a / 4294967296 - 0.5;
      };
    })();
    const noise = Float64Array.from(
      { length: Math.round(0.5 * this.sampleRate) },
      () => random() * dbToAmplitude(Math.min(-20, this.rig.levels.maxLevelDbfs)) * 2,
    );
    const maxLatency = this.rig.capture.maxLatencySamples;
    const plan: PassPlan = {
      outputChannels: [[loop.outputChannel]],
      inputChannels: [loop.inputChannel, "self"],
    };
    const found: number[] = [];
    for (let i = 0; i < 3; i++) {
      const pass = await this.#capturePass(plan, [noise], noise.length + maxLatency);
      const lag = (port: number) => {
        const w = pass.ports[port]!.subarray(
          pass.startIndex,
          pass.startIndex + noise.length + maxLatency,
        );
        const e = measureLatency(w, noise, maxLatency);
        if (Math.abs(e.normalizedPeak) < 0.5) {
          throw new LevelCheckError(
            `Cannot calibrate the converter latency as the noise was not found on ${
              port === 0 ? `loopback input channel ${loop.inputChannel}` : "the digital reference"
            } (normalized correlation ${e.normalizedPeak.toFixed(2)}): check the loopback cable`,
          );
        }
        return e.lagSamples;
      };
      found.push(lag(0) - lag(1));
    }
    if (new Set(found).size !== 1) {
      throw new AudioServerError(
        `Cannot calibrate the converter latency as three captures disagree (${
          found.join(", ")
        } samples): check the audio server for xruns and try again`,
      );
    }
    return found[0]!;
  }

  /**
   * Pre-session check of one mic with the request's first driver: a silent
   * pass (noise floor), a tone burst at `checkLevelDbfs` (dead mic, wrong
   * channel, clipping, loopback), then bursts 10 dB louder each
   * ({@linkcode rampLevelsDbfs}) up to 10 dB below the stimulus' level,
   * stopping with an error as soon as the mic clips or is predicted to clip
   * at the stimulus' level ({@linkcode judgeRampStep}).
   */
  async #levelCheck(micId: string, driverId: string, targetDbfs: number): Promise<string[]> {
    const rig = this.rig;
    const mic = rig.mics.find((m) => m.id === micId)!;
    const driver = rig.drivers.find((d) => d.id === driverId)!;
    const sr = this.sampleRate;
    const levels = rig.levels;
    const f = levels.checkToneHz;
    const burstSamples = Math.round(0.25 * sr);
    const recordSamples = burstSamples + rig.capture.maxLatencySamples + sr / 10;
    const plan: PassPlan = {
      outputChannels: [[
        driver.outputChannel,
        ...(rig.loopback ? [rig.loopback.outputChannel] : []),
      ]],
      inputChannels: [mic.inputChannel, this.#referenceInput()],
    };
    const segment = (p: CapturedPass, port: number) =>
      p.ports[port]!.subarray(Math.max(0, p.startIndex), p.startIndex + recordSamples);
    const silent = await this.#capturePass(plan, [new Float64Array(burstSamples)], recordSamples);
    const silentMic = segment(silent, 0);
    const noise = toneEnergy(silentMic, f, sr);
    let sumSq = 0;
    for (let i = 0; i < silentMic.length; i++) sumSq += silentMic[i]! ** 2;
    const context = {
      micId,
      inputChannel: mic.inputChannel,
      driverId,
      outputChannel: driver.outputChannel,
      levels,
      ...(rig.loopback === undefined ? {} : { loopbackInputChannel: rig.loopback.inputChannel }),
    };
    const warnings: string[] = [];
    for (const levelDbfs of rampLevelsDbfs(levels.checkLevelDbfs, targetDbfs)) {
      const tone = toneBurst(f, levelDbfs, 0.25, sr);
      const loud = await this.#capturePass(plan, [tone], recordSamples);
      const played = toneEnergy(tone, f, sr);
      const heard = toneEnergy(segment(loud, 0), f, sr);
      const peakDbfs = amplitudeToDb(
        Math.max(peakAmplitude(silentMic), peakAmplitude(segment(loud, 0))),
      );
      if (levelDbfs === levels.checkLevelDbfs) {
        const figures: LevelCheckFigures = {
          toneSnrDb: powerToDb(heard / Math.max(noise, 1e-30)),
          peakDbfs,
          gainDb: powerToDb(heard / played),
          noiseRmsDbfs: powerToDb(sumSq / Math.max(1, silentMic.length)),
          ...(rig.loopback === undefined ? {} : {
            loopbackGainDb: powerToDb(toneEnergy(segment(loud, 1), f, sr) / played),
          }),
        };
        warnings.push(...judgeLevelCheck(figures, context));
      }
      judgeRampStep({ peakDbfs, levelDbfs, targetDbfs }, context);
    }
    return warnings;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#collector = undefined;
    if (this.#dead) return; // closing a context whose server died hangs forever
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.context.close().catch(() => {}),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 3000);
      }),
    ]);
    clearTimeout(timer);
  }
}

/**
 * Measure the DAC + ADC latency of a webaudio device under JACK whose rig has
 * a loopback cable, for the rig's `digitalReference.converterLatencySamples`
 * (`deno task devices --calibrate-latency --rig rig.json`).
 *
 * @param device A device from {@linkcode openWebAudioDevice}.
 * @returns Samples between the digital reference and the loopback input.
 * @throws {TypeError} for another kind of device; {InputError} for no loopback or no JACK.
 */
export function measureConverterLatency(device: AudioDevice): Promise<number> {
  if (!(device instanceof WebAudioDevice)) {
    throw new TypeError(
      `Cannot calibrate the converter latency as device ${device.name} is not a webaudio device`,
    );
  }
  return device.converterLatency();
}

/**
 * Open the node-web-audio-api device described by a rig file.
 *
 * Probes first (JACK server? ALSA card?) and throws
 * {@linkcode AudioUnavailableError} when there is neither — never reaching
 * `getUserMedia()`, which would abort the process. Then opens an
 * `AudioContext` at `sampleRate` and refuses a server that runs at another
 * rate, opens the input with `getUserMedia()`, and under JACK finds the
 * client's ports and checks that the rig's channels exist.
 *
 * @throws {AudioUnavailableError} no server and no card (CLI exit 2).
 * @throws {InputError} without a rig, a serial, or a timing reference (loopback / digitalReference under JACK).
 * @throws {RangeError} sample-rate mismatch (rig or server), channels the interface lacks.
 */
export async function openWebAudioDevice(options: OpenWebAudioDeviceOptions): Promise<AudioDevice> {
  const probe = await requireAudioSystem("open the webaudio device");
  const rig = options.rig;
  if (rig === undefined) {
    throw new InputError(
      `Cannot open the webaudio device as it needs a rig file (--rig rig.json) that maps drivers, mics and the loopback to interface channels (format: README "Lab setup")`,
      { file: undefined, field: "rig", value: rig },
    );
  }
  if (rig.loopback === undefined && rig.digitalReference === undefined) {
    throw new InputError(
      `Cannot open the webaudio device as the rig file has neither "loopback" (an output wired to an input) nor "digitalReference": every capture's latency is measured on one of them, never assumed`,
      { file: undefined, field: "loopback", value: undefined },
    );
  }
  if (rig.loopback === undefined && probe.backend !== "jack") {
    throw new InputError(
      `Cannot open the webaudio device with a digitalReference as it needs JACK (no JACK server runs): wire a loopback and add "loopback" to the rig file, or start JACK on the interface`,
      { file: undefined, field: "digitalReference", value: rig.digitalReference },
    );
  }
  const serial = options.serial ?? rig.device.serial;
  if (serial === undefined) {
    throw new InputError(
      `Cannot open the webaudio device as the unit's serial is unknown: pass --serial or set device.serial in the rig file`,
      { file: undefined, field: "device.serial", value: serial },
    );
  }
  if (rig.sampleRate !== options.sampleRate) {
    throw new RangeError(
      `Cannot open the webaudio device as the measurement's sampleRate (${options.sampleRate} Hz) must equal the rig's sampleRate (${rig.sampleRate} Hz)`,
    );
  }
  const interfaceName = options.deviceName ?? rig.interface.name;
  // libjack starts a server by itself when a client cannot reach one (e.g.
  // after the server died mid-session); a measurement tool must never do that.
  if (Deno.env.get("JACK_NO_START_SERVER") === undefined) Deno.env.set("JACK_NO_START_SERVER", "1");
  const nwa: Nwa = await import("node-web-audio-api");
  // Under ALSA the interface is chosen by name: the device label
  // node-web-audio-api lists (`deno task devices`); "default" is ALSA's default.
  let sinkId: string | undefined;
  let inputId: string | undefined;
  if (probe.backend === "alsa") {
    const devices = await nwa.mediaDevices.enumerateDevices();
    const realInput = devices.some((d) =>
      d.kind === "audioinput" && !/^Discard all samples/.test(d.label)
    );
    if (!realInput) {
      throw new AudioUnavailableError(
        `Cannot open the webaudio device as ALSA lists no input device (cards: ${
          probe.alsaCards.join("; ") || "none"
        }): connect the audio interface's inputs or start JACK on it`,
      );
    }
    if (interfaceName !== "default") {
      const output = devices.find((d) => d.kind === "audiooutput" && d.label === interfaceName);
      const input = devices.find((d) => d.kind === "audioinput" && d.label === interfaceName);
      if (output === undefined || input === undefined) {
        const labels = [...new Set(devices.map((d) => JSON.stringify(d.label)))].join(", ");
        throw new AudioUnavailableError(
          `Cannot open the webaudio device as ALSA lists no ${
            output === undefined ? "output" : "input"
          } device named ${
            JSON.stringify(interfaceName)
          } (rig interface.name or --device webaudio:<name>): ALSA lists ${labels}`,
        );
      }
      sinkId = output.deviceId;
      inputId = input.deviceId;
    }
  }
  const portsBefore = probe.backend === "jack"
    ? new Set((await listJackConnections().catch(() => new Map())).keys())
    : new Set<string>();
  let context: InstanceType<Nwa["AudioContext"]>;
  try {
    context = new nwa.AudioContext({
      sampleRate: options.sampleRate,
      latencyHint: "playback",
      ...(sinkId === undefined ? {} : { sinkId }),
    } as AudioContextOptions);
  } catch (error) {
    throw new AudioUnavailableError(
      `Cannot open the webaudio device as node-web-audio-api could not open the output: ${
        (error as Error).message
      }`,
    );
  }
  const fail = async (error: Error): Promise<never> => {
    await context.close().catch(() => {});
    throw error;
  };
  if (context.sampleRate !== options.sampleRate) {
    return fail(
      new RangeError(
        `Cannot open the webaudio device as the audio server runs at ${context.sampleRate} Hz but the measurement needs ${options.sampleRate} Hz: restart the server at ${options.sampleRate} Hz (jackd -r ${options.sampleRate}) or measure at ${context.sampleRate} Hz`,
      ),
    );
  }
  const mode = probe.backend === "jack" ? "jack" : "direct";
  // Outside JACK the library hands each input callback's buffer to the render thread through a
  // 3-buffer queue and renders silence when none is there in time: a 40 ms input buffer (the
  // `latency` constraint) cut the silent blocks of a 1 s loopback capture under PipeWire's ALSA
  // API from 13 of 33 to 1–2 of 33. Dropped blocks that remain are found by the timing check.
  const stream = await nwa.mediaDevices.getUserMedia({
    audio: inputId === undefined
      ? (mode === "jack" ? true : { channelCount: 2, latency: DIRECT_INPUT_LATENCY_S })
      : { deviceId: inputId, channelCount: 2, latency: DIRECT_INPUT_LATENCY_S },
  } as MediaStreamConstraints);
  let jackPorts: WebAudioJackPorts | undefined;
  if (mode === "jack") {
    let ports: Map<string, string[]> | undefined;
    // Poll up to 10 s: on a loaded machine (or with a second audio server running) the client's
    // ports took longer than 2.5 s to appear.
    for (let i = 0; i < 200; i++) {
      ports = await listJackConnections().catch(() => undefined);
      const found = ports && webAudioJackPorts(ports, Deno.pid, portsBefore);
      if (found && found.outputs.length >= PORTS && found.inputs.length >= PORTS) {
        jackPorts = found;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (jackPorts === undefined || ports === undefined) {
      return fail(
        new AudioServerError(
          `Cannot open the webaudio device as node-web-audio-api's JACK ports (cpal_client_${Deno.pid}_out/_in) did not appear`,
        ),
      );
    }
    const missing: string[] = [];
    for (const d of rig.drivers) {
      if (!ports.has(`${interfaceName}:playback_${d.outputChannel}`)) {
        missing.push(`driver "${d.id}" → ${interfaceName}:playback_${d.outputChannel}`);
      }
    }
    for (const m of rig.mics) {
      if (!ports.has(`${interfaceName}:capture_${m.inputChannel}`)) {
        missing.push(`mic "${m.id}" ← ${interfaceName}:capture_${m.inputChannel}`);
      }
    }
    if (rig.loopback !== undefined) {
      if (!ports.has(`${interfaceName}:playback_${rig.loopback.outputChannel}`)) {
        missing.push(`loopback → ${interfaceName}:playback_${rig.loopback.outputChannel}`);
      }
      if (!ports.has(`${interfaceName}:capture_${rig.loopback.inputChannel}`)) {
        missing.push(`loopback ← ${interfaceName}:capture_${rig.loopback.inputChannel}`);
      }
    }
    if (missing.length > 0) {
      return fail(
        new RangeError(
          `Cannot open the webaudio device as the JACK server has no port for ${
            missing.join(", ")
          }: check interface.name and the channel numbers in the rig file against \`deno task devices\``,
        ),
      );
    }
  }
  const device = new WebAudioDevice(
    rig,
    interfaceName,
    mode,
    nwa,
    context,
    jackPorts,
    options,
    serial,
  );
  const source = context.createMediaStreamSource(stream);
  const processor = context.createScriptProcessor(BUFFER_SIZE, PORTS, PORTS);
  processor.onaudioprocess = (event) => {
    const input = event.inputBuffer;
    const channels: Float64Array[] = [];
    for (let c = 0; c < input.numberOfChannels; c++) {
      channels.push(Float64Array.from(input.getChannelData(c)));
    }
    device.onBlock(event.playbackTime, channels);
  };
  source.connect(processor);
  processor.connect(context.destination);
  return device;
}

export { AudioUnavailableError };
