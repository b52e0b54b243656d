/**
 * `--force` replaces only what spatialcal itself wrote and recognizes (a measurement set, a
 * filter bundle, a limits file, a WAV, ...), refused before any work with exit 2 naming the path
 * and the rule (issue 13, "Data loss").
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { runCli } from "./_run.ts";
import { folderNames, withTempDir } from "../_temp.ts";

const quick = ["--duration-seconds", "0.3", "--ir-length-seconds", "0.05"];
const measureArgs = ["--device", "sim:soundbar2", "--serial", "X1", "--mic", "binaural", ...quick];

/** Run `script`, expect exit 2 naming `path` and the --force rule, and no measuring. */
async function refusedForce(script: string, args: string[], path: string, why: string) {
  const r = await runCli(script, args);
  assert.equal(r.code, 2, `${script} ${args.join(" ")}: ${r.stderr}`);
  assert.ok(r.stderr.includes(`"${path}"`), r.stderr);
  assert.ok(r.stderr.includes(why), r.stderr);
  assert.doesNotMatch(r.stderr, /internal error|measured|^wrote /m, r.stderr);
  return r.stderr;
}

Deno.test("measure --force never deletes a folder it did not write: notes/notes.txt survives, nothing is measured", async () => {
  await withTempDir(async (dir) => {
    const notes = join(dir, "notes");
    await Deno.mkdir(notes);
    await Deno.writeTextFile(join(notes, "notes.txt"), "my notes");
    const stderr = await refusedForce(
      "measure.ts",
      [...measureArgs, "--out", notes, "--force"],
      notes,
      `as it is not a measurement set (a folder with manifest.json of format "spatialcal.measurement-set" and only the files it lists): it holds no "manifest.json"; --force replaces only what spatialcal wrote`,
    );
    assert.match(stderr, /^error: Cannot replace --out /m);
    assert.equal(await Deno.readTextFile(join(notes, "notes.txt")), "my notes");
    assert.deepEqual(await folderNames(dir), ["notes"]);
  });
});

Deno.test("measure --force replaces its own set, but not once a file it does not list was put in it", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "set");
    let r = await runCli("measure.ts", [...measureArgs, "--out", out]);
    assert.equal(r.code, 0, r.stderr);
    r = await runCli("measure.ts", [...measureArgs, "--out", out, "--force"]);
    assert.equal(r.code, 0, r.stderr);
    await Deno.writeTextFile(join(out, "notes.txt"), "mine");
    await refusedForce(
      "measure.ts",
      [...measureArgs, "--out", out, "--force"],
      out,
      `it holds "notes.txt", which its manifest.json does not list`,
    );
    assert.equal(await Deno.readTextFile(join(out, "notes.txt")), "mine");
    assert.deepEqual(await folderNames(dir), ["set"]);
  });
});

Deno.test("measure --out <existing file> --force, --out / --force and --out <the repository> --force are refused before measuring", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "file.txt");
    await Deno.writeTextFile(file, "keep");
    await refusedForce(
      "measure.ts",
      [...measureArgs, "--out", file, "--force"],
      file,
      "it is a file, which a folder cannot replace (even with --force)",
    );
    assert.equal(await Deno.readTextFile(file), "keep");
    await refusedForce("measure.ts", [...measureArgs, "--out", "/", "--force"], "/", "root folder");
    const repo = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
    await refusedForce(
      "measure.ts",
      [...measureArgs, "--out", repo, "--force"],
      repo,
      'it holds no "manifest.json"',
    );
    assert.deepEqual(await folderNames(dir), ["file.txt"]);
  });
});

Deno.test("fit, verify --out and demo with --force refuse a folder that is not their own output", async () => {
  await withTempDir(async (dir) => {
    const notes = join(dir, "notes");
    await Deno.mkdir(notes);
    await Deno.writeTextFile(join(notes, "notes.txt"), "my notes");
    await refusedForce(
      "fit.ts",
      ["--in", join(dir, "set"), "--out", notes, "--force"],
      notes,
      `it is not a filter bundle (a folder with bundle.json of format "spatialcal.filter-bundle" and only the files it lists)`,
    );
    await refusedForce(
      "verify.ts",
      [
        "--device",
        "sim:studio5",
        "--serial",
        "U1",
        "--limits",
        join(dir, "nope.json"),
        "--no-record",
        "--out",
        notes,
        "--force",
      ],
      notes,
      "it is not a measurement set",
    );
    await refusedForce(
      "demo.ts",
      ["--out", notes, "--force"],
      notes,
      `it holds "notes.txt", which the demo does not write`,
    );
    // A bundle folder is not a set either: each command replaces only its own kind.
    const bundle = join(dir, "bundle");
    await Deno.mkdir(bundle);
    await Deno.writeTextFile(
      join(bundle, "bundle.json"),
      JSON.stringify({ format: "spatialcal.filter-bundle", files: {} }),
    );
    await refusedForce(
      "measure.ts",
      [...measureArgs, "--out", bundle, "--force"],
      bundle,
      'it holds no "manifest.json"',
    );
    assert.equal(await Deno.readTextFile(join(notes, "notes.txt")), "my notes");
    assert.deepEqual(await folderNames(dir), ["bundle", "notes"]);
  });
});

Deno.test("file outputs with --force: golden, sweep and verify --junit replace only their own kind of file", async () => {
  await withTempDir(async (dir) => {
    const text = join(dir, "notes.txt");
    await Deno.writeTextFile(text, "mine");
    await refusedForce(
      "golden.ts",
      [
        "--in",
        join(dir, "a"),
        "--in",
        join(dir, "b"),
        "--in",
        join(dir, "c"),
        "--out",
        text,
        "--force",
      ],
      text,
      `it is not a limits file (a JSON file of format "spatialcal.limits"): "${text}" is not valid JSON`,
    );
    const wav = join(dir, "song.wav");
    await Deno.writeTextFile(wav, "not a wav at all");
    await refusedForce(
      "sweep.ts",
      ["--out", wav, "--force"],
      wav,
      "it is not a WAV file (RIFF/WAVE): it does not start with a RIFF/WAVE header",
    );
    // verify --junit replaces a JUnit report, and with --force still nothing else.
    await refusedForce(
      "verify.ts",
      ["--in", join(dir, "set"), "--limits", join(dir, "nope.json"), "--no-record"].concat(
        ["--junit", text, "--force"],
      ),
      text,
      "it is not a JUnit XML report: it does not start with <?xml and hold a <testsuite> element",
    );
    assert.equal(await Deno.readTextFile(text), "mine");
    assert.equal(await Deno.readTextFile(wav), "not a wav at all");
    // Its own sweep files are replaced.
    const own = join(dir, "sweep.wav");
    let r = await runCli("sweep.ts", ["--out", own, "--duration-seconds", "0.1"]);
    assert.equal(r.code, 0, r.stderr);
    r = await runCli("sweep.ts", ["--out", own, "--duration-seconds", "0.1", "--force"]);
    assert.equal(r.code, 0, r.stderr);
  });
});
