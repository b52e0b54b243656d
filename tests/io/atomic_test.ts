import assert from "node:assert/strict";
import {
  checkFolderWritable,
  sha256Hex,
  writeFileAtomically,
  writeFilesAtomically,
  writeFolderAtomically,
} from "../../io/atomic.ts";
import { ownFolder } from "../../io/own_output.ts";
import { assertInputError, caught } from "./_helpers.ts";
import { folderNames, withTempDir } from "../_temp.ts";

Deno.test("writeFolderAtomically() fills a hidden temporary sibling, renames it into place, returns fill's result and leaves nothing else", async () => {
  await withTempDir(async (dir) => {
    let seen = "";
    const result = await writeFolderAtomically(`${dir}/set`, async (tmp) => {
      seen = tmp;
      assert.match(tmp, new RegExp(`/\\.set\\.tmp-${Deno.pid}-[0-9a-f]{8}$`));
      assert.deepEqual(await folderNames(dir), [tmp.slice(dir.length + 1)]);
      await Deno.writeTextFile(`${tmp}/a.txt`, "A");
      return 42;
    });
    assert.equal(result, 42);
    assert.notEqual(seen, "");
    assert.deepEqual(await folderNames(dir), ["set"]);
    assert.equal(await Deno.readTextFile(`${dir}/set/a.txt`), "A");
  });
});

Deno.test("writeFolderAtomically() creates missing parent folders", async () => {
  await withTempDir(async (dir) => {
    await writeFolderAtomically(`${dir}/runs/unit/set`, async (tmp) => {
      await Deno.writeTextFile(`${tmp}/a.txt`, "A");
    });
    assert.equal(await Deno.readTextFile(`${dir}/runs/unit/set/a.txt`), "A");
  });
});

Deno.test("writeFolderAtomically() refuses an existing path without force (InputError, field out) and never calls fill", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/set`);
    await Deno.writeTextFile(`${dir}/set/old.txt`, "old");
    let called = false;
    await assertInputError(
      () =>
        writeFolderAtomically(`${dir}/set`, () => {
          called = true;
          return Promise.resolve();
        }),
      {
        message:
          `Cannot write "${dir}/set" as it already exists: pass force (--force) to replace it`,
        file: `${dir}/set`,
        field: "out",
        value: `${dir}/set`,
      },
    );
    assert.equal(called, false);
    assert.deepEqual(await folderNames(dir), ["set"]);
    assert.equal(await Deno.readTextFile(`${dir}/set/old.txt`), "old");
  });
});

/** A test output: a folder with `own.json` of format "test.own", listing `files`. */
const OWN = ownFolder({
  what: "a test folder",
  descriptor: "own.json",
  format: "test.own",
  listed: (d) => d.files as string[],
});

async function ownFolderAt(path: string, files: Record<string, string>): Promise<void> {
  await Deno.mkdir(path);
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${path}/${name}`, text);
  }
  await Deno.writeTextFile(
    `${path}/own.json`,
    JSON.stringify({ format: "test.own", files: Object.keys(files) }),
  );
}

Deno.test("writeFolderAtomically() with force replaces an existing folder it recognizes and removes the old one", async () => {
  await withTempDir(async (dir) => {
    await ownFolderAt(`${dir}/set`, { "old.txt": "old" });
    await writeFolderAtomically(`${dir}/set`, async (tmp) => {
      // The old folder is still in place while fill runs.
      assert.equal(await Deno.readTextFile(`${dir}/set/old.txt`), "old");
      await Deno.writeTextFile(`${tmp}/new.txt`, "new");
    }, { force: true, own: OWN });
    assert.deepEqual(await folderNames(dir), ["set"]);
    assert.deepEqual(await folderNames(`${dir}/set`), ["new.txt"]);
  });
});

