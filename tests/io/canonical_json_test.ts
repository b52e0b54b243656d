import assert from "node:assert/strict";
import { canonicalJson, canonicalJsonSha256 } from "../../io/canonical_json.ts";

const DOC = {
  version: 1,
  format: "spatialcal.limits",
  bands: [{ upperHz: 6000, lowerHz: 300, tolerance: { up: 3, down: -3 } }, { lowerHz: 20 }],
  name: 'ünit "A"',
  empty: {},
  list: [],
  none: null,
  yes: true,
};

Deno.test("canonicalJson() sorts keys at every depth, keeps array order and drops undefined members", () => {
  assert.equal(
    canonicalJson({ b: 1, a: [3, { d: null, c: "x", u: undefined }, 2] }),
    '{"a":[3,{"c":"x","d":null},2],"b":1}',
  );
  const reversed = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(reversed)
      : v !== null && typeof v === "object"
      ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)]))
      : v;
  const shuffled = reversed(DOC);
  assert.notEqual(JSON.stringify(shuffled), JSON.stringify(DOC));
  assert.equal(canonicalJson(shuffled), canonicalJson(DOC));
});

Deno.test("canonicalJson() equals Python's json.dumps(sort_keys=True, separators=(',', ':'), ensure_ascii=False)", async () => {
  const script =
    "import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True, separators=(',', ':'), ensure_ascii=False), end='')";
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(DOC, null, 2)));
  await writer.close();
  const { stdout } = await child.output();
  assert.equal(canonicalJson(DOC), new TextDecoder().decode(stdout));
});

Deno.test("canonicalJsonSha256() is the SHA-256 of the canonical bytes (sha256sum of the same text)", async () => {
  const text = canonicalJson(DOC);
  const child = new Deno.Command("sha256sum", { stdin: "piped", stdout: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const expected = new TextDecoder().decode((await child.output()).stdout).slice(0, 64);
  assert.equal(await canonicalJsonSha256(DOC), expected);
});
