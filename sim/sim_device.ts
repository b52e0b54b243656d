/**
 * The simulated device: an {@linkcode AudioDevice} whose outputs are the
 * drivers of a device model and whose inputs are a binaural head's ears
 * and/or an omni reference mic, plus an electrical loopback.
 *
 * `playRecord` computes, for each requested mic input,
 * `y = Σ_outputs (N(clip(x_o)) ⊛ h_{o,mic})`, delayed by `latencySamples`,
 * plus seeded Gaussian noise, clipped at ±`clipLevel` (the ADC); x_o is a
 * stimulus channel, `clip` the DAC clipping at ±`clipLevel`, `N` the
 * driver's memoryless nonlinearity `u + a2·u² + a3·u³` plus an optional
 * rub & buzz component, and h the true linear IR of the driver that output
 * is wired to, at the current listener position. The `loopback` input
 * carries the first requested output's DAC signal delayed by the same
 * latency (plus noise), so measurement code can remove the latency. Nothing
 * returns IRs to measurement code; `trueImpulseResponses` exists for tests.
 *
 * Noise is reproducible and depends on what is captured, not on when: the
 * n-th capture of the same stimulus on the same outputs at the same position
 * draws the same noise in every device created with the same options, in any
 * process and whatever was captured before, so a measurement resumed in a new
 * process equals an uninterrupted one bit for bit.
 *
 * References:
 * 1. R. O. Duda, W. L. Martens, "Range dependence of the response of a
 *    spherical head model", J. Acoust. Soc. Am. 104(5), 1998 (head).
 * 2. J. B. Allen, D. A. Berkley, "Image method for efficiently simulating
 *    small-room acoustics", J. Acoust. Soc. Am. 65(4), 1979 (room).
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
} from "../measure/audio_device.ts";
import { isPowerOfTwo, nextPowerOfTwo, realFftPlan, type Spectrum } from "../dsp/fft.ts";
import { dbToAmplitude } from "../dsp/db.ts";
import { SPEED_OF_SOUND_MPS } from "../dsp/constants.ts";
import { biquadFilter, designBiquad } from "../dsp/filters.ts";
import {
  applyDeviations,
  type DeviceModel,
  type DriverDeviation,
  loadDeviceModel,
  unitDeviations,
  validateDeviceModel,
  type Vector3,
} from "./device_model.ts";
import { earDirections, type HeadSpec, resolveHead } from "./head.ts";
import type { MeasuredHead } from "./sofa_head.ts";
import {
  deviceToRoom,
  imageSources,
  isInsideRoom,
  resolveRoom,
  type Room,
  type RoomSpec,
  rotateToRoom,
} from "./room.ts";
import { antiAliasTaper, driverResponse } from "./_response.ts";
import {
  createSynthesisContext,
  type ReceiverSpec,
  type SourceSpec,
  type SynthesisContext,
  synthesizeImpulseResponses,
} from "./_synthesis.ts";
import { createRandom, hashString } from "./_random.ts";
import {
  type DeviceClockOptions,
  playbackStartSamples,
  playOnDeviceClock,
  resolveDeviceClock,
} from "./device_clock.ts";

/** Which microphones the simulated rig has. */
export type MicKind = "binaural" | "reference" | "both";

/** The accepted {@linkcode MicKind} values. */
export const MIC_KINDS: readonly MicKind[] = ["binaural", "reference", "both"];

/** Defects of one driver (for production-line simulation). */
export interface DriverDefects {
  /** −1 for a driver wired with reversed polarity. */
  readonly polarity?: 1 | -1;
  /** A dead driver radiates nothing. */
  readonly dead?: boolean;
  /** Extra sensitivity offset in dB. */
  readonly sensitivityOffsetDb?: number;
  /**
   * Rub & buzz: high-order distortion, harmonics 10..30 each at
   * `rubBuzzLevel/√21` of the fundamental for a full-amplitude sine (total
   * `rubBuzzLevel`, e.g. 0.01 = −40 dB). Made by Chebyshev polynomials
   * T_10..T_30 of the drive normalized to its peak.
   */
  readonly rubBuzzLevel?: number;
  /** Air leak: an extra first-order high-pass at this frequency in Hz. */
  readonly airLeakHz?: number;
  /**
   * A narrow resonance (a loose part, a rattling grille): an extra RBJ peaking
   * filter of `gainDb` (-24..24) at `hz` with quality factor `q` (0.3..50).
   */
  readonly resonance?: { readonly hz: number; readonly q: number; readonly gainDb: number };
}

const DRIVER_DEFECT_KEYS = [
  "polarity",
  "dead",
  "sensitivityOffsetDb",
  "rubBuzzLevel",
  "airLeakHz",
  "resonance",
];

/** Unit defects: per driver id, and the output→driver wiring. */
export interface SimDefects {
  /** Defects keyed by driver id. */
  readonly drivers?: Readonly<Record<string, DriverDefects>>;
  /** Output channel i drives driver `wiring[i]` (a permutation of 0..n−1). */
  readonly wiring?: readonly number[];
}

