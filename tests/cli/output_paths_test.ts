/**
 * Every command refuses, in milliseconds and before any measuring, outputs that would replace or
 * change an input or each other, outputs that cannot be written, and bad counts; nothing is left
 * on disk and inputs stay as they were (exit 2, never an internal error).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_run.ts";
import { folderNames, withTempDir } from "../_temp.ts";

/** Run `script`, expect exit 2 with `message` on stderr, no stack trace and no measuring. */
async function refused(script: string, args: string[], message: string | RegExp): Promise<string> {
  const r = await runCli(script, args);
  assert.equal(r.code, 2, `${script} ${args.join(" ")}: ${r.stderr}`);
  if (typeof message === "string") assert.ok(r.stderr.includes(message), r.stderr);
  else assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /internal error|measured|measuring/, r.stderr);
  return r.stderr;
}

const linux = Deno.build.os === "linux";

Deno.test("an output that is, lies inside or contains an input is refused even with --force, and the input stays", async () => {
  await withTempDir(async (dir) => {
    const set = join(dir, "set");
    await Deno.mkdir(set);
    await Deno.writeTextFile(join(set, "manifest.json"), "{}");
    const song = join(dir, "song.wav");
    await Deno.writeTextFile(song, "RIFF");
    const limits = join(dir, "limits.json");
    await Deno.writeTextFile(limits, "{}");
    await refused(
      "fit.ts",
      ["--in", set, "--out", set, "--force"],
      `Cannot write --out "${set}" as it is the --in input "${set}": an output never replaces or changes an input; choose another path`,
    );
    await refused(
      "fit.ts",
      ["--in", set, "--out", join(set, "bundle")],
      `Cannot write --out "${join(set, "bundle")}" as it lies inside the --in input "${set}"`,
    );
    await refused(
      "fit.ts",
      ["--in", `${set}/../set/`, "--out", dir, "--force"],
      `Cannot write --out "${dir}" as it contains the --in input "${set}/../set/"`,
    );
    await refused(
      "render.ts",
      ["--bundle", join(dir, "b"), "--in", song, "--out", song, "--force"],
      `Cannot write --out "${song}" as it is the --in input "${song}"`,
    );
    await refused(
      "deconvolve.ts",
      [
        "--sweep",
        limits,
        "--recording",
        song,
        "--out",
        join(dir, "y.wav"),
        "--harmonics-out",
        join(dir, "y.wav"),
      ],
      `Cannot write --out and --harmonics-out to the same path "${
        join(dir, "y.wav")
      }": choose two paths`,
    );
    await refused(
      "golden.ts",
      [
        "--in",
        set,
        "--in",
        join(dir, "s2"),
        "--in",
        join(dir, "s3"),
        "--out",
        join(set, "manifest.json"),
        "--force",
      ],
      `Cannot write --out "${
        join(set, "manifest.json")
      }" as it lies inside the --in input "${set}"`,
    );
    await refused(
      "verify.ts",
      ["--in", set, "--limits", limits, "--no-record", "--junit", limits],
      `Cannot write --junit "${limits}" as it is the --limits input "${limits}"`,
    );
    await refused(
      "verify.ts",
      ["--in", set, "--limits", limits, "--db", `sqlite:${song}`, "--junit", song],
      `Cannot write --junit "${song}" as it is the --db input "${song}"`,
    );
    assert.deepEqual(await folderNames(dir), ["limits.json", "set", "song.wav"]);
    assert.deepEqual(await folderNames(set), ["manifest.json"]);
    assert.equal(await Deno.readTextFile(limits), "{}");
    assert.equal(await Deno.readTextFile(song), "RIFF");
  });
});

