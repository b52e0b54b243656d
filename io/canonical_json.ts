/**
 * Canonical JSON: the one byte spelling of a JSON value that content hashes
 * and signatures are taken over (the limits hash, the bundle's content hash,
 * signed documents).
 *
 * @module
 */
import { sha256Hex } from "./atomic.ts";

/**
 * JSON with object keys sorted by UTF-16 code unit, no whitespace, and
 * `undefined` object members left out; arrays keep their order and numbers
 * and strings are spelled as `JSON.stringify` spells them. Two values that
 * differ only in key order give the same string.
 *
 * @param value Any JSON-compatible value.
 * @returns The canonical spelling.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./canonical_json.ts";
 * canonicalJson({ b: 1, a: [2, { d: null, c: "x" }] }); // '{"a":[2,{"c":"x","d":null}],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * SHA-256 of the UTF-8 bytes of {@linkcode canonicalJson}`(value)`, as 64
 * lowercase hex digits.
 *
 * @param value Any JSON-compatible value.
 */
export function canonicalJsonSha256(value: unknown): Promise<string> {
  return sha256Hex(new TextEncoder().encode(canonicalJson(value)));
}