Deno.test("writeFolderAtomically() with force never replaces a folder it does not recognize (no descriptor, another format, a file it does not list, no recognizer) and never calls fill", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/notes`);
    await Deno.writeTextFile(`${dir}/notes/notes.txt`, "mine");
    await ownFolderAt(`${dir}/annotated`, { "old.txt": "old" });
    await Deno.writeTextFile(`${dir}/annotated/notes.txt`, "mine");
    await Deno.mkdir(`${dir}/other`);
    await Deno.writeTextFile(`${dir}/other/own.json`, JSON.stringify({ format: "else" }));
    const cases: [string, typeof OWN | undefined, string][] = [
      ["notes", OWN, 'it holds no "own.json"'],
      ["annotated", OWN, 'it holds "notes.txt", which its own.json does not list'],
      ["other", OWN, 'its own.json has format "else", not "test.own"'],
      ["annotated", undefined, "it is not an output this writer recognizes"],
    ];
    let called = false;
    for (const [name, own, why] of cases) {
      const error = await caught(() =>
        writeFolderAtomically(`${dir}/${name}`, () => {
          called = true;
          return Promise.resolve();
        }, { force: true, ...(own ? { own } : {}) })
      );
      assert.equal((error as Error).name, "InputError");
      assert.ok(
        (error as Error).message.startsWith(`Cannot replace "${dir}/${name}" with --force`),
      );
      assert.ok((error as Error).message.includes(why), (error as Error).message);
    }
    assert.equal(called, false);
    assert.equal(await Deno.readTextFile(`${dir}/notes/notes.txt`), "mine");
    assert.equal(await Deno.readTextFile(`${dir}/annotated/notes.txt`), "mine");
    assert.deepEqual(await folderNames(dir), ["annotated", "notes", "other"]);
  });
});

Deno.test("writeFolderAtomically() with force creates the folder when nothing exists yet", async () => {
  await withTempDir(async (dir) => {
    await writeFolderAtomically(`${dir}/set`, async (tmp) => {
      await Deno.writeTextFile(`${tmp}/a.txt`, "A");
    }, { force: true });
    assert.deepEqual(await folderNames(`${dir}/set`), ["a.txt"]);
  });
});

Deno.test("writeFolderAtomically() removes the temporary folder and keeps the existing one when fill fails", async () => {
  await withTempDir(async (dir) => {
    await ownFolderAt(`${dir}/set`, { "old.txt": "old" });
    const boom = new Error("boom");
    for (const force of [true, false]) {
      const path = force ? `${dir}/set` : `${dir}/fresh`;
      const error = await caught(() =>
        writeFolderAtomically(path, async (tmp) => {
          await Deno.writeTextFile(`${tmp}/partial.txt`, "partial");
          throw boom;
        }, { force, own: OWN })
      );
      assert.equal(error, boom);
    }
    assert.deepEqual(await folderNames(dir), ["set"]);
    assert.deepEqual(await folderNames(`${dir}/set`), ["old.txt", "own.json"]);
  });
});

Deno.test("writeFolderAtomically() refuses a folder that appeared while fill ran (no silent rename onto it) and cleans up", async () => {
  await withTempDir(async (dir) => {
    await assertInputError(
      () =>
        writeFolderAtomically(`${dir}/set`, async () => {
          await Deno.mkdir(`${dir}/set`);
        }),
      {
        message:
          `Cannot write "${dir}/set" as it already exists: pass force (--force) to replace it`,
        field: "out",
      },
    );
    assert.deepEqual(await folderNames(dir), ["set"]);
    assert.deepEqual(await folderNames(`${dir}/set`), []);
  });
});

Deno.test("writeFileAtomically() writes and replaces a file and leaves no temporary file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/a.bin`;
    await writeFileAtomically(path, Uint8Array.from([1, 2, 3]));
    await writeFileAtomically(path, Uint8Array.from([4]));
    assert.deepEqual(await Deno.readFile(path), Uint8Array.from([4]));
    assert.deepEqual(await folderNames(dir), ["a.bin"]);
  });
});

Deno.test("writeFileAtomically() into a missing folder fails with an InputError naming the path and the folder, and leaves nothing", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/missing/a.bin`;
    const error = await assertInputError(() => writeFileAtomically(path, new Uint8Array(1)), {
      message: `Cannot write "${path}" as its folder "${dir}/missing" does not exist`,
      file: path,
      field: "out",
      value: path,
    });
    assert.ok(error.cause instanceof Deno.errors.NotFound);
    assert.deepEqual(await folderNames(dir), []);
  });
});

const linux = Deno.build.os === "linux";

Deno.test({
  name:
    "writeFileAtomically() and writeFolderAtomically() refuse /proc and /sys targets with an InputError naming the path and why",
  ignore: !linux,
  fn: async () => {
    await assertInputError(() => writeFileAtomically("/proc/a.wav", new Uint8Array(1)), {
      message:
        `Cannot write "/proc/a.wav" as its folder "/proc" does not accept new files (no such file or directory)`,
      field: "out",
    });
    await assertInputError(() => writeFileAtomically("/sys/a.wav", new Uint8Array(1)), {
      message: `Cannot write "/sys/a.wav" as its folder "/sys" is not writable (permission denied)`,
      field: "out",
    });
    await assertInputError(() => writeFolderAtomically("/proc/set", () => Promise.resolve()), {
      message:
        `Cannot write "/proc/set" as its folder "/proc" does not accept new files (no such file or directory)`,
      field: "out",
    });
    await assertInputError(() => checkFolderWritable("/sys", "/sys/x.json"), {
      message:
        `Cannot write "/sys/x.json" as its folder "/sys" is not writable (permission denied)`,
      field: "out",
    });
  },
});

Deno.test("checkFolderWritable() passes on a writable folder and leaves nothing behind", async () => {
  await withTempDir(async (dir) => {
    await checkFolderWritable(dir, `${dir}/x.wav`);
    assert.deepEqual(await folderNames(dir), []);
  });
});

Deno.test("writeFileAtomically() refuses to replace a folder and writeFolderAtomically() with force refuses to replace a file", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/d`);
    await Deno.writeTextFile(`${dir}/d/keep.txt`, "keep");
    await Deno.writeTextFile(`${dir}/f`, "file");
    await assertInputError(() => writeFileAtomically(`${dir}/d`, new Uint8Array(1)), {
      message:
        `Cannot write "${dir}/d" as a folder of that name exists and a file cannot replace it (even with --force): remove it or choose another path`,
      field: "out",
    });
    await assertInputError(
      () => writeFolderAtomically(`${dir}/f`, () => Promise.resolve(), { force: true }),
      {
        message:
          `Cannot write "${dir}/f" as a file of that name exists and a folder cannot replace it (even with --force): remove it or choose another path`,
        field: "out",
      },
    );
    assert.deepEqual(await folderNames(dir), ["d", "f"]);
    assert.equal(await Deno.readTextFile(`${dir}/d/keep.txt`), "keep");
    assert.equal(await Deno.readTextFile(`${dir}/f`), "file");
  });
});

