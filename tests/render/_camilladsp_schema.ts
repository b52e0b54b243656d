/**
 * A checker of CamillaDSP configurations written from its documented schema
 * (CamillaDSP README v4.1: "Devices", "Mixers", "Filters / FIR", "Pipeline"),
 * for the parts an export uses: unknown keys are errors (CamillaDSP's config
 * types refuse them), types and enumerations as documented, every name the
 * pipeline uses is defined, mixer channel counts chain from the capture
 * channels to the playback channels, every filter channel exists at its step,
 * and every `Conv`/`Wav` coefficient file exists with the selected channel.
 *
 * CamillaDSP itself is not in Debian or npm, so this is how the exported
 * YAML is checked here (parsed by PyYAML, an independent parser).
 *
 * @module
 */
import { join } from "node:path";
import { decodeWav } from "../../io/wav.ts";

const DEVICE_TYPES = [
  "RawFile",
  "WavFile",
  "File",
  "SignalGenerator",
  "Stdin",
  "Stdout",
  "Bluez",
  "Jack",
  "Wasapi",
  "Asio",
  "CoreAudio",
  "Alsa",
  "Pulse",
];
const CAPTURE_ONLY = ["RawFile", "WavFile", "SignalGenerator", "Stdin", "Bluez"];
const PLAYBACK_ONLY = ["File", "Stdout"];
const FILE_FORMATS = [
  "S16_LE",
  "S24_3_LE",
  "S24_4_RJ_LE",
  "S24_4_LJ_LE",
  "S32_LE",
  "F32_LE",
  "F64_LE",
];
const DEVICES_KEYS = [
  "samplerate",
  "chunksize",
  "queuelimit",
  "silence_threshold",
  "silence_timeout",
  "target_level",
  "adjust_period",
  "enable_rate_adjust",
  "resampler",
  "capture_samplerate",
  "stop_on_rate_change",
  "rate_measure_interval",
  "volume_ramp_time",
  "volume_limit",
  "multithreaded",
  "worker_threads",
  "capture",
  "playback",
];
const DEVICE_KEYS = [
  "type",
  "channels",
  "device",
  "filename",
  "format",
  "labels",
  "extra_samples",
  "skip_bytes",
  "read_bytes",
  "wav_header",
];

/** Parse YAML with Debian's PyYAML (safe_load) and return the JSON value. */
export async function parseYamlWithPython(path: string): Promise<unknown> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      "import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
      path,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
const isUint = (x: unknown) => typeof x === "number" && Number.isInteger(x) && x >= 0;

/**
 * Check a parsed CamillaDSP config; returns the list of problems (empty when valid).
 *
 * @param config The parsed YAML.
 * @param configDir The config file's folder (relative coefficient paths are searched there first).
 */
