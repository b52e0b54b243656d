import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../_temp.ts";
import { runCli } from "../cli/_run.ts";
import { readWav, writeWav } from "../../io/wav.ts";
import { errorDb, readRawFloat32, stereoTestSignal, writeStereoBundle } from "./_engines.ts";

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `${cmd} ${args.join(" ")} failed: ${text}`);
  return text;
}

/** Bundle, stereo test signal (1 s of noise + taps zeros) and deno task render's feeds. */
async function renderReference(dir: string, taps = 512) {
  const b = await writeStereoBundle(dir, { taps });
  const [l, r] = stereoTestSignal(48000, taps - 1);
  const inWav = join(dir, "in.wav");
  await writeWav(inWav, { sampleRate: 48000, channels: [l, r] });
  const rendered = await runCli("render.ts", [
    "--bundle",
    b.bundleFolder,
    "--in",
    inWav,
    "--out",
    join(dir, "feeds.wav"),
  ]);
  assert.equal(rendered.code, 0, rendered.stderr);
  const feeds = (await readWav(join(dir, "feeds.wav"))).channels;
  return { ...b, inWav, l, r, feeds };
}

Deno.test("BruteFIR (Debian) runs the exported config with file I/O and equals deno task render to -100 dB", async () => {
  await withTempDir(async (dir) => {
    const ref = await renderReference(dir);
    const out = join(dir, "engine-out.raw");
    const exported = await runCli("export.ts", [
      "--bundle",
      ref.bundleFolder,
      "--format",
      "brutefir",
      "--io",
      "file",
      "--input",
      ref.inWav,
      "--output",
      out,
      "--out",
      join(dir, "bf"),
      "--json",
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    const description = JSON.parse(exported.stdout);
    assert.equal(description.engineLatency.samples, 0);
    await run("brutefir", ["-nodefault", "-quiet", "brutefir.conf"], join(dir, "bf"));
    const y = readRawFloat32(await Deno.readFile(out), 5);
    // The WAV input is read past its header (skip) as FLOAT_LE: the output has the input's length
    // (render's is taps - 1 longer; the test signal ends in taps - 1 zeros, so that part of
    // render's output is zero, checked below).
    assert.equal(y[0]!.length, ref.l.length);
    for (const f of ref.feeds) {
      assert.ok(f.subarray(ref.l.length).every((v) => Math.abs(v) < 1e-9)); // FFT round-off only
    }
    // Sample-aligned at the stated engine latency (0), no search for a shift: float32 I/O on
    // both sides leaves about -140 dB; -100 dB is the bar.
    const e = errorDb(y, ref.feeds, {
      shift: description.engineLatency.samples,
      length: y[0]!.length,
    });
    console.log(
      `BruteFIR vs deno task render: ${e.worstDb.toFixed(1)} dB (worst channel ${e.channel})`,
    );
    assert.ok(
      e.worstDb < -100,
      `BruteFIR vs render: ${e.worstDb.toFixed(1)} dB on channel ${e.channel}`,
    );
    // A one-sample misalignment would fail by far: the check can fail.
    assert.ok(errorDb(y, ref.feeds, { shift: 1, length: y[0]!.length - 1 }).worstDb > -10);
  });
});

Deno.test("fconvolver (the jconvolver package) runs the exported jconvolver config with --io file and equals render to -100 dB", async () => {
  await withTempDir(async (dir) => {
    const ref = await renderReference(dir);
    const out = join(dir, "engine-out.wav");
    const exported = await runCli("export.ts", [
      "--bundle",
      ref.bundleFolder,
      "--format",
      "jconvolver",
      "--io",
      "file",
      "--input",
      ref.inWav,
      "--output",
      out,
      "--out",
      join(dir, "jc"),
      "--json",
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    const description = JSON.parse(exported.stdout);
    assert.equal(description.run, `fconvolver -T jconvolver.conf ${ref.inWav} ${out}`);
    await run("fconvolver", ["-T", "jconvolver.conf", ref.inWav, out], join(dir, "jc"));
    const y = (await readWav(out)).channels;
    assert.equal(y.length, 5);
    assert.equal(y[0]!.length, ref.l.length);
    const e = errorDb(y, ref.feeds, {
      shift: description.engineLatency.samples,
      length: y[0]!.length,
    });
    console.log(
      `fconvolver vs deno task render: ${e.worstDb.toFixed(1)} dB (worst channel ${e.channel})`,
    );
    assert.ok(
      e.worstDb < -100,
      `fconvolver vs render: ${e.worstDb.toFixed(1)} dB on channel ${e.channel}`,
    );
  });
});
