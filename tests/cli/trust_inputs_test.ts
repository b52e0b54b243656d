/**
 * Issue 13 regression tests, through the real commands: hostile inputs
 * (special files, link loops, folders named like descriptors, deep JSON,
 * absurd numbers, long names) exit 2 naming the file within 30 s and write
 * nothing; and the "Other" bugs: duplicate captures, clipping, a recording
 * that starts after the sweep or a pre-roll without loopback, missing parent
 * folders, relative paths under `deno task` from another folder.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { limitsContentSha256 } from "../../calibrate/limits.ts";
import { withTempDir } from "../_temp.ts";
import { runCli } from "./_run.ts";

/** Run a command with a 30 s limit (a hang fails the test instead of blocking it). */
async function run(script: string, args: string[], options: { cwd?: string } = {}) {
  const url = new URL(`../../cli/${script}`, import.meta.url);
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  const started = Date.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", url.pathname, ...args],
    stdout: "piped",
    stderr: "piped",
    env,
    clearEnv: true,
    signal: AbortSignal.timeout(30_000),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  }).output();
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds < 30, `${script} ${args.join(" ")} hung (killed after ${seconds} s)`);
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Assert exit 2, no stack trace, and every `needle` in stderr. */
function refused(r: { code: number; stderr: string }, ...needles: string[]): void {
  assert.equal(r.code, 2, r.stderr);
  assert.ok(!r.stderr.includes("internal error"), r.stderr);
  for (const n of needles) assert.ok(r.stderr.includes(n), `"${n}" not in: ${r.stderr}`);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(join(from, e.name), join(to, e.name));
    else await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

async function mkfifo(path: string): Promise<void> {
  const r = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.ok(r.success, "mkfifo");
}

const MEASURE = ["--device", "sim:soundbar2", "--serial", "T1", "--mic", "binaural"];
const DEEP = "[".repeat(4000) + "]".repeat(4000);

Deno.test("measurement sets with a link loop, a FIFO, /dev/zero, a folder named manifest.json, 4000-deep JSON, a 300-character IR name or a duplicate capture: fit exits 2 naming the file and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const set = join(dir, "set");
    const made = await run("measure.ts", [...MEASURE, "--out", set]);
    assert.equal(made.code, 0, made.stderr);
    const manifest = JSON.parse(await Deno.readTextFile(join(set, "manifest.json")));
    const ir0: string = manifest.captures[0].ir;
    const variant = async (name: string, change: (folder: string) => Promise<void>) => {
      const folder = join(dir, name);
      await copyTree(set, folder);
      await change(folder);
      return folder;
    };
    const cases: [string, (f: string) => Promise<void>, string[]][] = [
      ["loop", async (f) => {
        await Deno.remove(join(f, ir0));
        await Deno.symlink(join(f, ir0), join(f, ir0)); // links to itself
      }, ["captures[0].ir names a symbolic-link loop"]],
      ["fifo", async (f) => {
        await Deno.remove(join(f, ir0));
        await mkfifo(join(f, ir0));
      }, ["captures[0].ir must name a regular file"]],
      ["zero", async (f) => {
        await Deno.remove(join(f, ir0));
        await Deno.symlink("/dev/zero", join(f, ir0));
      }, ["captures[0].ir"]],
      ["manifest-folder", async (f) => {
        await Deno.remove(join(f, "manifest.json"));
        await Deno.mkdir(join(f, "manifest.json"));
      }, ["manifest.json", "as it is a folder"]],
      ["deep", async (f) => {
        await Deno.writeTextFile(join(f, "manifest.json"), DEEP);
      }, ["manifest.json", "nests deeper than 64 levels"]],
      ["long-name", async (f) => {
        const m = structuredClone(manifest);
        m.captures[0].ir = `ir/${"a".repeat(300)}.wav`;
        await Deno.writeTextFile(join(f, "manifest.json"), JSON.stringify(m));
      }, ["captures[0].ir is too long a name for the file system"]],
      ["duplicate", async (f) => {
        const m = structuredClone(manifest);
        const again = { ...m.captures[1], ir: m.captures[0].ir.replace(".wav", ".again.wav") };
        await Deno.copyFile(join(f, m.captures[1].ir), join(f, again.ir));
        m.captures.push(again);
        await Deno.writeTextFile(join(f, "manifest.json"), JSON.stringify(m));
      }, [`captures[4].position must differ from captures[1]`]],
    ];
    for (const [name, change, needles] of cases) {
      const folder = await variant(name, change);
      const out = join(dir, `bundle-${name}`);
      const r = await run("fit.ts", ["--in", folder, "--out", out, "--beamformer", "none"]);
      refused(r, ...needles);
      assert.ok(r.stderr.includes(folder), `${name}: the set is named: ${r.stderr}`);
      assert.equal(await exists(out), false, `${name}: nothing written`);
    }
  });
});

