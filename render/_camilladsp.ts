/**
 * Private: the CamillaDSP writer of `export.ts` (the YAML schema of the
 * CamillaDSP 3/4 README: "Devices", "Filters / FIR", "Mixers", "Pipeline").
 *
 * @module
 */
import type { BundleFilters } from "../calibrate/bundle.ts";
import type { ExportableBundle } from "./export.ts";
import { encoder, type EngineFiles, filterWavs, type Plan } from "./_export_common.ts";

/** A YAML scalar: numbers and booleans bare, strings double-quoted (JSON escapes are YAML's). */
function yamlValue(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/** Minimal YAML emitter for nested objects, arrays of objects and inline scalar lists. */
function toYaml(value: unknown, indent = 0): string {
  const pad = " ".repeat(indent);
  if (Array.isArray(value)) {
    return value.map((item) => {
      if (typeof item === "object" && item !== null) {
        const body = toYaml(item, indent + 2).trimStart();
        return `${pad}- ${body}`;
      }
      return `${pad}- ${yamlValue(item)}\n`;
    }).join("");
  }
  let out = "";
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null)) {
      out += `${pad}${k}: [${v.map(yamlValue).join(", ")}]\n`;
    } else if (Array.isArray(v)) {
      out += `${pad}${k}:\n${toYaml(v, indent + 2)}`;
    } else if (typeof v === "object" && v !== null) {
      out += `${pad}${k}:\n${toYaml(v, indent + 2)}`;
    } else {
      out += `${pad}${k}: ${v === null ? "null" : yamlValue(v)}\n`;
    }
  }
  return out;
}

/** CamillaDSP: YAML config and the filter WAVs. */
export function camilladspExport(
  bundle: ExportableBundle,
  filters: BundleFilters,
  plan: Plan,
): EngineFiles {
  const drivers = bundle.device.drivers;
  const ni = bundle.inputs.length, nd = drivers.length;
  const files = filterWavs(bundle, filters);
  let capture: Record<string, unknown>, playback: Record<string, unknown>;
  if (plan.io === "file") {
    capture = plan.inputWav
      ? {
        type: "WavFile",
        filename: plan.input,
        extra_samples: bundle.taps,
      }
      : {
        type: "RawFile",
        channels: ni,
        filename: plan.input,
        format: "F32_LE",
        extra_samples: bundle.taps,
      };
    playback = { type: "File", channels: nd, filename: plan.output, format: "F32_LE" };
  } else if (plan.io === "jack") {
    capture = { type: "Jack", channels: ni, device: "default" };
    playback = { type: "Jack", channels: nd, device: "default" };
  } else {
    capture = { type: "Alsa", channels: ni, device: plan.capture[0], format: "S32_LE" };
    playback = { type: "Alsa", channels: nd, device: plan.playback[0], format: "S32_LE" };
  }
  const filterDefs: Record<string, unknown> = {};
  const pairs: { input: string; i: number; driver: string; d: number; ch: number }[] = [];
  bundle.inputs.forEach((input, i) => {
    drivers.forEach((driver, d) => {
      pairs.push({ input, i, driver, d, ch: i * nd + d });
      filterDefs[`${input}_to_${driver}`] = {
        type: "Conv",
        parameters: { type: "Wav", filename: `filters/${input}.wav`, channel: d },
      };
    });
  });
  const config = {
    title: `spatialcal ${bundle.device.model} ${bundle.device.serial}`,
    description:
      `Written by deno task export: out_d = sum_i filters[i][d] * in_i, outputs in device.drivers order (${
        drivers.join(", ")
      }).`,
    devices: {
      samplerate: bundle.sampleRate,
      chunksize: plan.partitionSize,
      capture,
      playback,
    },
    filters: filterDefs,
    mixers: {
      inputs_to_paths: {
        description: "channel i*drivers + d carries input i for driver d",
        channels: { in: ni, out: ni * nd },
        mapping: pairs.map((p) => ({
          dest: p.ch,
          sources: [{ channel: p.i, gain: 0, inverted: false, scale: "dB" }],
        })),
      },
      paths_to_drivers: {
        description: "driver d sums its paths from every input",
        labels: [...drivers],
        channels: { in: ni * nd, out: nd },
        mapping: drivers.map((_, d) => ({
          dest: d,
          sources: bundle.inputs.map((_, i) => ({
            channel: i * nd + d,
            gain: 0,
            inverted: false,
            scale: "dB",
          })),
        })),
      },
    },
    pipeline: [
      { type: "Mixer", name: "inputs_to_paths" },
      ...pairs.map((p) => ({
        type: "Filter",
        channels: [p.ch],
        names: [`${p.input}_to_${p.driver}`],
      })),
      { type: "Mixer", name: "paths_to_drivers" },
    ],
  };
  files.set("camilladsp.yml", encoder.encode(`---\n${toYaml(config)}`));
  return {
    files,
    latency: {
      samples: null,
      rule:
        "CamillaDSP processes whole chunks: its delay is at least one chunk plus the playback buffer (target_level); not run here",
    },
    run: "camilladsp camilladsp.yml",
  };
}
