/**
 * Private: the jconvolver / fconvolver writer of `export.ts` (jconvolver 1.1
 * README.CONFIG command language).
 *
 * @module
 */
import type { BundleFilters } from "../calibrate/bundle.ts";
import type { EngineLatency, ExportableBundle } from "./export.ts";
import { encoder, type EngineFiles, filterWavs, type Plan } from "./_export_common.ts";

/** jconvolver / fconvolver: config text and the filter WAVs. */
export function jconvolverExport(
  bundle: ExportableBundle,
  filters: BundleFilters,
  plan: Plan,
): EngineFiles {
  const P = plan.partitionSize;
  const drivers = bundle.device.drivers;
  const files = filterWavs(bundle, filters);
  const live = plan.io === "jack";
  const maxLength = Math.ceil(bundle.taps / P) * P;
  const lines = [
    `# jconvolver configuration written by spatialcal (deno task export).`,
    `# Bundle: ${bundle.device.model} ${bundle.device.serial}, ${bundle.taps} taps at ${bundle.sampleRate} Hz.`,
    live
      ? `# Run from this folder (JACK running at ${bundle.sampleRate} Hz, period ${P}): jconvolver jconvolver.conf`
      : `# Run from this folder: fconvolver -T jconvolver.conf ${plan.input} ${plan.output}`,
    `# Output d feeds driver d of device.drivers: ${drivers.join(", ")}.`,
    "#",
    ...(live ? [`/jack/client ${plan.clientName}`] : []),
    "# /convolver/new <inputs> <outputs> <partition> <max impulse length> <density>",
    `/convolver/new ${bundle.inputs.length} ${drivers.length} ${P} ${maxLength} 1.0`,
  ];
  bundle.inputs.forEach((input, i) => {
    const port = live ? plan.capture[i] ?? "" : "";
    lines.push(`/input/name ${i + 1} ${input}${port ? ` ${port}` : ""}`);
  });
  drivers.forEach((driver, d) => {
    const port = live ? plan.playback[d] ?? "" : "";
    lines.push(`/output/name ${d + 1} ${driver}${port ? ` ${port}` : ""}`);
  });
  lines.push("# /impulse/read <input> <output> <gain> <delay> <offset> <length> <channel> <file>");
  bundle.inputs.forEach((input, i) => {
    drivers.forEach((_, d) => {
      lines.push(`/impulse/read ${i + 1} ${d + 1} 1.0 0 0 0 ${d + 1} filters/${input}.wav`);
    });
  });
  files.set("jconvolver.conf", encoder.encode(`${lines.join("\n")}\n`));
  const latency: EngineLatency = live
    ? {
      samples: 0,
      rule: `JACK: no processing delay when the partition (${P}) equals the JACK period`,
    }
    : {
      samples: 0,
      rule:
        "fconvolver: output sample n for input sample n; run with -T (output as long as the input) and pad the input with taps - 1 zeros: past the input's end fconvolver 1.1.0 does not convolve zeros (measured: its tail is wrong)",
    };
  const run = live
    ? "jconvolver jconvolver.conf"
    : `fconvolver -T jconvolver.conf ${plan.input} ${plan.output}`;
  return { files, latency, run };
}
