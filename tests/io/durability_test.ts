/**
 * Durability of atomic writes (issue 13, Build 5): every file is fsynced
 * before its rename and its folder after it (checked on the system calls, with
 * strace), and a full disk is exit 2 naming the path with nothing
 * half-written (checked on a real 256 kB tmpfs; the test is skipped, saying
 * so, where mounting is not permitted).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFileAtomically, writeFolderAtomically } from "../../io/atomic.ts";
import { InputError } from "../../io/errors.ts";
import { runCli } from "../cli/_run.ts";
import { withTempDir } from "../_temp.ts";

const hasStrace = await new Deno.Command("strace", { args: ["-V"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);

Deno.test({
  name:
    "writeFileAtomically() and writeFolderAtomically() fsync each file before its rename and the folder after it (strace)",
  ignore: !hasStrace,
  fn: async () => {
    await withTempDir(async (dir) => {
      const script = join(dir, "write.ts");
      const atomic = new URL("../../io/atomic.ts", import.meta.url).href;
      await Deno.writeTextFile(
        script,
        `import { writeFileAtomically, writeFolderAtomically } from "${atomic}";
await writeFileAtomically("${dir}/a.bin", new Uint8Array(1000));
await writeFolderAtomically("${dir}/set", async (tmp) => {
  await Deno.mkdir(tmp + "/ir");
  await Deno.writeFile(tmp + "/ir/x.wav", new Uint8Array(10));
});
`,
      );
      const out = await new Deno.Command("strace", {
        args: [
          "-f",
          "-y",
          "-e",
          "trace=fsync,fdatasync,rename,renameat,renameat2",
          Deno.execPath(),
          "run",
          "-A",
          script,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const trace = new TextDecoder().decode(out.stderr).split("\n");
      assert.equal(out.code, 0, trace.join("\n"));
      const index = (re: RegExp) => trace.findIndex((l) => re.test(l));
      const fileSync = index(/fsync\(\d+<[^>]*\/\.a\.bin\.tmp-[^>]*>\)\s*=\s*0/);
      const fileRename = index(/rename.*\.a\.bin\.tmp-.*"[^"]*\/a\.bin"/);
      const dirSyncAfterFile = trace.findIndex((l, i) =>
        i > fileRename && new RegExp(`fsync\\(\\d+<${dir}>\\)\\s*=\\s*0`).test(l)
      );
      assert.ok(fileSync >= 0, `no fsync of the temporary file:\n${trace.join("\n")}`);
      assert.ok(fileRename > fileSync, "the file is renamed after its fsync");
      assert.ok(dirSyncAfterFile > fileRename, "the folder is fsynced after the rename");
      // The folder: its file written by fill, its subfolder and itself are synced before the
      // rename; the parent after it.
      const innerSync = index(/fsync\(\d+<[^>]*\/\.set\.tmp-[^>]*\/ir\/x\.wav>\)/);
      const tmpSync = index(/fsync\(\d+<[^>]*\/\.set\.tmp-[^/>]*>\)/);
      const setRename = index(/rename.*\.set\.tmp-.*"[^"]*\/set"/);
      const parentSync = trace.findIndex((l, i) =>
        i > setRename && new RegExp(`fsync\\(\\d+<${dir}>\\)`).test(l)
      );
      assert.ok(innerSync >= 0 && innerSync < setRename, "a file written by fill is fsynced");
      assert.ok(tmpSync >= 0 && tmpSync < setRename, "the staging folder is fsynced");
      assert.ok(parentSync > setRename, "the parent is fsynced after the folder's rename");
    });
  },
});

/** Mount a tmpfs of `sizeKb` at a new folder under `dir`, or undefined where not permitted. */
async function mountTmpfs(dir: string, sizeKb: number): Promise<string | undefined> {
  const mnt = join(dir, "full");
  await Deno.mkdir(mnt);
  const out = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${sizeKb}k`, "tmpfs", mnt],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => undefined);
  return out?.success ? mnt : undefined;
}

async function unmount(mnt: string): Promise<void> {
  await new Deno.Command("umount", { args: [mnt] }).output();
}

const canMount = await withTempDir(async (dir) => {
  const mnt = await mountTmpfs(dir, 64);
  if (mnt !== undefined) await unmount(mnt);
  return mnt !== undefined;
});
if (!canMount) {
  console.warn("durability_test: cannot mount a tmpfs here (not root?): full-disk tests skipped");
}

/** Names in a folder, hidden staging included. */
async function names(folder: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(folder)) out.push(e.name);
  return out.sort();
}

Deno.test({
  name:
    "a full disk (a real 256 kB tmpfs) is an InputError naming the path; no temporary file or folder is left and an old file is kept",
  ignore: !canMount,
  fn: async () => {
    await withTempDir(async (dir) => {
      const mnt = (await mountTmpfs(dir, 256))!;
      try {
        await Deno.writeTextFile(join(mnt, "keep.txt"), "old");
        const error = await writeFileAtomically(join(mnt, "keep.txt"), new Uint8Array(400_000))
          .then(() => undefined, (e) => e);
        assert.ok(error instanceof InputError, String(error));
        assert.equal(
          error.message,
          `Cannot write "${mnt}/keep.txt" as the disk is full (no space left on device)`,
        );
        assert.equal(error.file, `${mnt}/keep.txt`);
        assert.equal(await Deno.readTextFile(join(mnt, "keep.txt")), "old");
        const folderError = await writeFolderAtomically(join(mnt, "set"), async (tmp) => {
          await Deno.writeFile(join(tmp, "big.wav"), new Uint8Array(400_000));
        }).then(() => undefined, (e) => e);
        assert.ok(folderError instanceof InputError, String(folderError));
        assert.match(folderError.message, /^Cannot write ".*\/set" as the disk is full/);
        assert.deepEqual(await names(mnt), ["keep.txt"]);
      } finally {
        await unmount(mnt);
      }
    });
  },
});

Deno.test({
  name:
    "sweep, deconvolve, fit and golden on a full disk exit 2 naming the output and leave nothing behind",
  ignore: !canMount,
  fn: async () => {
    await withTempDir(async (dir) => {
      // Inputs on the ordinary disk: a sweep and a simulated two-driver set.
      const sweep = await runCli("sweep.ts", [
        "--out",
        join(dir, "sw.wav"),
        "--duration-seconds",
        "1",
      ]);
      assert.equal(sweep.code, 0, sweep.stderr);
      const set = await runCli("measure.ts", [
        "--device",
        "sim:soundbar2",
        "--serial",
        "D1",
        "--mic",
        "binaural",
        "--out",
        join(dir, "set"),
      ]);
      assert.equal(set.code, 0, set.stderr);
      const mnt = (await mountTmpfs(dir, 256))!;
      try {
        // Leave about 8 kB: smaller than any of the outputs below.
        await Deno.writeFile(join(mnt, "filler"), new Uint8Array(248 * 1024));
        const cases: [string, string[], string][] = [
          ["sweep.ts", ["--out", `${mnt}/s.wav`, "--duration-seconds", "2"], `${mnt}/s.wav`],
          [
            "deconvolve.ts",
            ["--sweep", `${dir}/sw.json`, "--recording", `${dir}/sw.wav`, "--out", `${mnt}/ir.wav`],
            `${mnt}/ir.wav`,
          ],
          [
            "fit.ts",
            ["--in", `${dir}/set`, "--out", `${mnt}/bundle`, "--beamformer", "none"],
            `${mnt}/bundle`,
          ],
          [
            "golden.ts",
            ["--device", "sim:soundbar2", "--serial", "A", "--serial", "B", "--serial", "C"]
              .concat(["--out", `${mnt}/limits.json`]),
            `${mnt}/limits.json`,
          ],
        ];
        for (const [script, args, path] of cases) {
          const r = await runCli(script, args);
          assert.equal(r.code, 2, `${script}: ${r.stderr}`);
          assert.ok(
            r.stderr.includes(`Cannot write "${path}" as the disk is full`),
            `${script}: ${r.stderr}`,
          );
          assert.deepEqual(await names(mnt), ["filler"], script);
        }
      } finally {
        await unmount(mnt);
      }
    });
  },
});