/** Options of {@linkcode createSimDevice}. */
export interface SimDeviceOptions {
  /** A model name from `fixtures/devices/` or a model object. */
  readonly model: string | DeviceModel;
  /** The unit's serial: seeds its manufacturing deviations (`"nominal"`: none). */
  readonly serial: string;
  /** Sample rate in Hz, 8000..192000. Default 48000. */
  readonly sampleRate?: number;
  /**
   * Microphones: `"binaural"` (ear-left, ear-right), `"reference"` (ref) or
   * `"both"`. `ref` is an omni mic at the listener position with the head
   * absent (its free-field pressure), so `"both"` records ears and reference
   * of one position in one capture.
   */
  readonly mics: MicKind;
  /** Room: `"anechoic"` (default), `"living-room"` or a {@linkcode RoomSpec}. */
  readonly room?: RoomSpec | "anechoic" | "living-room";
  /** Input noise, RMS in dBFS (white, per input). Default −90. `-Infinity`: none. */
  readonly noiseLevelDbfs?: number;
  /** Output + input latency in samples (integer >= 0). Default 123. */
  readonly latencySamples?: number;
  /** DAC and ADC clip level (full scale = 1). Default 1; `Infinity` disables clipping. */
  readonly clipLevel?: number;
  /** Seed of the noise generator. Default 0. */
  readonly seed?: number;
  /** Unit defects. */
  readonly defects?: SimDefects;
  /** Head geometry (radius, ear angle). */
  readonly head?: HeadSpec;
  /**
   * A measured head ({@linkcode loadSofaHead}) in place of the rigid sphere:
   * its ear responses, interpolated between its directions, relative to the
   * free field at the head centre, for the direct sound and the room's images up
   * to its exact order (each from its own direction; ~5 s per driver and position in
   * the living room at 48 kHz, against 0.6 s for the sphere).
   */
  readonly measuredHead?: MeasuredHead;
  /**
   * Length of the synthesized IRs in samples, a power of two. Default
   * nextPow2(0.12·sampleRate) in the free field, nextPow2(0.3·sampleRate)
   * in a room.
   */
  readonly irLengthSamples?: number;
  /** Speed of sound in m/s. Default 343. */
  readonly speedOfSoundMps?: number;
  /**
   * Open loop (`sim/device_clock.ts`): the device plays on its own clock, `clockPpm` off the
   * recorder's, from an unknown start; there is no loopback input. Default: closed loop.
   */
  readonly openLoop?: DeviceClockOptions;
}

/** Noise-free linear IRs at one position, keyed by output channel id, then input id. */
export interface TrueImpulseResponses {
  /** Sample rate of the IRs in Hz (the device's). */
  readonly sampleRate: number;
  /** Listener position the IRs belong to. */
  readonly position: MicPosition;
  /** `ir[outputId][inputId]`: sample 0 = DAC instant, propagation delay kept. */
  readonly ir: Readonly<Record<string, Readonly<Record<string, Float64Array>>>>;
}

/** A simulated device. */
export interface SimDevice extends AudioDevice {
  /** The unit: the model with this serial's deviations applied. */
  readonly unit: DeviceModel;
  /** This serial's deviations per driver (model order). */
  readonly deviations: readonly DriverDeviation[];
  /** The current listener position. */
  readonly position: MicPosition;
  /** Noise-free linear IRs at `position` (default: the current one). */
  trueImpulseResponses(position?: MicPosition): TrueImpulseResponses;
}

/** The position a new device's listener starts at: on axis, 2 m. */
export const DEFAULT_POSITION: MicPosition = { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2 };

const RUB_BUZZ_FIRST = 10;
const NOISE_TABLE_BITS = 16;
const RUB_BUZZ_LAST = 30;
const POSITION_CACHE_LIMIT = 8;

/**
 * Create a simulated device.
 *
 * @param options See {@linkcode SimDeviceOptions}.
 * @returns The device; its outputs are the model's drivers in model order.
 * @throws {RangeError} for an unknown model, mic kind or room, and any out-of-range option.
 *
 * @example
 * ```ts
 * import { createSimDevice } from "./sim_device.ts";
 * const device = createSimDevice({ model: "studio5", serial: "SIM-000123", mics: "reference" });
 * await device.moveTo({ azimuthDeg: 30, elevationDeg: 0, distanceMeters: 2 });
 * const stimulus = new Float64Array(4800); stimulus[0] = 0.5;
 * const rec = await device.playRecord({ outputs: ["tweeter"], stimulus: [stimulus],
 *   inputs: ["ref", "loopback"], tailSamples: 4800 });
 * console.log(rec.signal.channels.length); // 2
 * ```
 */
