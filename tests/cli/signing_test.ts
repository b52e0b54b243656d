/**
 * Signed limits and bundles (issue 13, "Hashes without a key"): `deno task keys`, `golden --sign`,
 * `fit --sign`, and `verify --trust` / `evaluate --trust` refusing unsigned, foreign-signed and
 * edited-then-re-hashed files, naming the file. Keys are checked against openssl.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Limits, limitsContentSha256, writeUnitMeasurement } from "../../calibrate/limits.ts";
import { synthUnit } from "../calibrate/_units.ts";
import { binauralSetOf, forgeGarbageFilters } from "./_bundles.ts";
import { runCli, tool } from "./_run.ts";
import { folderNames, withTempDir } from "../_temp.ts";

/** Write edited limits with their sha256 recomputed and their signature kept. */
async function rehashed(path: string, json: Record<string, unknown>): Promise<void> {
  const sha256 = await limitsContentSha256(json as unknown as Limits);
  await Deno.writeTextFile(path, JSON.stringify({ ...json, sha256 }, null, 2));
}

Deno.test("deno task keys writes an Ed25519 pair openssl reads (private 0600, public = openssl's derivation) and never replaces one", async () => {
  await withTempDir(async (dir) => {
    const lab = join(dir, "lab");
    const r = await runCli("keys.ts", ["--out", lab, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const { keyId } = JSON.parse(r.stdout);
    assert.match(keyId, /^[0-9a-f]{16}$/);
    assert.equal((await Deno.stat(`${lab}.key`)).mode! & 0o777, 0o600);
    const pub = await Deno.readTextFile(`${lab}.pub`);
    assert.equal(await tool("openssl", ["pkey", "-in", `${lab}.key`, "-pubout"]), pub);
    assert.match(
      await tool("openssl", ["pkey", "-in", `${lab}.key`, "-noout", "-text"]),
      /ED25519 Private-Key/,
    );
    const again = await runCli("keys.ts", ["--out", lab]);
    assert.equal(again.code, 2);
    assert.ok(again.stderr.includes(`"${lab}.key" as it already exists`), again.stderr);
    assert.equal(await Deno.readTextFile(`${lab}.pub`), pub);
    assert.deepEqual(await folderNames(dir), ["lab.key", "lab.pub"]); // no staging left
  });
});

Deno.test("verify --trust accepts golden --sign limits and refuses unsigned, foreign-signed and re-hashed ones (referenceIr: [], fewer drivers, wider limits), naming the file", async () => {
  await withTempDir(async (dir) => {
    const lab = join(dir, "lab"), other = join(dir, "other");
    for (const k of [lab, other]) assert.equal((await runCli("keys.ts", ["--out", k])).code, 0);
    const sets: string[] = [];
    for (let i = 0; i < 5; i++) {
      sets.push(join(dir, `g${i}`));
      await writeUnitMeasurement(sets[i]!, synthUnit(500 + i));
    }
    const signed = join(dir, "signed.json");
    const g = await runCli("golden.ts", [
      ...sets.flatMap((s) => ["--in", s]),
      "--out",
      signed,
      "--sign",
      `${lab}.key`,
    ]);
    assert.equal(g.code, 0, g.stderr);
    const json = JSON.parse(await Deno.readTextFile(signed));
    assert.equal(json.signature.algorithm, "Ed25519");
    const quiet = join(dir, "quiet");
    await writeUnitMeasurement(
      quiet,
      synthUnit(903, [{ kind: "sensitivity", driver: "tweeter", offsetDb: -10 }]),
    );
    const good = join(dir, "good");
    await writeUnitMeasurement(good, synthUnit(904));
    const verify = (set: string, limits: string, keys = [`${lab}.pub`]) =>
      runCli("verify.ts", [
        "--in",
        set,
        "--limits",
        limits,
        "--no-record",
        ...keys.flatMap((k) => ["--trust", k]),
      ]);
    let r = await verify(good, signed);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    r = await verify(good, signed, [`${other}.pub`, `${lab}.pub`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    r = await verify(quiet, signed);
    assert.equal(r.code, 1, r.stdout + r.stderr);

    // Unsigned limits and limits signed by another key.
    const { signature: _s, ...bare } = json;
    const unsigned = join(dir, "unsigned.json");
    await Deno.writeTextFile(unsigned, JSON.stringify(bare));
    r = await verify(good, unsigned);
    assert.equal(r.code, 2);
    assert.ok(
      r.stderr.includes(
        `Cannot trust limits "${unsigned}" as it is not signed: --trust accepts only files signed by`,
      ),
      r.stderr,
    );
    r = await verify(good, signed, [`${other}.pub`]);
    assert.equal(r.code, 2);
    assert.ok(
      r.stderr.includes(
        `Cannot trust limits "${signed}" as it is signed by key "${json.signature.keyId}", which is not trusted`,
      ),
      r.stderr,
    );

    // Edited and re-hashed, the signature kept: refused under --trust, each naming the file.
    const wider = structuredClone(json);
    wider.driverLimits.tweeter.sensitivity.lowerDb = -200;
    wider.driverLimits.tweeter.deadBelowDb = -300;
    wider.driverLimits.tweeter.rubBuzz.ceilingDb = 0;
    wider.driverLimits.tweeter.thd.ceilingDb = 0;
    for (const b of wider.driverLimits.tweeter.bands) b.lowerDb = -300;
    const widerPath = join(dir, "wider.json");
    await rehashed(widerPath, wider);
    r = await verify(quiet, widerPath, []);
    assert.equal(
      r.code,
      0,
      `without --trust the re-hashed file passes the quiet unit: ${r.stdout}${r.stderr}`,
    );
    r = await verify(quiet, widerPath);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.ok(
      r.stderr.includes(
        `Cannot trust limits "${widerPath}" as its signature does not verify with key`,
      ),
      r.stderr,
    );
    const noReference = structuredClone(json);
    for (const id of noReference.drivers) noReference.driverLimits[id].referenceIr = [];
    const fewer = structuredClone(json);
    fewer.drivers = ["woofer", "mid"];
    delete fewer.driverLimits.tweeter;
    for (const [name, edited] of [["no-reference", noReference], ["fewer", fewer]] as const) {
      const path = join(dir, `${name}.json`);
      await rehashed(path, edited);
      r = await verify(good, path);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.ok(r.stderr.includes(`"${path}"`), r.stderr);
    }
    // A key file of the wrong kind is named too.
    r = await verify(good, signed, [`${lab}.key`]);
    assert.equal(r.code, 2);
    assert.ok(
      r.stderr.includes(
        `Cannot read public key "${lab}.key" as it must be an Ed25519 SPKI PEM key`,
      ),
      r.stderr,
    );
  });
});

Deno.test("fit --sign signs the bundle with its files' hashes; verify and evaluate --trust refuse it unsigned or with garbage filters re-hashed", async () => {
  await withTempDir(async (dir) => {
    const lab = join(dir, "lab");
    assert.equal((await runCli("keys.ts", ["--out", lab])).code, 0);
    const unit = synthUnit(905);
    const ears = join(dir, "ears");
    await binauralSetOf(ears, unit);
    const fit = (out: string, sign: boolean) =>
      runCli("fit.ts", [
        "--in",
        ears,
        "--out",
        out,
        "--upmix",
        "none",
        "--taps",
        "1024",
        ...(sign ? ["--sign", `${lab}.key`] : []),
      ]);
    const signed = join(dir, "signed"), unsigned = join(dir, "unsigned");
    let r = await fit(signed, true);
    assert.equal(r.code, 0, r.stderr);
    r = await fit(unsigned, false);
    assert.equal(r.code, 0, r.stderr);
    const set = join(dir, "unit");
    await writeUnitMeasurement(set, unit);
    // The limits are signed too: in a --trust run every trusted input is.
    const signedLimits = join(dir, "signed-limits.json");
    for (const s of [1, 2, 3, 4, 5]) {
      await writeUnitMeasurement(join(dir, `g${s}`), synthUnit(800 + s));
    }
    const g2 = await runCli("golden.ts", [
      ...[1, 2, 3, 4, 5].flatMap((s) => ["--in", join(dir, `g${s}`)]),
      "--out",
      signedLimits,
      "--sign",
      `${lab}.key`,
    ]);
    assert.equal(g2.code, 0, g2.stderr);
    const verify = (bundle: string) =>
      runCli("verify.ts", [
        "--in",
        set,
        "--limits",
        signedLimits,
        "--bundle",
        bundle,
        "--no-record",
        "--trust",
        `${lab}.pub`,
      ]);
    const evaluate = (bundle: string) =>
      runCli("evaluate.ts", ["--bundle", bundle, "--in", ears, "--trust", `${lab}.pub`]);
    r = await verify(signed);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    r = await evaluate(signed);
    assert.equal(r.code, 0, r.stderr);
    for (const run of [verify, evaluate]) {
      r = await run(unsigned);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.ok(
        r.stderr.includes(`Cannot trust bundle "${unsigned}" as it is not signed`),
        r.stderr,
      );
    }
    await forgeGarbageFilters(signed);
    for (const run of [verify, evaluate]) {
      r = await run(signed);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.ok(
        r.stderr.includes(
          `Cannot trust bundle "${signed}" as its signature does not verify with key`,
        ),
        r.stderr,
      );
    }
  });
});