Deno.test("golden refuses the same --in set twice and fewer than 3 units or duplicate serials before measuring", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "l.json");
    await refused(
      "golden.ts",
      ["--in", join(dir, "a"), "--in", join(dir, "b"), "--in", `${dir}/./a`, "--out", out],
      `Cannot derive limits as --in "${dir}/./a" is the same set as --in "${
        join(dir, "a")
      }": each golden unit counts once`,
    );
    await refused(
      "golden.ts",
      ["--device", "sim:studio5", "--serial", "G1", "--serial", "G2", "--out", out],
      "Cannot measure golden units as --serial must be given at least 3 times (one per golden unit): current count is 2",
    );
    await refused(
      "golden.ts",
      ["--device", "sim:studio5", "--serial", "A", "--serial", "A", "--serial", "A", "--out", out],
      "Cannot measure golden units as --serial A is given twice: each golden unit counts once",
    );
    assert.deepEqual(await folderNames(dir), []);
  });
});

Deno.test("line-sim rejects bad counts, an empty --station and an existing --limits-out before measuring anything", async () => {
  await withTempDir(async (dir) => {
    const base = ["--defect-rate", "0", "--seed", "1"];
    for (const units of ["0", "-5", "1.5", "1e7"]) {
      await refused(
        "line_sim.ts",
        ["--units", units, ...base],
        `Cannot use --units as it must be an integer between 1 and 1000000: current value is ${
          Number(units)
        }`,
      );
    }
    await refused(
      "line_sim.ts",
      ["--units", "1", ...base, "--golden-units", "3.5"],
      "Cannot use --golden-units as it must be an integer >= 3: current value is 3.5",
    );
    await refused(
      "line_sim.ts",
      ["--units", "1", ...base, "--station", ""],
      'Cannot use --station as it must not be empty: current value is ""',
    );
    const limits = join(dir, "limits.json");
    await Deno.writeTextFile(limits, "{}");
    await refused(
      "line_sim.ts",
      ["--units", "1", ...base, "--golden-units", "3", "--limits-out", limits],
      `Cannot write --limits-out "${limits}" as it already exists: use --force to replace it`,
    );
    assert.equal(await Deno.readTextFile(limits), "{}");
    assert.deepEqual(await folderNames(dir), ["limits.json"]);
  });
});