export function createSimDevice(options: SimDeviceOptions): SimDevice {
  const fail: typeof simFail = simFail;
  const nominal = typeof options.model === "string"
    ? loadDeviceModel(options.model)
    : validateDeviceModel(options.model, "options.model");
  if (typeof options.serial !== "string" || options.serial.length === 0) {
    fail("serial", "a non-empty string", options.serial);
  }
  if (!MIC_KINDS.includes(options.mics)) {
    fail("mics", `one of ${MIC_KINDS.join(", ")}`, options.mics);
  }
  const sampleRate = options.sampleRate ?? 48000;
  if (!(Number.isFinite(sampleRate) && sampleRate >= 8000 && sampleRate <= 192000)) {
    fail("sampleRate", "in [8000, 192000] Hz", sampleRate);
  }
  const noiseLevelDbfs = options.noiseLevelDbfs ?? -90;
  if (!(noiseLevelDbfs === -Infinity || (Number.isFinite(noiseLevelDbfs) && noiseLevelDbfs <= 0))) {
    fail("noiseLevelDbfs", "<= 0 dBFS or -Infinity", noiseLevelDbfs);
  }
  const latencySamples = options.latencySamples ?? 123;
  if (!Number.isInteger(latencySamples) || latencySamples < 0) {
    fail("latencySamples", "an integer >= 0", latencySamples);
  }
  const clipLevel = options.clipLevel ?? 1;
  if (!(clipLevel > 0)) fail("clipLevel", "> 0", clipLevel);
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) fail("seed", "a finite number", seed);
  const speedOfSoundMps = options.speedOfSoundMps ?? SPEED_OF_SOUND_MPS;
  if (!(speedOfSoundMps >= 300 && speedOfSoundMps <= 400)) {
    fail("speedOfSoundMps", "in [300, 400] m/s", speedOfSoundMps);
  }
  const room: Room | null = resolveRoom(options.room);
  const head = resolveHead(options.head);
  if (options.measuredHead && options.head?.earAngleDeg !== undefined) {
    fail(
      "head.earAngleDeg",
      "unset with a measured head (its ears are where they were measured)",
      options.head.earAngleDeg,
    );
  }
  const irLengthSamples = options.irLengthSamples ??
    nextPowerOfTwo(Math.ceil((room ? 0.3 : 0.12) * sampleRate));
  if (
    !isPowerOfTwo(irLengthSamples) || irLengthSamples < 256 || irLengthSamples > 1 << 20
  ) {
    fail("irLengthSamples", "a power of two in [256, 2^20]", irLengthSamples);
  }

  const deviations = unitDeviations(nominal, options.serial);
  const unit = applyDeviations(nominal, deviations);
  const driverIds = unit.drivers.map((d) => d.id);

  const { wiring, driverDefects } = resolveDefects(options.defects, driverIds, sampleRate);

  const deviceClock = options.openLoop ? resolveDeviceClock(options.openLoop) : undefined;
  const { micInputs, inputs, outputs, hasHead } = simChannels(
    options.mics,
    unit,
    deviceClock !== undefined,
  );

  const ctx: SynthesisContext = createSynthesisContext(
    sampleRate,
    irLengthSamples,
    speedOfSoundMps,
    Math.max(...unit.drivers.map((d) => d.pistonRadiusMeters)),
    head,
    options.measuredHead,
  );
  const sources = driverSources(unit, driverDefects, ctx, room);

  interface PositionIrs {
    head?: Float64Array[][]; // [driver][ear]
    ref?: Float64Array[]; // [driver]
  }
  const cache = new Map<string, PositionIrs>();
  // IR spectra at convolution sizes, for the current position only
  let spectrumCache = new Map<string, Spectrum>();
  let spectrumCacheKey = "";
  // drive spectra of recently played stimuli (the same sweep is played for every capture)
  const driveCache = new WeakMap<
    Float64Array,
    Map<string, { checksum: number; spectrum: Spectrum }>
  >();
  const noiseTable = gaussianTable(hashString(`${seed}/${options.serial}/noise-table`));
  let current: MicPosition = DEFAULT_POSITION;
  let closed = false;
  /** How often each capture (position, outputs, stimulus) was made: its repeats draw new noise. */
  const captureRepeats = new Map<string, number>();
  const name = `sim:${unit.model} ${options.serial}`;

  function listenerPoint(position: MicPosition): Vector3 {
    const az = (position.azimuthDeg * Math.PI) / 180;
    const el = (position.elevationDeg * Math.PI) / 180;
    const d = position.distanceMeters;
    return {
      x: d * Math.cos(el) * Math.cos(az),
      y: d * Math.cos(el) * Math.sin(az),
      z: d * Math.sin(el),
    };
  }

  function checkPosition(position: MicPosition): void {
    const bad = (field: string, rule: string, value: unknown): never => {
      throw new RangeError(
        `Cannot move listener as ${field} must be ${rule}: current value is ${value}`,
      );
    };
    if (typeof position !== "object" || position === null) {
      throw new TypeError(
        `Cannot move listener as position must be a MicPosition object: current value is ${position}`,
      );
    }
    if (!Number.isFinite(position.azimuthDeg)) {
      bad("azimuthDeg", "a finite number", position.azimuthDeg);
    }
    if (!(position.elevationDeg >= -90 && position.elevationDeg <= 90)) {
      bad("elevationDeg", "in [-90, 90]", position.elevationDeg);
    }
    if (!(position.distanceMeters > 0 && Number.isFinite(position.distanceMeters))) {
      bad("distanceMeters", "a positive finite number", position.distanceMeters);
    }
    if (position.headYawDeg !== undefined && !Number.isFinite(position.headYawDeg)) {
      bad("headYawDeg", "a finite number", position.headYawDeg);
    }
    const p = listenerPoint(position);
    const margin = hasHead ? head.radiusMeters : 0;
    for (const e of unit.enclosures) {
      const limit = e.radiusMeters + margin;
      if (distance(p, e.centerMeters) <= limit) {
        const c = e.centerMeters;
        bad(
          "distanceMeters",
          `large enough that the ${
            hasHead ? "head" : "mic"
          } at azimuth ${position.azimuthDeg}°, elevation ${position.elevationDeg}° stays outside the enclosure (bounding sphere of radius ${e.radiusMeters} m around (${c.x}, ${c.y}, ${c.z}) m${
            hasHead ? ` plus the head radius ${head.radiusMeters} m` : ""
          })`,
          position.distanceMeters,
        );
      }
    }
    if (room) {
      const q = deviceToRoom(room, p);
      if (!isInsideRoom(room, q, margin + 0.01)) {
        bad(
          "distanceMeters",
          `small enough that the listener stays inside the room (at azimuth ${position.azimuthDeg}° it would be at (${
            q.x.toFixed(2)
          }, ${q.y.toFixed(2)}, ${
            q.z.toFixed(2)
          }) m in a ${room.dimensionsMeters.x} × ${room.dimensionsMeters.y} × ${room.dimensionsMeters.z} m room)`,
          position.distanceMeters,
        );
      }
    }
  }

  function positionKey(position: MicPosition): string {
    return JSON.stringify([
      position.azimuthDeg,
      position.elevationDeg,
      position.distanceMeters,
      position.headYawDeg ?? 0,
    ]);
  }

  function irsAt(position: MicPosition): PositionIrs {
    const key = positionKey(position);
    let entry = cache.get(key);
    if (!entry) {
      entry = {};
      if (cache.size >= POSITION_CACHE_LIMIT) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.set(key, entry);
    }
    return entry;
  }

  /** IR of physical driver `d` at input `inputId` (cached per position). */
  function driverIr(position: MicPosition, d: number, inputId: string): Float64Array {
    const entry = irsAt(position);
    const p = listenerPoint(position);
    const point = room ? deviceToRoom(room, p) : p;
    if (inputId === "ref") {
      entry.ref ??= [];
      const cached = entry.ref[d];
      if (cached) return cached;
      const receiver: ReceiverSpec = { kind: "omni", point };
      const ir = synthesizeImpulseResponses(ctx, sources[d]!, receiver)[0]!;
      entry.ref[d] = ir;
      return ir;
    }
    entry.head ??= [];
    let pair = entry.head[d];
    if (!pair) {
      const lookAt = room ? room.devicePositionMeters : { x: 0, y: 0, z: 0 };
      const yaw = position.headYawDeg ?? 0;
      const ears = earDirections(head, point, lookAt, yaw);
      const receiver: ReceiverSpec = {
        kind: "head",
        center: point,
        left: ears.left,
        right: ears.right,
        front: ears.front,
      };
      pair = synthesizeImpulseResponses(ctx, sources[d]!, receiver);
      entry.head[d] = pair;
    }
    return inputId === "ear-left" ? pair[0]! : pair[1]!;
  }

  function trueImpulseResponses(position: MicPosition = current): TrueImpulseResponses {
    checkPosition(position);
    const ir: Record<string, Record<string, Float64Array>> = {};
    outputs.forEach((output, o) => {
      const d = wiring[o]!;
      const row: Record<string, Float64Array> = {};
      for (const input of micInputs) row[input.id] = driverIr(position, d, input.id).slice();
      ir[output.id] = row;
    });
    return { sampleRate, position: { ...position }, ir };
  }

  function checkOpen(action: string): void {
    if (closed) throw new TypeError(`Cannot ${action} as the device ${name} is closed`);
  }

  async function moveTo(position: MicPosition): Promise<void> {
    checkOpen("move listener");
    checkPosition(position);
    current = { ...position };
    await Promise.resolve();
  }

  async function playRecord(request: PlayRecordRequest): Promise<DeviceRecording> {
    checkOpen("play and record");
    await Promise.resolve();
    const bad = (field: string, rule: string, value: unknown): never => {
      throw new RangeError(
        `Cannot play and record as ${field} must be ${rule}: current value is ${
          typeof value === "number" ? value : JSON.stringify(value)
        }`,
      );
    };
    if (request.outputs.length === 0) {
      bad("outputs", "a non-empty list of output ids", request.outputs);
    }
    if (request.stimulus.length !== request.outputs.length) {
      throw new RangeError(
        `Cannot play and record as stimulus must have one channel per output: ${request.outputs.length} outputs, ${request.stimulus.length} stimulus channels`,
      );
    }
    const outputIndex = request.outputs.map((id) => {
      const i = driverIds.indexOf(id);
      if (i < 0) bad("outputs", `ids among ${driverIds.join(", ")}`, id);
      return i;
    });
    if (new Set(outputIndex).size !== outputIndex.length) {
      bad("outputs", "distinct ids", request.outputs);
    }
    const inputIds = inputs.map((c) => c.id);
    for (const id of request.inputs) {
      if (!inputIds.includes(id)) bad("inputs", `ids among ${inputIds.join(", ")}`, id);
    }
    const stimulusLength = request.stimulus[0]!.length;
    request.stimulus.forEach((s, i) => {
      if (s.length !== stimulusLength) {
        throw new RangeError(
          `Cannot play and record as every stimulus channel must have the same length: channel 0 has ${stimulusLength} samples, channel ${i} has ${s.length}`,
        );
      }
      for (let n = 0; n < s.length; n++) {
        if (!Number.isFinite(s[n]!)) bad(`stimulus[${i}][${n}]`, "finite", s[n]);
      }
    });
    if (!Number.isInteger(request.tailSamples) || request.tailSamples < 0) {
      bad("tailSamples", "an integer >= 0", request.tailSamples);
    }
    const total = stimulusLength + request.tailSamples;
    const identity = [
      positionKey(current),
      request.outputs.join(","),
      request.stimulus.map(stimulusChecksum).join(","),
      stimulusLength,
      request.tailSamples,
    ].join("/");
    const repeat = captureRepeats.get(identity) ?? 0;
    captureRepeats.set(identity, repeat + 1);
    const call = `${identity}#${repeat}`;
    // Open loop: what the DAC plays, on the recorder's clock, from an unknown start.
    const played = deviceClock
      ? playOnDeviceClock(
        request.stimulus,
        deviceClock,
        playbackStartSamples(deviceClock, sampleRate, `${seed}/${options.serial}/${call}`),
        total,
      )
      : request.stimulus;
    const playedLength = played[0]!.length;

    // DAC (clip) and the drivers' nonlinear drive
    const dac = played.map((s) => {
      const u = new Float64Array(s.length);
      for (let n = 0; n < s.length; n++) u[n] = Math.max(-clipLevel, Math.min(clipLevel, s[n]!));
      return u;
    });
    const needsAcoustic = request.inputs.some((id) => id !== "loopback");
    const convSize = nextPowerOfTwo(playedLength + irLengthSamples);
    const plan = needsAcoustic ? realFftPlan(Math.max(4, convSize)) : undefined;
    const driveSpectra: (Spectrum | undefined)[] = needsAcoustic
      ? dac.map((u, o) => {
        const d = wiring[outputIndex[o]!]!;
        if (driverDefects[d]!.dead) return undefined;
        const stimulus = played[o]!;
        const key = `${d}/${plan!.size}`;
        const checksum = stimulusChecksum(stimulus);
        const hit = driveCache.get(stimulus)?.get(key);
        if (hit && hit.checksum === checksum) return hit.spectrum;
        const spectrum = plan!.forward(
          nonlinearDrive(u, unit.drivers[d]!.nonlinearity, driverDefects[d]!, { sampleRate }),
        );
        let perStimulus = driveCache.get(stimulus);
        if (!perStimulus) {
          perStimulus = new Map();
          driveCache.set(stimulus, perStimulus);
        }
        perStimulus.set(key, { checksum, spectrum });
        return spectrum;
      })
      : [];
    const positionNow = positionKey(current);
    if (positionNow !== spectrumCacheKey) {
      spectrumCache = new Map();
      spectrumCacheKey = positionNow;
    }
    const irSpectrum = (d: number, inputId: string): Spectrum => {
      const key = `${d}/${inputId}/${plan!.size}`;
      let H = spectrumCache.get(key);
      if (!H) {
        H = plan!.forward(driverIr(current, d, inputId));
        spectrumCache.set(key, H);
      }
      return H;
    };

    const noiseSigma = noiseLevelDbfs === -Infinity ? 0 : dbToAmplitude(noiseLevelDbfs);
    const channels = request.inputs.map((inputId) => {
      const y = new Float64Array(total);
      if (inputId === "loopback") {
        const u = dac[0]!;
        for (let n = 0; n + latencySamples < total && n < u.length; n++) {
          y[n + latencySamples] = u[n]!;
        }
      } else {
        const bins = plan!.binCount;
        const re = new Float64Array(bins);
        const im = new Float64Array(bins);
        let any = false;
        driveSpectra.forEach((V, o) => {
          if (!V) return;
          const d = wiring[outputIndex[o]!]!;
          const H = irSpectrum(d, inputId);
          any = true;
          for (let k = 0; k < bins; k++) {
            re[k]! += V.re[k]! * H.re[k]! - V.im[k]! * H.im[k]!;
            im[k]! += V.re[k]! * H.im[k]! + V.im[k]! * H.re[k]!;
          }
        });
        if (any) {
          const conv = plan!.inverse({ re, im });
          const limit = Math.min(total - latencySamples, conv.length);
          for (let n = 0; n < limit; n++) y[n + latencySamples] = conv[n]!;
        }
      }
      if (noiseSigma > 0) {
        addTableNoise(
          y,
          noiseTable,
          noiseSigma,
          hashString(`${seed}/${options.serial}/${call}/${inputId}`),
        );
      }
      for (let n = 0; n < total; n++) y[n] = Math.max(-clipLevel, Math.min(clipLevel, y[n]!));
      return y;
    });
    // every sample is finite (finite stimulus, finite IRs, clipped): no copy through createSignal
    return { signal: { sampleRate, channels }, warnings: [] };
  }

  async function close(): Promise<void> {
    closed = true;
    cache.clear();
    await Promise.resolve();
  }

  const roomText = room
    ? `shoebox ${room.dimensionsMeters.x} × ${room.dimensionsMeters.y} × ${room.dimensionsMeters.z} m, image sources to order ${room.maxOrder}`
    : "anechoic";
  return {
    name,
    sampleRate,
    model: unit.model,
    serial: options.serial,
    outputs,
    inputs,
    description:
      `simulated ${unit.model} unit ${options.serial}; mics ${options.mics}; room ${roomText}; noise ${noiseLevelDbfs} dBFS; latency ${latencySamples} samples${
        options.measuredHead ? `; head measured (SOFA ${options.measuredHead.file})` : ""
      }`,
    backend: "sim",
    unit,
    deviations,
    get position() {
      return current;
    },
    trueImpulseResponses,
    moveTo,
    playRecord,
    close,
  };
}

