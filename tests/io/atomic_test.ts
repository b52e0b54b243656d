import assert from "node:assert/strict";
import { sha256Hex, writeFileAtomically, writeFolderAtomically } from "../../io/atomic.ts";
import { assertInputError, caught } from "./_helpers.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "spatialcal-atomic-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) out.push(entry.name);
  return out.sort();
}

Deno.test("writeFolderAtomically() fills a hidden temporary sibling, renames it into place, returns fill's result and leaves nothing else", async () => {
  await withTempDir(async (dir) => {
    let seen = "";
    const result = await writeFolderAtomically(`${dir}/set`, async (tmp) => {
      seen = tmp;
      assert.match(tmp, /\/\.set\.tmp-[0-9a-f]{8}$/);
      assert.deepEqual(await names(dir), [tmp.slice(dir.length + 1)]);
      await Deno.writeTextFile(`${tmp}/a.txt`, "A");
      return 42;
    });
    assert.equal(result, 42);
    assert.notEqual(seen, "");
    assert.deepEqual(await names(dir), ["set"]);
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
    assert.deepEqual(await names(dir), ["set"]);
    assert.equal(await Deno.readTextFile(`${dir}/set/old.txt`), "old");
  });
});

Deno.test("writeFolderAtomically() with force replaces an existing folder and removes the old one", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/set`);
    await Deno.writeTextFile(`${dir}/set/old.txt`, "old");
    await writeFolderAtomically(`${dir}/set`, async (tmp) => {
      // The old folder is still in place while fill runs.
      assert.equal(await Deno.readTextFile(`${dir}/set/old.txt`), "old");
      await Deno.writeTextFile(`${tmp}/new.txt`, "new");
    }, { force: true });
    assert.deepEqual(await names(dir), ["set"]);
    assert.deepEqual(await names(`${dir}/set`), ["new.txt"]);
  });
});

Deno.test("writeFolderAtomically() with force creates the folder when nothing exists yet", async () => {
  await withTempDir(async (dir) => {
    await writeFolderAtomically(`${dir}/set`, async (tmp) => {
      await Deno.writeTextFile(`${tmp}/a.txt`, "A");
    }, { force: true });
    assert.deepEqual(await names(`${dir}/set`), ["a.txt"]);
  });
});

Deno.test("writeFolderAtomically() removes the temporary folder and keeps the existing one when fill fails", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/set`);
    await Deno.writeTextFile(`${dir}/set/old.txt`, "old");
    const boom = new Error("boom");
    for (const force of [true, false]) {
      const path = force ? `${dir}/set` : `${dir}/fresh`;
      const error = await caught(() =>
        writeFolderAtomically(path, async (tmp) => {
          await Deno.writeTextFile(`${tmp}/partial.txt`, "partial");
          throw boom;
        }, { force })
      );
      assert.equal(error, boom);
    }
    assert.deepEqual(await names(dir), ["set"]);
    assert.deepEqual(await names(`${dir}/set`), ["old.txt"]);
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
    assert.deepEqual(await names(dir), ["set"]);
    assert.deepEqual(await names(`${dir}/set`), []);
  });
});

Deno.test("writeFileAtomically() writes and replaces a file and leaves no temporary file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/a.bin`;
    await writeFileAtomically(path, Uint8Array.from([1, 2, 3]));
    await writeFileAtomically(path, Uint8Array.from([4]));
    assert.deepEqual(await Deno.readFile(path), Uint8Array.from([4]));
    assert.deepEqual(await names(dir), ["a.bin"]);
  });
});

Deno.test("writeFileAtomically() into a missing folder fails with NotFound and leaves nothing", async () => {
  await withTempDir(async (dir) => {
    const error = await caught(() =>
      writeFileAtomically(`${dir}/missing/a.bin`, new Uint8Array(1))
    );
    assert.ok(error instanceof Deno.errors.NotFound);
    assert.deepEqual(await names(dir), []);
  });
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
