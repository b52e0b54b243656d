/**
 * Signed limits and bundles: the factory trusts only what the lab signed.
 *
 * A SHA-256 detects an accidental change, but anyone can edit a limits file
 * or a bundle and recompute its hashes. A signature made with the lab's
 * private key cannot be recomputed without that key. The scheme:
 *
 * - Ed25519 (RFC 8032) through WebCrypto (`crypto.subtle`), no other library.
 * - Keys are PEM files: the private key PKCS #8 (`-----BEGIN PRIVATE KEY-----`,
 *   written with permissions 0600), the public key SPKI
 *   (`-----BEGIN PUBLIC KEY-----`) — the formats `openssl genpkey -algorithm
 *   ed25519` and `openssl pkey -pubout` write and read.
 * - A key's id is the first 16 hex digits of the SHA-256 of its SPKI bytes.
 * - The signature lives in the document itself, as a top-level `signature`
 *   field `{ algorithm: "Ed25519", keyId, value }` (`value`: the 64-byte
 *   signature in base64). It signs the UTF-8 bytes of the canonical JSON
 *   (keys sorted, no spaces: `canonicalJson` of `io/canonical_json.ts`) of the document
 *   without its `signature` field — so it covers every field, the
 *   document's own `sha256` and, in a bundle, the `files` table with the
 *   SHA-256 of every filter file: a signed bundle cannot have its filters
 *   swapped even with their hashes recomputed.
 * - Verification with trusted public keys: an unsigned document, a signature
 *   by a key not in the trusted set, or one that does not verify is refused
 *   with an {@linkcode InputError} naming the file.
 *
 * References:
 * 1. S. Josefsson, I. Liusvaara, "Edwards-Curve Digital Signature Algorithm
 *    (EdDSA)", RFC 8032, 2017.
 * 2. S. Josefsson, J. Schaad, "Algorithm Identifiers for Ed25519, Ed448,
 *    X25519, and X448 for Use in the Internet X.509 Public Key
 *    Infrastructure", RFC 8410, 2018 (the PKCS #8 / SPKI encodings).
 *
 * @module
 */
import { InputError } from "../io/errors.ts";
import { sha256Hex } from "../io/atomic.ts";
import { canonicalJson } from "../io/canonical_json.ts";

/** The only signature algorithm. */
export const SIGNATURE_ALGORITHM = "Ed25519";

/** The `signature` field of a signed limits file or `bundle.json`. */
export interface DocumentSignature {
  /** Always {@linkcode SIGNATURE_ALGORITHM}. */
  readonly algorithm: typeof SIGNATURE_ALGORITHM;
  /** Id of the signing key: first 16 hex digits of the SHA-256 of its SPKI public key. */
  readonly keyId: string;
  /** The 64-byte Ed25519 signature of the canonical JSON without this field, base64. */
  readonly value: string;
}

/** A private key read by {@linkcode readSigningKey}. */
export interface SigningKey {
  /** The WebCrypto key (usage "sign"). */
  readonly key: CryptoKey;
  /** The id of its public key. */
  readonly keyId: string;
}

/** A public key read by {@linkcode readTrustedKey}. */
export interface TrustedKey {
  /** The WebCrypto key (usage "verify"). */
  readonly key: CryptoKey;
  /** Its id. */
  readonly keyId: string;
  /** The file it was read from, for messages. */
  readonly file: string;
}

/** A new key pair as PEM text, see {@linkcode generateKeyPair}. */
export interface KeyPairPem {
  /** PKCS #8 private key, PEM. */
  readonly privatePem: string;
  /** SPKI public key, PEM. */
  readonly publicPem: string;
  /** Id of the key. */
  readonly keyId: string;
}

const ALGORITHM = { name: SIGNATURE_ALGORITHM };

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function toPem(label: string, der: Uint8Array): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function fromPem(label: string, text: string): Uint8Array<ArrayBuffer> | undefined {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`)
    .exec(text);
  return m ? fromBase64(m[1]!.replace(/\s+/g, "")) : undefined;
}

async function keyIdOf(spki: Uint8Array<ArrayBuffer>): Promise<string> {
  return (await sha256Hex(spki)).slice(0, 16);
}

/**
 * Make an Ed25519 key pair.
 *
 * @returns The private key (PKCS #8 PEM), the public key (SPKI PEM) and its id.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from "./signature.ts";
 * const { publicPem, keyId } = await generateKeyPair();
 * console.log(keyId, publicPem.startsWith("-----BEGIN PUBLIC KEY-----"));
 * ```
 */
export async function generateKeyPair(): Promise<KeyPairPem> {
  const pair = await crypto.subtle.generateKey(ALGORITHM, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  return {
    privatePem: toPem("PRIVATE KEY", pkcs8),
    publicPem: toPem("PUBLIC KEY", spki),
    keyId: await keyIdOf(spki),
  };
}

async function readKeyText(path: string, what: string): Promise<string> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile || info.size > 64 * 1024) {
      throw new InputError(
        `Cannot read ${what} "${path}" as it must be a PEM file of at most 64 KiB: it is ${
          info.isFile ? `${info.size} bytes` : "not a regular file"
        }`,
        { file: path, field: "(file)", value: path },
      );
    }
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(
      `Cannot read ${what} "${path}" as the file cannot be opened: ${(error as Error).message}`,
      { file: path, field: "(file)", value: path, cause: error },
    );
  }
}