/** Fails option checks of {@linkcode createSimDevice} with a `RangeError`. */
function simFail(field: string, rule: string, value: unknown): never {
  throw new RangeError(
    `Cannot create sim device as ${field} must be ${rule}: current value is ${
      typeof value === "number" ? value : JSON.stringify(value)
    }`,
  );
}

/**
 * Stage 1 of {@linkcode createSimDevice} (after the options): the unit's defects (often from JSON,
 * `--sim-defects`), refusing anything that would silently do nothing.
 */
function resolveDefects(
  given: SimDeviceOptions["defects"],
  driverIds: readonly string[],
  sampleRate: number,
): { wiring: readonly number[]; driverDefects: DriverDefects[] } {
  const fail: typeof simFail = simFail;
  const driverCount = driverIds.length;
  const defects = given ?? {};
  // Defects often come from JSON (--sim-defects): refuse what would silently do nothing.
  if (typeof defects !== "object" || defects === null || Array.isArray(defects)) {
    fail("defects", "an object with drivers and/or wiring", defects);
  }
  for (const key of Object.keys(defects)) {
    if (key !== "drivers" && key !== "wiring") fail("defects key", "drivers or wiring", key);
  }
  const wiring = defects.wiring ?? driverIds.map((_, i) => i);
  const sorted = [...wiring].sort((a, b) => a - b);
  if (wiring.length !== driverCount || sorted.some((v, i) => v !== i)) {
    fail("defects.wiring", `a permutation of 0..${driverCount - 1}`, wiring);
  }
  const driverDefects: DriverDefects[] = driverIds.map(() => ({}));
  for (const [id, d] of Object.entries(defects.drivers ?? {})) {
    const index = driverIds.indexOf(id);
    if (index < 0) fail(`defects.drivers key`, `one of ${driverIds.join(", ")}`, id);
    if (typeof d !== "object" || d === null || Array.isArray(d)) {
      fail(`defects.drivers.${id}`, "an object", d);
    }
    for (const key of Object.keys(d)) {
      if (!DRIVER_DEFECT_KEYS.includes(key)) {
        fail(`defects.drivers.${id} key`, `one of ${DRIVER_DEFECT_KEYS.join(", ")}`, key);
      }
    }
    if (d.dead !== undefined && typeof d.dead !== "boolean") {
      fail(`defects.drivers.${id}.dead`, "true or false", d.dead);
    }
    if (d.polarity !== undefined && d.polarity !== 1 && d.polarity !== -1) {
      fail(`defects.drivers.${id}.polarity`, "1 or -1", d.polarity);
    }
    if (d.sensitivityOffsetDb !== undefined && !Number.isFinite(d.sensitivityOffsetDb)) {
      fail(`defects.drivers.${id}.sensitivityOffsetDb`, "a finite number", d.sensitivityOffsetDb);
    }
    if (d.rubBuzzLevel !== undefined && !(d.rubBuzzLevel >= 0 && d.rubBuzzLevel <= 1)) {
      fail(`defects.drivers.${id}.rubBuzzLevel`, "in [0, 1]", d.rubBuzzLevel);
    }
    if (d.airLeakHz !== undefined && !(d.airLeakHz > 0 && d.airLeakHz < sampleRate / 2)) {
      fail(`defects.drivers.${id}.airLeakHz`, `in (0, ${sampleRate / 2}) Hz`, d.airLeakHz);
    }
    if (d.resonance !== undefined) {
      checkResonanceDefect(d.resonance, `defects.drivers.${id}.resonance`, sampleRate, fail);
    }
    driverDefects[index] = d;
  }

  return { wiring, driverDefects };
}

