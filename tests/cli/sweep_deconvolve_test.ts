import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tool } from "./_run.ts";
import { encodeWav, readWav } from "../../io/wav.ts";

async function withSweep(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "spatialcal-cli-" });
  try {
    const r = await runCli("sweep.ts", [
      "--out",
      join(dir, "sweep.wav"),
      "--duration-seconds",
      "1",
      "--tail-seconds",
      "0.5",
    ]);
    assert.equal(r.code, 0, r.stderr);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("sweep CLI writes a float32 WAV sox reads and a sweep.json beside it", async () => {
  await withSweep(async (dir) => {
    const info = await tool("soxi", [join(dir, "sweep.wav")]);
    assert.match(info, /Channels\s+: 1/);
    assert.match(info, /Sample Rate\s+: 48000/);
    assert.match(info, /Sample Encoding: 32-bit Floating Point PCM/);
    const json = JSON.parse(await Deno.readTextFile(join(dir, "sweep.json")));
    assert.equal(json.format, "spatialcal.sweep");
    assert.equal(json.startHz, 20);
    assert.equal(json.tailSeconds, 0.5);
  });
});

Deno.test("deconvolve CLI finds the gain and delay that sox put in the loop (0.5, 480 samples)", async () => {
  await withSweep(async (dir) => {
    // sox, an independent tool, makes the "recording": 10 ms (480 samples) of silence, gain 0.5.
    await tool("sox", [
      join(dir, "sweep.wav"),
      join(dir, "rec.wav"),
      "vol",
      "0.5",
      "pad",
      "480s",
      "0",
    ]);
    const r = await runCli("deconvolve.ts", [
      "--sweep",
      join(dir, "sweep.json"),
      "--recording",
      join(dir, "rec.wav"),
      "--out",
      join(dir, "ir.wav"),
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.latencySamples, null);
    // Onset = first sample within 20 dB of the peak; a band-limited pulse's first sidelobes
    // (−13 dB, −18 dB) come one or two samples earlier.
    assert.ok(report.channels[0].onsetSamples >= 477 && report.channels[0].onsetSamples <= 480);
    const ir = await readWav(join(dir, "ir.wav"));
    const h = ir.channels[0]!;
    let peak = 0, at = 0;
    h.forEach((v, i) => {
      if (Math.abs(v) > peak) [peak, at] = [Math.abs(v), i];
    });
    assert.equal(at, 480);
    // The IR is a band-limited delta (20 Hz–20 kHz of 24 kHz): its in-band gain is 0.5. Sum over ±400
    // samples = DC-free... compare the level of the whole pulse's energy instead: E = 0.25·(band share).
    let energy = 0;
    for (const v of h) energy += v * v;
    const band = (20000 - 20) / 24000;
    assert.ok(
      Math.abs(energy / (0.25 * band) - 1) < 0.02,
      `energy ratio ${energy / (0.25 * band)}`,
    );
  });
});

Deno.test("deconvolve CLI with --loopback-channel removes the latency", async () => {
  await withSweep(async (dir) => {
    await tool("sox", [join(dir, "sweep.wav"), join(dir, "delayed.wav"), "pad", "300s", "0"]);
    await tool("sox", [
      "-M",
      join(dir, "delayed.wav"),
      join(dir, "delayed.wav"),
      join(dir, "rec.wav"),
    ]);
    const r = await runCli("deconvolve.ts", [
      "--sweep",
      join(dir, "sweep.json"),
      "--recording",
      join(dir, "rec.wav"),
      "--out",
      join(dir, "ir.wav"),
      "--loopback-channel",
      "2",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.latencySamples, 300);
    assert.ok(report.channels[0].onsetSamples < 3); // the pulse is at 0; its sidelobes do not precede it here
  });
});

Deno.test("sweep and deconvolve CLIs exit 2 with a clear message on bad input", async () => {
  await withSweep(async (dir) => {
    const sweepJson = join(dir, "sweep.json");
    const expect = async (script: string, args: string[], pattern: RegExp) => {
      const r = await runCli(script, args);
      assert.equal(r.code, 2, `${script} ${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, pattern);
    };
    await expect(
      "sweep.ts",
      ["--out", join(dir, "x.wav"), "--end-hz", "30000"],
      /endHz must be <= sampleRate \/ 2 \(24000 Hz\): current value is 30000/,
    );
    await expect(
      "sweep.ts",
      ["--out", join(dir, "x.wav"), "--start-hz", "0"],
      /startHz must be > 0: current value is 0/,
    );
    await expect(
      "sweep.ts",
      ["--out", join(dir, "x.wav"), "--duration-seconds", "0.01"],
      /durationSeconds must be between/,
    );
    await expect(
      "sweep.ts",
      ["--out", join(dir, "x.wav"), "--duration-seconds", "abc"],
      /--duration-seconds.*"abc"/,
    );
    await expect(
      "sweep.ts",
      ["--out", join(dir, "sweep.wav")],
      /Cannot write --out ".*sweep\.wav" as it already exists: use --force to replace it/,
    );
    await expect(
      "sweep.ts",
      ["--out", join(dir, "x.wav"), "--bogus", "1"],
      /Unknown option '--bogus'/,
    );
    const rec = join(dir, "rec.wav");
    const ir = join(dir, "ir.wav");
    await tool("sox", [join(dir, "sweep.wav"), "-r", "44100", join(dir, "r44.wav")]);
    await expect("deconvolve.ts", [
      "--sweep",
      sweepJson,
      "--recording",
      join(dir, "r44.wav"),
      "--out",
      ir,
    ], /sample rate \(44100 Hz\) differs from the sweep's .* \(48000 Hz\)/);
    await tool("sox", [join(dir, "sweep.wav"), join(dir, "short.wav"), "trim", "0", "0.5"]);
    await expect("deconvolve.ts", [
      "--sweep",
      sweepJson,
      "--recording",
      join(dir, "short.wav"),
      "--out",
      ir,
    ], /recording must be at least as long as the sweep \(\d+ samples\): current value is 24000/);
    // Our writer refuses NaN, so patch one float32 sample of a valid file to NaN (0x7FC00000).
    const wav = encodeWav({ sampleRate: 48000, channels: [new Float64Array(80000)] });
    const dataAt = new TextDecoder().decode(wav.subarray(0, 200)).indexOf("data") + 8;
    wav.set([0x00, 0x00, 0xc0, 0x7f], dataAt + 4 * 1234);
    await Deno.writeFile(join(dir, "nan.wav"), wav);
    await expect("deconvolve.ts", [
      "--sweep",
      sweepJson,
      "--recording",
      join(dir, "nan.wav"),
      "--out",
      ir,
    ], /NaN.*sample 1234|sample 1234.*NaN/);
    const bytes = await Deno.readFile(join(dir, "sweep.wav"));
    await Deno.writeFile(join(dir, "trunc.wav"), bytes.subarray(0, 1000));
    await expect("deconvolve.ts", [
      "--sweep",
      sweepJson,
      "--recording",
      join(dir, "trunc.wav"),
      "--out",
      ir,
    ], /trunc\.wav/);
    await Deno.writeTextFile(join(dir, "text.wav"), "this is not audio at all, just text");
    await expect("deconvolve.ts", [
      "--sweep",
      sweepJson,
      "--recording",
      join(dir, "text.wav"),
      "--out",
      ir,
    ], /text\.wav/);
    await tool("sox", [join(dir, "sweep.wav"), "-e", "a-law", join(dir, "alaw.wav")]);
    await expect("deconvolve.ts", [
      "--sweep",
      sweepJson,
      "--recording",
      join(dir, "alaw.wav"),
      "--out",
      ir,
    ], /alaw\.wav.*(A-law|0x0006)/);
    await expect("deconvolve.ts", [
      "--sweep",
      join(dir, "missing.json"),
      "--recording",
      rec,
      "--out",
      ir,
    ], /missing\.json" as the file does not exist/);
    await Deno.writeTextFile(
      join(dir, "bad.json"),
      JSON.stringify({
        format: "spatialcal.sweep",
        version: 1,
        method: "synchronized-exponential",
        startHz: -1,
      }),
    );
    await expect("deconvolve.ts", [
      "--sweep",
      join(dir, "bad.json"),
      "--recording",
      join(dir, "sweep.wav"),
      "--out",
      ir,
    ], /bad\.json/);
    await expect("deconvolve.ts", [
      "--sweep",
      sweepJson,
      "--recording",
      join(dir, "sweep.wav"),
      "--out",
      ir,
      "--loopback-channel",
      "3",
    ], /--loopback-channel as it must be a channel number 1\.\.1/);
  });
});