export async function camillaDspProblems(config: unknown, configDir: string): Promise<string[]> {
  const p: string[] = [];
  const only = (o: Obj, keys: string[], where: string) => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) p.push(`${where}: unknown key ${k}`);
  };
  if (!isObj(config)) return ["top level: not a mapping"];
  only(
    config,
    ["title", "description", "devices", "filters", "mixers", "processors", "pipeline"],
    "top level",
  );
  for (const k of ["title", "description"]) {
    if (config[k] !== undefined && config[k] !== null && typeof config[k] !== "string") {
      p.push(`${k}: not a string`);
    }
  }
  const devices = config.devices;
  if (!isObj(devices)) return [...p, "devices: missing"];
  only(devices, DEVICES_KEYS, "devices");
  for (const k of ["samplerate", "chunksize"]) {
    if (!isUint(devices[k]) || (devices[k] as number) === 0) {
      p.push(`devices.${k}: not a positive integer`);
    }
  }
  const channelsOf: Record<string, number> = {};
  for (const side of ["capture", "playback"] as const) {
    const d = devices[side];
    if (!isObj(d)) {
      p.push(`devices.${side}: missing`);
      continue;
    }
    only(d, DEVICE_KEYS, `devices.${side}`);
    const type = d.type as string;
    if (!DEVICE_TYPES.includes(type)) p.push(`devices.${side}.type: unknown ${type}`);
    if (side === "capture" && PLAYBACK_ONLY.includes(type)) p.push(`${type} is playback only`);
    if (side === "playback" && CAPTURE_ONLY.includes(type)) p.push(`${type} is capture only`);
    if (type === "WavFile") {
      if (typeof d.filename !== "string") p.push(`devices.${side}.filename: missing`);
      else {
        const wav = decodeWav(await Deno.readFile(d.filename as string));
        channelsOf[side] = wav.channels.length;
      }
    } else {
      if (!isUint(d.channels) || d.channels === 0) {
        p.push(`devices.${side}.channels: not a positive integer`);
      }
      channelsOf[side] = d.channels as number;
    }
    if (["File", "RawFile", "WavFile"].includes(type) && typeof d.filename !== "string") {
      p.push(`devices.${side}.filename: missing for ${type}`);
    }
    if (["Alsa", "Pulse"].includes(type) && typeof d.device !== "string") {
      p.push(`devices.${side}.device: missing for ${type}`);
    }
    if (
      ["File", "RawFile", "Stdin", "Stdout"].includes(type) &&
      !FILE_FORMATS.includes(d.format as string)
    ) {
      p.push(`devices.${side}.format: ${d.format} is not one of ${FILE_FORMATS.join(", ")}`);
    }
    if (["Jack", "Pulse", "WavFile"].includes(type) && d.format !== undefined) {
      p.push(`devices.${side}.format: not used for ${type}`);
    }
  }
  const filters = isObj(config.filters) ? config.filters : {};
  for (const [name, f] of Object.entries(filters)) {
    if (!isObj(f)) {
      p.push(`filters.${name}: not a mapping`);
      continue;
    }
    only(f, ["type", "description", "parameters"], `filters.${name}`);
    if (f.type !== "Conv") continue; // only Conv is used by exports
    const par = f.parameters;
    if (!isObj(par)) {
      p.push(`filters.${name}.parameters: missing`);
      continue;
    }
    if (par.type === "Wav") {
      only(par, ["type", "filename", "channel"], `filters.${name}.parameters`);
      if (typeof par.filename !== "string") p.push(`filters.${name}.parameters.filename: missing`);
      else {
        const wav = decodeWav(await Deno.readFile(join(configDir, par.filename)));
        const ch = (par.channel ?? 0) as number;
        if (!isUint(ch) || ch >= wav.channels.length) {
          p.push(
            `filters.${name}.parameters.channel: ${ch} not in ${par.filename} (${wav.channels.length} channels)`,
          );
        }
      }
    } else if (!["Raw", "Values", "Dummy"].includes(par.type as string)) {
      p.push(`filters.${name}.parameters.type: unknown ${par.type}`);
    }
  }
  const mixers = isObj(config.mixers) ? config.mixers : {};
  for (const [name, m] of Object.entries(mixers)) {
    if (!isObj(m)) {
      p.push(`mixers.${name}: not a mapping`);
      continue;
    }
    only(m, ["description", "labels", "channels", "mapping"], `mixers.${name}`);
    const ch = m.channels as Obj;
    if (!isObj(ch) || !isUint(ch.in) || !isUint(ch.out)) {
      p.push(`mixers.${name}.channels: needs in and out`);
      continue;
    }
    only(ch, ["in", "out"], `mixers.${name}.channels`);
    const dests = new Set<number>();
    for (const [k, map] of (Array.isArray(m.mapping) ? m.mapping : []).entries()) {
      if (!isObj(map)) continue;
      only(map, ["dest", "mute", "sources"], `mixers.${name}.mapping[${k}]`);
      const dest = map.dest as number;
      if (!isUint(dest) || dest >= (ch.out as number)) {
        p.push(`mixers.${name}: dest ${dest} out of range`);
      }
      if (dests.has(dest)) p.push(`mixers.${name}: dest ${dest} twice`);
      dests.add(dest);
      for (const s of (Array.isArray(map.sources) ? map.sources : []) as Obj[]) {
        only(
          s,
          ["channel", "gain", "inverted", "mute", "scale"],
          `mixers.${name}.mapping[${k}].sources`,
        );
        if (!isUint(s.channel) || (s.channel as number) >= (ch.in as number)) {
          p.push(`mixers.${name}: source channel ${s.channel} out of range`);
        }
        if (s.scale !== undefined && !["dB", "linear"].includes(s.scale as string)) {
          p.push(`mixers.${name}: scale ${s.scale}`);
        }
        if (s.gain !== undefined && typeof s.gain !== "number") {
          p.push(`mixers.${name}: gain ${s.gain}`);
        }
        if (s.inverted !== undefined && typeof s.inverted !== "boolean") {
          p.push(`mixers.${name}: inverted`);
        }
      }
    }
  }
  let channels = channelsOf.capture ?? 0;
  for (const [k, step] of (Array.isArray(config.pipeline) ? config.pipeline : []).entries()) {
    if (!isObj(step)) {
      p.push(`pipeline[${k}]: not a mapping`);
      continue;
    }
    if (step.type === "Mixer") {
      only(step, ["type", "name", "description", "bypassed"], `pipeline[${k}]`);
      const m = mixers[step.name as string] as Obj | undefined;
      if (!m) {
        p.push(`pipeline[${k}]: mixer ${step.name} not defined`);
        continue;
      }
      const ch = m.channels as Obj;
      if (ch.in !== channels) {
        p.push(`pipeline[${k}]: mixer ${step.name} takes ${ch.in} channels, gets ${channels}`);
      }
      channels = ch.out as number;
    } else if (step.type === "Filter") {
      only(step, ["type", "names", "channels", "description", "bypassed"], `pipeline[${k}]`);
      for (const n of (step.names ?? []) as string[]) {
        if (!(n in filters)) p.push(`pipeline[${k}]: filter ${n} not defined`);
      }
      for (const c of (step.channels ?? []) as number[]) {
        if (!isUint(c) || c >= channels) {
          p.push(`pipeline[${k}]: channel ${c} does not exist (${channels})`);
        }
      }
    } else p.push(`pipeline[${k}]: type ${step.type} not used by exports`);
  }
  if (channelsOf.playback !== undefined && channels !== channelsOf.playback) {
    p.push(`pipeline ends with ${channels} channels, playback has ${channelsOf.playback}`);
  }
  return p;
}