/** Stage 2 of {@linkcode createSimDevice}: the mic inputs (plus loopback unless open loop) and driver outputs. */
function simChannels(
  mics: SimDeviceOptions["mics"],
  unit: DeviceModel,
  openLoop: boolean,
): {
  micInputs: InputChannel[];
  inputs: InputChannel[];
  outputs: OutputChannel[];
  hasHead: boolean;
} {
  const micInputs: InputChannel[] = [];
  if (mics === "binaural" || mics === "both") {
    micInputs.push({ id: "ear-left", role: "ear-left" }, { id: "ear-right", role: "ear-right" });
  }
  if (mics === "reference" || mics === "both") {
    micInputs.push({ id: "ref", role: "reference" });
  }
  // open loop: the device plays on its own clock, so there is no loopback to record
  const inputs: InputChannel[] = openLoop
    ? [...micInputs]
    : [...micInputs, { id: "loopback", role: "loopback" }];
  const outputs: OutputChannel[] = unit.drivers.map((d) => ({ id: d.id, kind: d.kind }));
  const hasHead = mics !== "reference";

  return { micInputs, inputs, outputs, hasHead };
}

/**
 * Stage 3 of {@linkcode createSimDevice}: each driver as a source for the
 * synthesis — its response (defects applied, anti-alias taper), position and
 * axis (in the room's frame when there is a room) and its image sources.
 */