Deno.test("bundles with a folder named bundle.json, 4000-deep JSON or a FIFO filter, and limits that are a FIFO, /dev/zero, 4000-deep or have fftSize 1e12 (re-hashed): exit 2 naming the file", async () => {
  await withTempDir(async (dir) => {
    const set = join(dir, "set");
    assert.equal((await run("measure.ts", [...MEASURE, "--out", set])).code, 0);
    const bundle = join(dir, "bundle");
    const fitted = await run("fit.ts", ["--in", set, "--out", bundle, "--beamformer", "none"]);
    assert.equal(fitted.code, 0, fitted.stderr);
    const stereo = join(dir, "in.wav");
    assert.equal((await run("sweep.ts", ["--out", stereo, "--duration-seconds", "0.2"])).code, 0);
    const render = (b: string) =>
      run("render.ts", ["--bundle", b, "--in", stereo, "--out", join(dir, "feeds.wav")]);

    const folderBundle = join(dir, "b-folder");
    await copyTree(bundle, folderBundle);
    await Deno.remove(join(folderBundle, "bundle.json"));
    await Deno.mkdir(join(folderBundle, "bundle.json"));
    refused(await render(folderBundle), `${folderBundle}/bundle.json`, "it is a folder");

    const deepBundle = join(dir, "b-deep");
    await copyTree(bundle, deepBundle);
    await Deno.writeTextFile(join(deepBundle, "bundle.json"), DEEP);
    refused(await render(deepBundle), `${deepBundle}/bundle.json`, "nests deeper than 64");

    const fifoBundle = join(dir, "b-fifo");
    await copyTree(bundle, fifoBundle);
    await Deno.remove(join(fifoBundle, "filters", "left.wav"));
    await mkfifo(join(fifoBundle, "filters", "left.wav"));
    refused(await render(fifoBundle), `${fifoBundle}/filters/left.wav`, "FIFO");
    assert.equal(await exists(join(dir, "feeds.wav")), false);

    const limits = join(dir, "limits.json");
    const made = await run("line_sim.ts", [
      "--units",
      "1",
      "--defect-rate",
      "0",
      "--seed",
      "1",
      "--model",
      "soundbar2",
      "--golden-units",
      "3",
      "--limits-out",
      limits,
    ]);
    assert.equal(made.code, 0, made.stderr);
    const verify = (l: string) =>
      run("verify.ts", ["--limits", l, "--device", "sim:soundbar2", "--serial", "U1"]);
    const absurd = JSON.parse(await Deno.readTextFile(limits));
    absurd.analysis.fftSize = 1e12;
    absurd.sha256 = await limitsContentSha256(absurd);
    await Deno.writeTextFile(join(dir, "fft.json"), JSON.stringify(absurd));
    refused(
      await verify(join(dir, "fft.json")),
      `${dir}/fft.json`,
      "analysis.fftSize must be a power of two in [256, 1048576]: current value is 1000000000000",
    );
    await mkfifo(join(dir, "fifo.json"));
    refused(await verify(join(dir, "fifo.json")), `${dir}/fifo.json`, "FIFO");
    await Deno.symlink("/dev/zero", join(dir, "zero.json"));
    refused(await verify(join(dir, "zero.json")), `${dir}/zero.json`, "character device");
    await Deno.writeTextFile(join(dir, "deep.json"), DEEP);
    refused(await verify(join(dir, "deep.json")), `${dir}/deep.json`, "nests deeper than 64");
    await Deno.symlink(join(dir, "loop.json"), join(dir, "loop.json"));
    refused(await verify(join(dir, "loop.json")), `${dir}/loop.json`, "symbolic-link loop");
    // A FIFO at the --junit path: checked as "is it our report?" without blocking on it.
    await mkfifo(join(dir, "junit.xml"));
    const junit = await run("verify.ts", [
      "--limits",
      limits,
      "--device",
      "sim:soundbar2",
      "--serial",
      "U1",
      "--junit",
      join(dir, "junit.xml"),
    ]);
    refused(junit, `--junit "${dir}/junit.xml" as it already exists`);
  });
});

