/**
 * A minimal, honest AudioDevice for session tests: each (driver, mic) has a
 * known impulse response per azimuth, the DAC→ADC path adds a fixed latency,
 * and a loopback input records the electrical output. It plays and records;
 * it never hands out IRs.
 */
import type {
  AudioDevice,
  DeviceRecording,
  MicPosition,
  PlayRecordRequest,
} from "../../measure/audio_device.ts";
import { fftConvolve } from "../../dsp/convolve.ts";

export interface FakeDeviceOptions {
  readonly serial?: string;
  readonly latencySamples?: number;
  /** Throw on the n-th playRecord call (1-based), e.g. to imitate an audio server dying. */
  readonly failOnCall?: number;
  /** Zero a run of samples in the n-th call's recording (a dropout). */
  readonly dropoutOnCall?: number;
}

/** Known IR of driver d at mic m for azimuth az: a delta whose delay and gain depend on all three. */
export function fakeIr(driver: number, mic: number, azimuthDeg: number): Float64Array {
  const h = new Float64Array(256);
  h[20 + 10 * driver + 5 * mic + Math.round(Math.abs(azimuthDeg) / 10)] = 0.5 / (1 + driver + mic);
  return h;
}

export function createFakeDevice(options: FakeDeviceOptions = {}): AudioDevice & { calls: number } {
  const latency = options.latencySamples ?? 77;
  const outputs = [{ id: "left", kind: "midrange" }, { id: "right", kind: "midrange" }, {
    id: "woofer",
    kind: "woofer",
  }];
  const inputs = [{ id: "ear-left", role: "ear-left" as const }, {
    id: "ear-right",
    role: "ear-right" as const,
  }, {
    id: "loop",
    role: "loopback" as const,
  }];
  let position: MicPosition = { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 1 };
  const device = {
    name: "fake",
    sampleRate: 48000,
    model: "fake3",
    serial: options.serial ?? "FAKE-1",
    outputs,
    inputs,
    description: "test double",
    backend: "fake",
    calls: 0,
    moveTo(p: MicPosition) {
      position = p;
      return Promise.resolve();
    },
    playRecord(request: PlayRecordRequest): Promise<DeviceRecording> {
      device.calls++;
      if (device.calls === options.failOnCall) {
        return Promise.reject(new Error("audio server went away"));
      }
      const length = request.stimulus[0]!.length + request.tailSamples;
      const channels = request.inputs.map((id) => {
        const y = new Float64Array(length);
        request.outputs.forEach((out, k) => {
          const d = outputs.findIndex((o) => o.id === out);
          const x = request.stimulus[k]!;
          const m = inputs.findIndex((i) => i.id === id);
          const path = id === "loop" ? Float64Array.of(1) : fakeIr(d, m, position.azimuthDeg);
          const wet = fftConvolve(x, path);
          for (let i = 0; i + latency < length && i < wet.length; i++) y[i + latency]! += wet[i]!;
        });
        if (device.calls === options.dropoutOnCall && id !== "loop") y.fill(0, 5000, 5512);
        return y;
      });
      return Promise.resolve({ signal: { sampleRate: 48000, channels }, warnings: [] });
    },
    close: () => Promise.resolve(),
  };
  return device;
}