function driverSources(
  unit: DeviceModel,
  driverDefects: readonly DriverDefects[],
  ctx: SynthesisContext,
  room: Room | null,
): SourceSpec[] {
  const sampleRate = ctx.sampleRate;
  const taper = antiAliasTaper(ctx.frequenciesHz, sampleRate);
  return unit.drivers.map((driver, i) => {
    const defect = driverDefects[i]!;
    const gain = defect.dead
      ? 0
      : (defect.polarity ?? 1) * dbToAmplitude(defect.sensitivityOffsetDb ?? 0);
    const raw = driverResponse(driver, ctx.frequenciesHz, sampleRate, {
      gain,
      ...(defect.airLeakHz !== undefined ? { airLeakHz: defect.airLeakHz } : {}),
      ...(defect.resonance !== undefined ? { resonance: defect.resonance } : {}),
    });
    for (let k = 0; k < taper.length; k++) {
      raw.re[k]! *= taper[k]!;
      raw.im[k]! *= taper[k]!;
    }
    const az = (driver.axis.azimuthDeg * Math.PI) / 180;
    const el = (driver.axis.elevationDeg * Math.PI) / 180;
    const axisDevice = {
      x: Math.cos(el) * Math.cos(az),
      y: Math.cos(el) * Math.sin(az),
      z: Math.sin(el),
    };
    const nearest = [...unit.enclosures].sort((a, b) =>
      distance(a.centerMeters, driver.positionMeters) -
      distance(b.centerMeters, driver.positionMeters)
    )[0]!;
    const position = room ? deviceToRoom(room, driver.positionMeters) : driver.positionMeters;
    return {
      position,
      axis: room ? rotateToRoom(room, axisDevice) : axisDevice,
      pistonRadiusMeters: driver.pistonRadiusMeters,
      baffleRadiusMeters: nearest.radiusMeters,
      response: raw,
      ...(room ? { images: imageSources(room, position), exactOrder: room.exactOrder } : {}),
    };
  });
}