/**
 * Read a private Ed25519 key (PKCS #8 PEM, as `deno task keys` or `openssl
 * genpkey -algorithm ed25519` write it).
 *
 * @param path The private key file.
 * @throws {InputError} naming the file for a missing file or one that holds no Ed25519 private key.
 */
export async function readSigningKey(path: string): Promise<SigningKey> {
  const text = await readKeyText(path, "private key");
  const der = fromPem("PRIVATE KEY", text);
  const fail = (why: string, cause?: unknown): never => {
    throw new InputError(
      `Cannot read private key "${path}" as it must be an Ed25519 PKCS #8 PEM key (-----BEGIN PRIVATE KEY-----): ${why}`,
      { file: path, field: "(file)", value: path, cause },
    );
  };
  if (der === undefined) {
    fail(
      text.includes("BEGIN PUBLIC KEY")
        ? "it holds a public key (sign with the private one)"
        : "no such block found",
    );
  }
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("pkcs8", der!, ALGORITHM, true, ["sign"]);
  } catch (error) {
    return fail(`WebCrypto refused it (${(error as Error).message})`, error);
  }
  // The public half is in the private key's JWK (`x`): its SPKI gives the key id.
  const jwk = await crypto.subtle.exportKey("jwk", key);
  const publicKey = await crypto.subtle.importKey(
    "jwk",
    { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! },
    ALGORITHM,
    true,
    ["verify"],
  );
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", publicKey));
  return { key, keyId: await keyIdOf(spki) };
}

/**
 * Read a trusted public Ed25519 key (SPKI PEM).
 *
 * @param path The public key file.
 * @throws {InputError} naming the file for a missing file or one that holds no Ed25519 public key.
 */
export async function readTrustedKey(path: string): Promise<TrustedKey> {
  const text = await readKeyText(path, "public key");
  const der = fromPem("PUBLIC KEY", text);
  const fail = (why: string, cause?: unknown): never => {
    throw new InputError(
      `Cannot read public key "${path}" as it must be an Ed25519 SPKI PEM key (-----BEGIN PUBLIC KEY-----): ${why}`,
      { file: path, field: "(file)", value: path, cause },
    );
  };
  if (der === undefined) {
    fail(
      text.includes("BEGIN PRIVATE KEY")
        ? "it holds a private key (give the .pub file; the private key stays in the lab)"
        : "no such block found",
    );
  }
  try {
    const key = await crypto.subtle.importKey("spki", der!, ALGORITHM, true, ["verify"]);
    return { key, keyId: await keyIdOf(der!), file: path };
  } catch (error) {
    return fail(`WebCrypto refused it (${(error as Error).message})`, error);
  }
}

/** The bytes a signature covers: the canonical JSON of `document` without `signature`. */
export function signedBytes(document: object): Uint8Array<ArrayBuffer> {
  const { signature: _ignored, ...rest } = document as Record<string, unknown>;
  return new TextEncoder().encode(canonicalJson(rest));
}

/**
 * Sign a document (limits or `bundle.json` content, hashes already set).
 *
 * @param document The document; an existing `signature` is replaced.
 * @param signer The private key.
 * @returns A copy with `signature` set.
 */
export async function signDocument<T extends object>(
  document: T,
  signer: SigningKey,
): Promise<T & { signature: DocumentSignature }> {
  const value = new Uint8Array(
    await crypto.subtle.sign(ALGORITHM, signer.key, signedBytes(document)),
  );
  return {
    ...document,
    signature: { algorithm: SIGNATURE_ALGORITHM, keyId: signer.keyId, value: toBase64(value) },
  };
}

/**
 * Refuse a document that is not signed by one of the trusted keys.
 *
 * @param document The parsed document (its hashes already checked by its reader).
 * @param trusted The trusted public keys (at least one).
 * @param file The file, named in the message (`limits "x.json"`, `bundle "b"`).
 * @returns The key that signed it.
 * @throws {InputError} (field `signature`) for an unsigned document, an unknown key or a
 *   signature that does not verify.
 */
export async function checkSignature(
  document: object,
  trusted: readonly TrustedKey[],
  file: string,
): Promise<TrustedKey> {
  const fail = (why: string, value: unknown): never => {
    throw new InputError(`Cannot trust ${file} as ${why}`, { file, field: "signature", value });
  };
  const names = trusted.map((k) => `${k.keyId} (${k.file})`).join(", ");
  const s = (document as Record<string, unknown>).signature as
    | Record<string, unknown>
    | undefined;
  if (s === undefined) {
    fail(`it is not signed: --trust accepts only files signed by ${names}`, null);
  }
  if (typeof s !== "object" || s === null || s.algorithm !== SIGNATURE_ALGORITHM) {
    fail(
      `signature.algorithm must be "${SIGNATURE_ALGORITHM}": current value is ${
        JSON.stringify((s as Record<string, unknown> | null)?.algorithm)
      }`,
      s,
    );
  }
  const key = trusted.find((k) => k.keyId === s!.keyId);
  if (key === undefined) {
    fail(
      `it is signed by key ${JSON.stringify(s!.keyId)}, which is not trusted (trusted: ${names})`,
      s!.keyId,
    );
  }
  const value = typeof s!.value === "string" ? fromBase64(s!.value) : undefined;
  const valid = value !== undefined && value.length === 64 &&
    await crypto.subtle.verify(ALGORITHM, key!.key, value, signedBytes(document));
  if (!valid) {
    fail(
      `its signature does not verify with key ${key!.keyId} (${
        key!.file
      }): the content was changed after it was signed`,
      s!.value,
    );
  }
  return key!;
}