Deno.test("deconvolve: a recording that is a FIFO, /dev/zero or a link loop, starts after the sweep, has a pre-roll without loopback, or clipped exits 2 naming it and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const sweep = join(dir, "sw.wav");
    assert.equal((await run("sweep.ts", ["--out", sweep, "--duration-seconds", "1"])).code, 0);
    const json = join(dir, "sw.json");
    const out = join(dir, "ir.wav");
    const deconvolve = (recording: string, ...extra: string[]) =>
      run("deconvolve.ts", ["--sweep", json, "--recording", recording, "--out", out, ...extra]);
    const sox = async (...args: string[]) => {
      const r = await new Deno.Command("sox", { args }).output();
      assert.ok(r.success, `sox ${args.join(" ")}`);
    };
    await mkfifo(join(dir, "fifo.wav"));
    refused(await deconvolve(join(dir, "fifo.wav")), `${dir}/fifo.wav`, "FIFO");
    await Deno.symlink("/dev/zero", join(dir, "zero.wav"));
    refused(await deconvolve(join(dir, "zero.wav")), `${dir}/zero.wav`, "character device");
    await Deno.symlink(join(dir, "loop.wav"), join(dir, "loop.wav"));
    refused(await deconvolve(join(dir, "loop.wav")), `${dir}/loop.wav`, "symbolic-link loop");

    // The sweep recorded 0.2 s late (its start missing) and after a 0.5 s pre-roll (no loopback).
    await sox(sweep, join(dir, "late.wav"), "trim", "0.2");
    refused(
      await deconvolve(join(dir, "late.wav")),
      `${dir}/late.wav`,
      "channel 1 as its response peaks 9600 samples (200 ms) before the sweep's start",
    );
    await sox(sweep, join(dir, "pre.wav"), "pad", "0.5", "0");
    refused(
      await deconvolve(join(dir, "pre.wav")),
      `${dir}/pre.wav`,
      "THD not measured: the response arrives 24000 samples after the sweep's start",
    );
    // With the loopback channel the same pre-roll is fine, and THD is that of the sweep itself.
    await sox("-M", join(dir, "pre.wav"), join(dir, "pre.wav"), join(dir, "pre2.wav"));
    const ok = await deconvolve(join(dir, "pre2.wav"), "--loopback-channel", "2", "--json");
    assert.equal(ok.code, 0, ok.stderr);
    const report = JSON.parse(ok.stdout);
    assert.equal(report.latencySamples, 24000);
    assert.ok(report.channels[0].thdPercent < 0.1, `THD ${report.channels[0].thdPercent} %`);
    await Deno.remove(out);
    // Clipping: a -12 dBFS sweep (peak 0.25) played 6 times louder clips at full scale.
    await sox("-v", "6", sweep, join(dir, "hot.wav"));
    refused(await deconvolve(join(dir, "hot.wav")), `${dir}/hot.wav`, "channel 1 clipped");
    assert.equal(await exists(out), false);
  });
});

Deno.test("measure: a clipped capture exits 2 naming driver and mic; a missing parent folder is refused and not created", async () => {
  await withTempDir(async (dir) => {
    const hot = await run("measure.ts", [
      ...MEASURE,
      "--level-dbfs",
      "0",
      "--duration-seconds",
      "0.5",
      "--out",
      join(dir, "hot"),
    ]);
    refused(hot, 'Cannot measure left at az 0°, el 0°, 2 m as mic "ear-left" clipped');
    assert.equal(await exists(join(dir, "hot")), false);
    assert.equal(await exists(join(dir, "hot.partial")), false);
    const nested = join(dir, "no", "such", "set");
    refused(
      await run("measure.ts", [...MEASURE, "--out", nested]),
      `its folder "${join(dir, "no", "such")}" does not exist`,
    );
    refused(
      await run("fit.ts", ["--in", join(dir, "set"), "--out", join(dir, "no", "bundle")]),
      `its folder "${join(dir, "no")}" does not exist`,
    );
    assert.equal(await exists(join(dir, "no")), false);
  });
});

Deno.test("deno task run from another folder writes relative outputs in that folder, not the project", async () => {
  await withTempDir(async (dir) => {
    const config = new URL("../../deno.json", import.meta.url).pathname;
    const env = Deno.env.toObject();
    delete env.INIT_CWD;
    const name = `caller-${Deno.pid}.wav`;
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--config", config, "sweep", "--out", name, "--duration-seconds", "0.1"],
      cwd: dir,
      env,
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    assert.ok(await exists(join(dir, name)), "written in the caller's folder");
    const project = new URL("../../", import.meta.url).pathname;
    assert.equal(await exists(join(project, name)), false, "not in the project folder");
    // The same command started directly in a folder keeps that folder (no INIT_CWD).
    const direct = await runCli("sweep.ts", ["--out", "direct.wav", "--duration-seconds", "0.1"], {
      cwd: dir,
    });
    assert.equal(direct.code, 0, direct.stderr);
    assert.ok(await exists(join(dir, "direct.wav")));
  });
});