/**
 * The noise-free linear IRs of a simulated device at `position` (default
 * its current one), keyed by output id then input id. Sample 0 is the DAC
 * instant; propagation delay is kept; latency is not included.
 */
export function trueImpulseResponses(
  device: SimDevice,
  position?: MicPosition,
): TrueImpulseResponses {
  return device.trueImpulseResponses(position);
}

/**
 * The driver's memoryless drive: `u + a2·u² + a3·u³` plus rub & buzz
 * `L/√21·p·Σ_{n=10}^{30} T_n(u/p)` (p the peak |u|, T_n Chebyshev
 * polynomials: a sine of amplitude p gives harmonics 10..30 each at L/√21).
 */
export function nonlinearDrive(
  u: Float64Array,
  nonlinearity: { readonly secondOrder: number; readonly thirdOrder: number },
  defects: DriverDefects = {},
  options: { readonly sampleRate?: number } = {},
): Float64Array {
  const a2 = nonlinearity.secondOrder, a3 = nonlinearity.thirdOrder;
  const v = new Float64Array(u.length);
  const level = defects.rubBuzzLevel ?? 0;
  // Rub & buzz follows cone excursion, which is large at low frequencies. With a
  // sample rate, the Chebyshev terms are driven by the drive low-passed (4th-order
  // Butterworth) at 0.9·fs/(2·30): harmonic 30 of what passes stays below Nyquist,
  // so the distortion does not alias into other bands of the recording.
  const excursion = level > 0 && options.sampleRate !== undefined
    ? biquadFilter(
      [0.5412, 1.3066].map((q) =>
        designBiquad({
          type: "lowpass",
          frequencyHz: (0.9 * options.sampleRate!) / (2 * RUB_BUZZ_LAST),
          sampleRate: options.sampleRate!,
          q,
        })
      ),
      u,
    )
    : u;
  let peak = 0, peakU = 0;
  if (level > 0) {
    for (let n = 0; n < u.length; n++) {
      peak = Math.max(peak, Math.abs(excursion[n]!));
      peakU = Math.max(peakU, Math.abs(u[n]!));
    }
  }
  const scale = peak > 0 ? (level * peakU) / Math.sqrt(RUB_BUZZ_LAST - RUB_BUZZ_FIRST + 1) : 0;
  // Σ T_n(0) = Σ cos(nπ/2): the constant the even orders give at rest, removed so that
  // a small excursion adds no offset.
  let atRest = 0;
  for (let m = RUB_BUZZ_FIRST; m <= RUB_BUZZ_LAST; m++) {
    atRest += Math.round(Math.cos((m * Math.PI) / 2));
  }
  for (let n = 0; n < u.length; n++) {
    const x = u[n]!;
    let y = x + a2 * x * x + a3 * x * x * x;
    if (scale > 0) {
      // Normalized to the drive's peak: a high tone's small excursion gives almost no rub & buzz.
      const t = Math.max(-1, Math.min(1, excursion[n]! / peakU));
      let tPrev = 1, tCur = t, sum = 0;
      for (let m = 1; m < RUB_BUZZ_LAST; m++) {
        const tNext = 2 * t * tCur - tPrev; // T_{m+1}
        tPrev = tCur;
        tCur = tNext;
        if (m + 1 >= RUB_BUZZ_FIRST) sum += tCur;
      }
      y += scale * (sum - atRest);
    }
    v[n] = y;
  }
  return v;
}