Deno.test("verify --junit replaces an earlier JUnit report (rewritten as invalid when the run fails) but no other file without --force", async () => {
  await withTempDir(async (dir) => {
    const junit = join(dir, "verdict.xml");
    const other = join(dir, "notes.txt");
    await Deno.writeTextFile(other, "notes");
    await Deno.writeTextFile(junit, '<?xml version="1.0"?>\n<testsuites><testsuite name="old"/>');
    const args = ["--in", join(dir, "set"), "--limits", join(dir, "nope.json"), "--no-record"];
    await refused(
      "verify.ts",
      [...args, "--junit", other],
      `Cannot write --junit "${other}" as it already exists: use --force to replace it`,
    );
    assert.equal(await Deno.readTextFile(other), "notes");
    const r = await runCli("verify.ts", [...args, "--junit", junit]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(await Deno.readTextFile(junit), /<error type="invalid-measurement"/);
    const previous = join(dir, "previous");
    await Deno.mkdir(previous);
    await refused(
      "verify.ts",
      [
        "--device",
        "sim:studio5",
        "--serial",
        "U1",
        "--limits",
        join(dir, "nope.json"),
        "--out",
        previous,
      ],
      `Cannot write --out "${previous}" as it already exists: use --force to replace it`,
    );
    assert.deepEqual(await folderNames(dir), ["notes.txt", "previous", "verdict.xml"]);
  });
});

Deno.test({
  name:
    "unwritable or missing output folders and a folder where a file goes exit 2 naming the flag, the path and why, before any work",
  ignore: !linux,
  fn: async () => {
    await withTempDir(async (dir) => {
      const limits = join(dir, "limits.json");
      await Deno.writeTextFile(limits, "{}");
      await refused(
        "sweep.ts",
        ["--out", "/proc/a.wav"],
        `Cannot write --out "/proc/a.wav" as its folder "/proc" does not accept new files (no such file or directory)`,
      );
      await refused(
        "sweep.ts",
        ["--out", "/sys/a.wav"],
        `Cannot write --out "/sys/a.wav" as its folder "/sys" is not writable (permission denied)`,
      );
      await refused(
        "deconvolve.ts",
        ["--sweep", limits, "--recording", limits, "--out", join(dir, "nodir", "x.wav")],
        `Cannot write --out "${join(dir, "nodir", "x.wav")}" as its folder "${
          join(dir, "nodir")
        }" does not exist`,
      );
      await refused(
        "render.ts",
        ["--bundle", dir, "--in", limits, "--out", "/proc/x.wav"],
        '--out "/proc/x.wav"',
      );
      await refused(
        "fit.ts",
        ["--in", join(dir, "set"), "--out", "/proc/x"],
        '--out "/proc/x" as its folder "/proc"',
      );
      await refused(
        "golden.ts",
        [
          "--device",
          "sim:studio5",
          "--serial",
          "G1",
          "--serial",
          "G2",
          "--serial",
          "G3",
          "--sets-out",
          "/proc/gs",
          "--out",
          join(dir, "l.json"),
        ],
        `Cannot write --sets-out "/proc/gs" as its folder "/proc" does not accept new files`,
      );
      await refused(
        "golden.ts",
        ["--in", "a", "--in", "b", "--in", "c", "--out", join(dir, "nodir7", "l.json")],
        `its folder "${join(dir, "nodir7")}" does not exist`,
      );
      await refused(
        "verify.ts",
        [
          "--device",
          "sim:studio5",
          "--serial",
          "U1",
          "--limits",
          limits,
          "--no-record",
          "--out",
          "/proc/x",
        ],
        `Cannot write --out "/proc/x"`,
      );
      await refused(
        "verify.ts",
        ["--in", dir, "--limits", limits, "--no-record", "--junit", "/proc/j.xml"],
        `Cannot write --junit "/proc/j.xml"`,
      );
      await refused(
        "line_sim.ts",
        ["--units", "1", "--defect-rate", "0", "--seed", "1", "--limits-out", "/proc/l.json"],
        `Cannot write --limits-out "/proc/l.json"`,
      );
      await Deno.mkdir(join(dir, "folder"));
      await refused(
        "render.ts",
        ["--bundle", join(dir, "b"), "--in", limits, "--out", join(dir, "folder"), "--force"],
        `Cannot write --out "${
          join(dir, "folder")
        }" as it is a folder, which a file cannot replace (even with --force): remove it or choose another path`,
      );
      assert.deepEqual(await folderNames(dir), ["folder", "limits.json"]);
    });
  },
});

Deno.test("deconvolve and sweep write both files or neither: --harmonics-out needs --harmonics >= 2; a folder at sweep's .json stops the .wav", async () => {
  await withTempDir(async (dir) => {
    const sweep = join(dir, "s.wav");
    const made = await runCli("sweep.ts", [
      "--out",
      sweep,
      "--duration-seconds",
      "0.2",
      "--tail-seconds",
      "0.2",
    ]);
    assert.equal(made.code, 0, made.stderr);
    const out = join(dir, "d");
    await Deno.mkdir(out);
    await refused(
      "deconvolve.ts",
      [
        "--sweep",
        join(dir, "s.json"),
        "--recording",
        sweep,
        "--out",
        join(out, "y7.wav"),
        "--harmonics",
        "1",
        "--harmonics-out",
        join(out, "h1.wav"),
      ],
      "Cannot use --harmonics-out as it needs --harmonics >= 2 (the harmonic IRs are orders 2..N): current value of --harmonics is 1",
    );
    assert.deepEqual(await folderNames(out), []);
    const both = await runCli("deconvolve.ts", [
      "--sweep",
      join(dir, "s.json"),
      "--recording",
      sweep,
      "--out",
      join(out, "y.wav"),
      "--harmonics",
      "3",
      "--harmonics-out",
      join(out, "h.wav"),
    ]);
    assert.equal(both.code, 0, both.stderr);
    assert.deepEqual(await folderNames(out), ["h.wav", "y.wav"]);

    await Deno.mkdir(join(dir, "y.json"));
    await refused(
      "sweep.ts",
      ["--out", join(dir, "y.wav"), "--force"],
      `Cannot write --out (its .json) "${
        join(dir, "y.json")
      }" as it is a folder, which a file cannot replace (even with --force)`,
    );
    assert.deepEqual(await folderNames(dir), ["d", "s.json", "s.wav", "y.json"]);
  });
});
