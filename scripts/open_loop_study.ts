/**
 * The open-loop figures of the README (issue 17), at full size:
 * 1. the great-hall IR of Debian's guitarix-common through a device clock of ±5/±50/±200 ppm
 *    from random starts up to 2 s: driftPpm, its standard error, IR error in band, THD;
 * 2. a sim unit measured closed loop and open loop (`measure --open-loop --clock-ppm X`), each
 *    fitted (`fit --beamformer none`) and both bundles evaluated on the closed-loop set: the
 *    largest difference of separation over the ⅓-octave bands.
 *
 * `deno run -A scripts/open_loop_study.ts [--model studio5] [--clock-ppm 200] [--seed 1]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { synchronizedSweep } from "../measure/synchronized_sweep.ts";
import { deconvolveOpenLoop, openLoopLayout, openLoopStimulus } from "../measure/open_loop.ts";
import { inBandErrorDb, openLoopRecording, readGreatHall } from "../tests/measure/_open_loop.ts";
import { seededRandom } from "../tests/_assert.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    model: { type: "string", default: "studio5" },
    "clock-ppm": { type: "string", default: "200" },
    seed: { type: "string", default: "1" },
  },
});
const fs = 48000;
const rand = seededRandom(Number(values.seed));

console.log("1. great-hall IR, 2 s sweep, tail 2.5 s, noise -100 dBFS");
console.log(
  "| truth ppm | start s | driftPpm ± | error in band dB | worst 1/3 oct dB (Hz) | THD % |",
);
const sweep = synchronizedSweep({ startHz: 20, endHz: 20000, durationSeconds: 2, sampleRate: fs });
const hall = await readGreatHall();
const layout = openLoopLayout(sweep, 1, 2.5);
const stimulus = openLoopStimulus(sweep, layout);
for (const ppm of [-200, -50, -5, 5, 50, 200]) {
  const start = rand() * 2 * fs;
  const y = openLoopRecording(stimulus, [hall], ppm, start, layout.lengthSamples + 2.1 * fs);
  const r = deconvolveOpenLoop(sweep, layout, { sampleRate: fs, channels: [y] });
  const e = inBandErrorDb(r.slots[0]!.ir.channels[0]!, hall, fs);
  console.log(
    `| ${ppm} | ${(start / fs).toFixed(3)} | ${r.clock!.driftPpm.toFixed(4)} ± ${
      r.clock!.driftUncertaintyPpm.toFixed(4)
    } | ${e.errorDb.toFixed(1)} | ${e.worstBandDb.toFixed(1)} (${e.worstBandHz.toFixed(0)}) | ${
      r.slots[0]!.quality[0]!.thdPercent.toFixed(4)
    } |`,
  );
}

console.log(`\n2. sim:${values.model}, closed loop vs open loop at ${values["clock-ppm"]} ppm`);
const dir = await Deno.makeTempDir({ prefix: "spatialcal-open-loop-" });
const cli = async (script: string, args: string[]) => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(`../cli/${script}`, import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
};
try {
  const device = ["--device", `sim:${values.model}`, "--serial", "STUDY-1"];
  await cli("measure.ts", [...device, "--out", join(dir, "closed")]);
  await cli("measure.ts", [
    ...device,
    "--open-loop",
    "--clock-ppm",
    values["clock-ppm"]!,
    "--out",
    join(dir, "open"),
  ]);
  const separation = async (name: string) => {
    await cli("fit.ts", [
      "--in",
      join(dir, name),
      "--out",
      join(dir, `b-${name}`),
      "--beamformer",
      "none",
    ]);
    const e = JSON.parse(
      await cli("evaluate.ts", [
        "--bundle",
        join(dir, `b-${name}`),
        "--in",
        join(dir, "closed"),
        "--json",
      ]),
    );
    return e.ears[0].separationDb as Record<"left" | "right", number[]>;
  };
  const closed = await separation("closed"), open = await separation("open");
  for (const side of ["left", "right"] as const) {
    const worst = Math.max(...closed[side].map((v, i) => Math.abs(v - open[side][i]!)));
    console.log(`${side}: largest separation difference over the bands ${worst.toFixed(2)} dB`);
  }
  const m = JSON.parse(await Deno.readTextFile(join(dir, "open", "manifest.json")));
  const drifts = m.captures.map((c: { clock: { driftPpm: number } }) => c.clock.driftPpm);
  console.log(`driftPpm per capture: ${Math.min(...drifts)} … ${Math.max(...drifts)}`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