/**
 * 2^16 standard-normal draws (Box–Muller), shifted and scaled to exactly zero
 * mean and unit variance. Input noise picks entries of this table with a
 * seeded uniform generator: independent (white) samples with a Gaussian
 * marginal, at a fraction of the cost of a Box–Muller pair per sample.
 */
function gaussianTable(seed: number): Float64Array {
  const random = createRandom(seed);
  const table = new Float64Array(1 << NOISE_TABLE_BITS);
  let mean = 0;
  for (let i = 0; i < table.length; i++) {
    table[i] = random.normal();
    mean += table[i]!;
  }
  mean /= table.length;
  let power = 0;
  for (let i = 0; i < table.length; i++) {
    table[i]! -= mean;
    power += table[i]! * table[i]!;
  }
  const scale = 1 / Math.sqrt(power / table.length);
  for (let i = 0; i < table.length; i++) table[i]! *= scale;
  return table;
}

/** Add `sigma`·(white noise drawn from `table`) to y, two 16-bit draws per mulberry32 step. */
function addTableNoise(y: Float64Array, table: Float64Array, sigma: number, seed: number): void {
  let state = seed >>> 0;
  const mask = table.length - 1;
  for (let n = 0; n < y.length; n += 2) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    t = (t ^ (t >>> 14)) >>> 0;
    y[n]! += sigma * table[t & mask]!;
    if (n + 1 < y.length) y[n + 1]! += sigma * table[(t >>> NOISE_TABLE_BITS) & mask]!;
  }
}

/** A cheap fingerprint of a stimulus, to detect a reused array that was changed. */
function stimulusChecksum(x: Float64Array): number {
  let a = 0, b = 0;
  for (let n = 0; n < x.length; n++) {
    a += x[n]!;
    b += x[n]! * ((n % 1021) + 1);
  }
  return a * 1.000003 + b;
}

function distance(a: Vector3, b: Vector3): number {
  return Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z);
}

function checkResonanceDefect(
  r: unknown,
  field: string,
  sampleRate: number,
  fail: (field: string, rule: string, value: unknown) => never,
): void {
  const o = r as Record<string, unknown>;
  if (typeof r !== "object" || r === null || Array.isArray(r)) {
    fail(field, "an object { hz, q, gainDb }", r);
  }
  const n = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  if (!n(o.hz) || !((o.hz as number) > 0 && (o.hz as number) < 0.49 * sampleRate)) {
    fail(`${field}.hz`, `in (0, ${0.49 * sampleRate}) Hz`, o.hz);
  }
  if (!n(o.q) || !((o.q as number) >= 0.3 && (o.q as number) <= 50)) {
    fail(`${field}.q`, "in [0.3, 50]", o.q);
  }
  if (!n(o.gainDb) || Math.abs(o.gainDb as number) > 24) {
    fail(`${field}.gainDb`, "in [-24, 24] dB", o.gainDb);
  }
  for (const key of Object.keys(o)) {
    if (!["hz", "q", "gainDb"].includes(key)) fail(`${field} key`, "one of hz, q, gainDb", key);
  }
}