Deno.test("writeFilesAtomically() writes all files or none: a failing second path leaves the first file as it was", async () => {
  await withTempDir(async (dir) => {
    const bytes = Uint8Array.from([7]);
    await writeFilesAtomically([{ path: `${dir}/a`, bytes }, { path: `${dir}/b`, bytes }]);
    assert.deepEqual(await folderNames(dir), ["a", "b"]);
    await Deno.mkdir(`${dir}/c`);
    await assertInputError(
      () =>
        writeFilesAtomically([
          { path: `${dir}/a`, bytes: Uint8Array.from([1]) },
          { path: `${dir}/new`, bytes: Uint8Array.from([1]) },
          { path: `${dir}/c`, bytes: Uint8Array.from([1]) },
        ]),
      {
        message:
          `Cannot write "${dir}/c" as a folder of that name exists and a file cannot replace it (even with --force): remove it or choose another path`,
        field: "out",
      },
    );
    await assertInputError(
      () =>
        writeFilesAtomically([
          { path: `${dir}/a`, bytes: Uint8Array.from([1]) },
          { path: `${dir}/missing/x`, bytes: Uint8Array.from([1]) },
        ]),
      {
        message: `Cannot write "${dir}/missing/x" as its folder "${dir}/missing" does not exist`,
        field: "out",
      },
    );
    assert.deepEqual(await folderNames(dir), ["a", "b", "c"]);
    assert.deepEqual(await Deno.readFile(`${dir}/a`), bytes);
  });
});

/** Start a `deno run` child that begins an atomic folder write of `path` and never finishes it. */
function startStuckWriter(path: string): Deno.ChildProcess {
  const atomic = new URL("../../io/atomic.ts", import.meta.url).href;
  const code = `import { writeFolderAtomically } from ${JSON.stringify(atomic)};
await writeFolderAtomically(${JSON.stringify(path)}, async (tmp) => {
  await Deno.writeTextFile(tmp + "/part.txt", "partial");
  console.log("ready");
  await new Promise(() => setInterval(() => {}, 1000));
});`;
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

/** Read a child's stdout until it printed `ready`. */
async function untilReady(child: Deno.ChildProcess): Promise<void> {
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`child ended before it was ready: ${text}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
}

Deno.test({
  name:
    "an atomic write removes the staging a SIGKILLed writer left beside it, but keeps a live writer's staging",
  ignore: !linux,
  fn: async () => {
    await withTempDir(async (dir) => {
      const killed = startStuckWriter(`${dir}/set`);
      await untilReady(killed);
      const live = startStuckWriter(`${dir}/other`);
      await untilReady(live);
      try {
        killed.kill("SIGKILL");
        await killed.status;
        await killed.stdout.cancel();
        const staged = await folderNames(dir);
        assert.equal(staged.length, 2);
        assert.ok(staged.some((n) => n.startsWith(`.set.tmp-${killed.pid}-`)), staged.join());
        // A stale ".old" copy whose name is not in place is the only copy left: it stays.
        await Deno.mkdir(`${dir}/.lost.old-${killed.pid}-0badc0de`);
        await writeFolderAtomically(`${dir}/set`, async (tmp) => {
          await Deno.writeTextFile(`${tmp}/a.txt`, "A");
        });
        const after = await folderNames(dir);
        assert.deepEqual(after.filter((n) => n.includes(`-${killed.pid}-`)), [
          `.lost.old-${killed.pid}-0badc0de`,
        ]);
        assert.ok(after.some((n) => n.startsWith(`.other.tmp-${live.pid}-`)), after.join());
        assert.deepEqual(await folderNames(`${dir}/set`), ["a.txt"]);
      } finally {
        live.kill("SIGKILL");
        await live.status;
        await live.stdout.cancel();
      }
    });
  },
});

Deno.test("sha256Hex() matches the FIPS 180-2 test vectors and hashes only a view's bytes", async () => {
  const text = (s: string) => new TextEncoder().encode(s);
  assert.equal(
    await sha256Hex(text("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    await sha256Hex(new Uint8Array(0)),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(
    await sha256Hex(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  const padded = text("xxabcxx").subarray(2, 5);
  assert.equal(
    await sha256Hex(padded),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});
