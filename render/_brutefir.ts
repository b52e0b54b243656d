/**
 * Private: the BruteFIR writer of `export.ts` (BruteFIR 1.0 configuration
 * syntax, brutefir.html: "Configuring and running", "I/O modules").
 *
 * @module
 */
import type { BundleFilters } from "../calibrate/bundle.ts";
import type { EngineLatency, ExportableBundle } from "./export.ts";
import { encoder, type EngineFiles, float32LeBytes, type Plan, quote } from "./_export_common.ts";

/** BruteFIR: config text and coefficient files. */
export function brutefirExport(
  bundle: ExportableBundle,
  filters: BundleFilters,
  plan: Plan,
): EngineFiles {
  const P = plan.partitionSize;
  const blocks = Math.ceil(bundle.taps / P);
  const drivers = bundle.device.drivers;
  const files = new Map<string, Uint8Array>();
  const lines: string[] = [
    `# BruteFIR configuration written by spatialcal (deno task export).`,
    `# Bundle: ${bundle.device.model} ${bundle.device.serial}, ${bundle.taps} taps at ${bundle.sampleRate} Hz.`,
    `# Run from this folder: brutefir -nodefault brutefir.conf`,
    `# Output channel d feeds driver d of device.drivers: ${drivers.join(", ")}.`,
    "",
    "## GENERAL SETTINGS (every default given: run with -nodefault) ##",
    "float_bits: 64;",
    `sampling_rate: ${bundle.sampleRate};`,
    `filter_length: ${P},${blocks};`,
    "overflow_warnings: true;",
    "show_progress: false;",
    "max_dither_table_size: 0;",
    "allow_poll_mode: false;",
    'modules_path: ".";',
    "powersave: false;",
    "monitor_rate: false;",
    "lock_memory: false;",
    "sdf_length: -1;",
    'convolver_config: "brutefir_wisdom";',
    "benchmark: false;",
    "",
    "## COEFFICIENTS: one per (input, driver), raw float32 LE, zero-padded to whole partitions ##",
  ];
  for (const input of bundle.inputs) {
    drivers.forEach((driver, d) => {
      const path = `coeffs/${input}.${driver}.f32`;
      const h = new Float64Array(P * blocks);
      h.set(filters[input]![d]!);
      files.set(path, float32LeBytes([h]));
      lines.push(
        `coeff ${quote(`${input}.${driver}`)} { filename: ${
          quote(path)
        }; format: "FLOAT_LE"; attenuation: 0.0; blocks: -1; skip: 0; shared_mem: false; };`,
      );
    });
  }
  const ni = bundle.inputs.length, nd = drivers.length;
  const zeros = (n: number, v: string) => Array.from({ length: n }, () => v).join(",");
  const chList = (n: number) => `${n}/${Array.from({ length: n }, (_, i) => i).join(",")}`;
  let inDevice: string, outDevice: string, inSample: string, outSample: string;
  let latency: EngineLatency;
  if (plan.io === "file") {
    const skip = plan.inputWav ? ` skip: ${plan.inputWav.dataOffset};` : "";
    inDevice = `"file" { path: ${quote(plan.input)};${skip} }`;
    outDevice = `"file" { path: ${quote(plan.output)}; }`;
    inSample = plan.inputWav?.brutefirSample ?? "FLOAT_LE";
    outSample = "FLOAT_LE";
    latency = {
      samples: 0,
      rule:
        "file I/O: BruteFIR writes output sample n for input sample n (its I/O delay of 2 partitions applies to sound cards); the output is as long as the input: pad the input with taps - 1 zeros to get the whole tail",
    };
  } else if (plan.io === "jack") {
    const ports = (names: readonly string[], own: readonly string[]) =>
      names.map((p, i) => `${quote(p)}/${quote(own[i]!)}`).join(", ");
    inDevice = `"jack" { clientname: ${quote(plan.clientName)}; ports: ${
      ports(plan.capture, bundle.inputs)
    }; }`;
    outDevice = `"jack" { ports: ${ports(plan.playback, drivers)}; }`;
    inSample = "AUTO";
    outSample = "AUTO";
    latency = {
      samples: null,
      rule:
        `JACK: 2 * partition / JACK period - 2 periods (${P} = period gives 0); BruteFIR's JACK module expects jackd -R`,
    };
  } else {
    inDevice = `"alsa" { device: ${quote(plan.capture[0]!)}; }`;
    outDevice = `"alsa" { device: ${quote(plan.playback[0]!)}; }`;
    inSample = "S32_LE";
    outSample = "S32_LE";
    latency = {
      samples: 2 * P,
      rule: "sound card I/O: always exactly twice the partition length (plus the converters)",
    };
  }
  lines.push(
    "",
    "## INPUTS ##",
    `input ${bundle.inputs.map(quote).join(", ")} {`,
    `  device: ${inDevice};`,
    `  sample: ${quote(inSample)};`,
    `  channels: ${chList(ni)};`,
    `  delay: ${zeros(ni, "0")};`,
    "  maxdelay: -1;",
    `  mute: ${zeros(ni, "false")};`,
    "};",
    "",
    "## OUTPUTS: one per driver, device.drivers order ##",
    `output ${drivers.map(quote).join(", ")} {`,
    `  device: ${outDevice};`,
    `  sample: ${quote(outSample)};`,
    `  channels: ${chList(nd)};`,
    `  delay: ${zeros(nd, "0")};`,
    "  maxdelay: -1;",
    `  mute: ${zeros(nd, "false")};`,
    "  dither: false;",
    "};",
    "",
    "## FILTERS: input i through coeff (i, d) into output d (outputs sum their filters) ##",
  );
  for (const input of bundle.inputs) {
    for (const driver of drivers) {
      lines.push(
        `filter ${quote(`${input}>${driver}`)} { from_inputs: ${quote(input)}; to_outputs: ${
          quote(driver)
        }; coeff: ${quote(`${input}.${driver}`)}; process: -1; delay: 0; crossfade: false; };`,
      );
    }
  }
  files.set("brutefir.conf", encoder.encode(`${lines.join("\n")}\n`));
  return { files, latency, run: "brutefir -nodefault brutefir.conf" };
}
