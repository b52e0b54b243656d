import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkSignature,
  generateKeyPair,
  readSigningKey,
  readTrustedKey,
  signDocument,
  signedBytes,
} from "../../calibrate/signature.ts";
import { InputError } from "../../io/errors.ts";
import { tool } from "../cli/_run.ts";
import { withTempDir } from "../_temp.ts";

const DOC = {
  format: "spatialcal.limits",
  drivers: ["woofer", "mid"],
  files: { "filters/left.wav": "ab".repeat(32) },
  sha256: "cd".repeat(32),
  nested: { b: 1.5, a: [1, -2, 3e-7] },
};

async function pair(dir: string, name: string) {
  const p = await generateKeyPair();
  await Deno.writeTextFile(join(dir, `${name}.key`), p.privatePem);
  await Deno.writeTextFile(join(dir, `${name}.pub`), p.publicPem);
  return {
    signer: await readSigningKey(join(dir, `${name}.key`)),
    trusted: await readTrustedKey(join(dir, `${name}.pub`)),
    keyId: p.keyId,
  };
}

function rejectsWith(promise: Promise<unknown>, text: string) {
  return assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.field, "signature");
    assert.ok(e.message.includes(text), e.message);
    return true;
  });
}

Deno.test("signDocument() signs the canonical JSON (keys sorted, no spaces) without the signature field; openssl verifies it", async () => {
  await withTempDir(async (dir) => {
    const { signer, trusted, keyId } = await pair(dir, "lab");
    assert.equal(signer.keyId, keyId); // the id read back from the private key is the public key's
    const signed = await signDocument(DOC, signer);
    assert.equal(
      new TextDecoder().decode(signedBytes(signed)),
      '{"drivers":["woofer","mid"],"files":{"filters/left.wav":"' + "ab".repeat(32) +
        '"},"format":"spatialcal.limits","nested":{"a":[1,-2,3e-7],"b":1.5},"sha256":"' +
        "cd".repeat(32) + '"}',
    );
    assert.equal((await checkSignature(signed, [trusted], "doc")).keyId, keyId);
    // The independent check: openssl (RFC 8032 Ed25519, raw message) accepts our signature.
    await Deno.writeFile(join(dir, "msg"), signedBytes(signed));
    await Deno.writeFile(
      join(dir, "sig"),
      Uint8Array.from(atob(signed.signature.value), (c) => c.charCodeAt(0)),
    );
    const out = await tool("openssl", [
      "pkeyutl",
      "-verify",
      "-pubin",
      "-inkey",
      join(dir, "lab.pub"),
      "-rawin",
      "-in",
      join(dir, "msg"),
      "-sigfile",
      join(dir, "sig"),
    ]);
    assert.match(out, /Signature Verified Successfully/);
  });
});

Deno.test("keys and signatures made by openssl are read and verified (PKCS #8 / SPKI PEM interoperate)", async () => {
  await withTempDir(async (dir) => {
    const key = join(dir, "o.key"), pub = join(dir, "o.pub");
    await tool("openssl", ["genpkey", "-algorithm", "ed25519", "-out", key]);
    await Deno.writeTextFile(pub, await tool("openssl", ["pkey", "-in", key, "-pubout"]));
    const signer = await readSigningKey(key);
    const trusted = await readTrustedKey(pub);
    assert.equal(signer.keyId, trusted.keyId);
    const ours = await signDocument(DOC, signer);
    await checkSignature(ours, [trusted], "doc");
    // Ed25519 is deterministic: openssl's signature of the same bytes is ours, bit for bit.
    await Deno.writeFile(join(dir, "msg"), signedBytes(DOC));
    await new Deno.Command("openssl", {
      args: [
        "pkeyutl",
        "-sign",
        "-inkey",
        key,
        "-rawin",
        "-in",
        join(dir, "msg"),
        "-out",
        join(dir, "sig"),
      ],
    }).output();
    const theirs = await Deno.readFile(join(dir, "sig"));
    assert.equal(theirs.length, 64);
    assert.equal(btoa(String.fromCharCode(...theirs)), ours.signature.value);
  });
});

Deno.test("checkSignature() refuses an unsigned document, an untrusted key, any changed field and a damaged signature", async () => {
  await withTempDir(async (dir) => {
    const lab = await pair(dir, "lab");
    const other = await pair(dir, "other");
    const signed = await signDocument(DOC, lab.signer);
    await rejectsWith(
      checkSignature(DOC, [lab.trusted], 'limits "x"'),
      'Cannot trust limits "x" as it is not signed',
    );
    await rejectsWith(
      checkSignature(signed, [other.trusted], "doc"),
      `it is signed by key "${lab.keyId}", which is not trusted (trusted: ${other.keyId} (${other.trusted.file}))`,
    );
    await checkSignature(signed, [other.trusted, lab.trusted], "doc");
    const changed = [
      { ...signed, sha256: "ce".repeat(32) },
      { ...signed, files: { "filters/left.wav": "ac".repeat(32) } },
      { ...signed, nested: { a: [1, -2, 3e-7], b: 1.5000001 } },
      { ...signed, extra: true },
    ];
    for (const doc of changed) {
      await rejectsWith(
        checkSignature(doc, [lab.trusted], "doc"),
        "its signature does not verify with key",
      );
    }
    const value = signed.signature.value;
    const flipped = (value[0] === "A" ? "B" : "A") + value.slice(1);
    for (const v of [flipped, "not base64!", value.slice(0, 40)]) {
      await rejectsWith(
        checkSignature(
          { ...signed, signature: { ...signed.signature, value: v } },
          [lab.trusted],
          "doc",
        ),
        "its signature does not verify",
      );
    }
    await rejectsWith(
      checkSignature({ ...signed, signature: { ...signed.signature, algorithm: "RSA" } }, [
        lab.trusted,
      ], "doc"),
      'signature.algorithm must be "Ed25519": current value is "RSA"',
    );
  });
});

Deno.test("readSigningKey() and readTrustedKey() name the file and the swapped or missing key", async () => {
  await withTempDir(async (dir) => {
    await pair(dir, "lab");
    await assert.rejects(readSigningKey(join(dir, "lab.pub")), {
      name: "InputError",
      message: `Cannot read private key "${
        join(dir, "lab.pub")
      }" as it must be an Ed25519 PKCS #8 PEM key (-----BEGIN PRIVATE KEY-----): it holds a public key (sign with the private one)`,
    });
    await assert.rejects(readTrustedKey(join(dir, "lab.key")), {
      name: "InputError",
      message: `Cannot read public key "${
        join(dir, "lab.key")
      }" as it must be an Ed25519 SPKI PEM key (-----BEGIN PUBLIC KEY-----): it holds a private key (give the .pub file; the private key stays in the lab)`,
    });
    await assert.rejects(readTrustedKey(join(dir, "none.pub")), {
      name: "InputError",
      message: new RegExp(
        `^Cannot read public key "${join(dir, "none.pub")}" as the file cannot be opened`,
      ),
    });
    const rsa = join(dir, "rsa.key");
    await tool("openssl", [
      "genpkey",
      "-algorithm",
      "rsa",
      "-pkeyopt",
      "rsa_keygen_bits:1024",
      "-out",
      rsa,
    ]);
    await assert.rejects(readSigningKey(rsa), {
      name: "InputError",
      message: /as it must be an Ed25519 PKCS #8 PEM key .*: WebCrypto refused it/,
    });
  });
});
