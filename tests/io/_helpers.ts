/**
 * Helpers for the io tests: run sox, check thrown errors with class, message
 * and fields, and build WAV files chunk by chunk.
 * @module
 */
import assert from "node:assert/strict";
import { InputError } from "../../io/errors.ts";

/** Run a command, fail the test with its stderr if it exits non-zero, return stdout bytes. */
export async function run(command: string, args: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return out.stdout;
}

/** sox's own reading of a file as raw little-endian float64, one array per channel. */
export async function soxDump(path: string, channelCount: number): Promise<Float64Array[]> {
  const raw = await run("sox", [path, "-t", "f64", "-"]);
  const all = new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8);
  const frames = all.length / channelCount;
  return Array.from({ length: channelCount }, (_, c) => {
    const ch = new Float64Array(frames);
    for (let i = 0; i < frames; i++) ch[i] = all[i * channelCount + c]!;
    return ch;
  });
}

/** The error `fn` throws (synchronously or as a rejected promise); fails if it does not throw. */
export async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new assert.AssertionError({ message: "expected an error, none was thrown" });
}

/** Assert `fn` throws an InputError with exactly this message and these fields. */
export async function assertInputError(
  fn: () => unknown,
  expected: { message: string; field: string; file?: string | undefined; value?: unknown },
): Promise<InputError> {
  const error = await caught(fn);
  assert.ok(error instanceof InputError, `expected InputError, got ${error}`);
  assert.equal(error.name, "InputError");
  assert.equal(error.message, expected.message);
  assert.equal(error.field, expected.field);
  if ("file" in expected) assert.equal(error.file, expected.file);
  if ("value" in expected) assert.deepEqual(error.value, expected.value);
  return error;
}

/** Assert `fn` throws an error of `type` with exactly this message. */
export async function assertErrorMessage(
  fn: () => unknown,
  type: typeof RangeError | typeof TypeError,
  message: string,
): Promise<void> {
  const error = await caught(fn);
  assert.ok(error instanceof type, `expected ${type.name}, got ${error}`);
  assert.equal(error.constructor, type);
  assert.equal(error.message, message);
}

/** Little-endian byte writer for building test files. */
export function le(...fields: [number, 2 | 4][]): Uint8Array {
  const size = fields.reduce((s, [, n]) => s + n, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let p = 0;
  for (const [v, n] of fields) {
    if (n === 2) view.setUint16(p, v, true);
    else view.setUint32(p, v >>> 0, true);
    p += n;
  }
  return bytes;
}

/** Concatenate byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/** Four ASCII characters. */
export function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** A RIFF chunk: id, size (default the body length), body, pad byte if odd. */
export function chunk(id: string, body: Uint8Array, declaredSize = body.length): Uint8Array {
  return concat(ascii(id), le([declaredSize, 4]), body, new Uint8Array(body.length & 1));
}

/** A RIFF file from chunks (`id`/`form` overridable to build wrong headers). */
export function riff(chunks: Uint8Array[], id = "RIFF", form = "WAVE"): Uint8Array {
  const body = concat(ascii(form), ...chunks);
  return concat(ascii(id), le([body.length, 4]), body);
}

/** A plain 16-byte `fmt ` body. blockAlign defaults to channels × bits / 8. */
export function fmtBody(
  tag: number,
  channels: number,
  sampleRate: number,
  bits: number,
  blockAlign = channels * bits / 8,
): Uint8Array {
  return le(
    [tag, 2],
    [channels, 2],
    [sampleRate, 4],
    [sampleRate * blockAlign, 4],
    [blockAlign, 2],
    [bits, 2],
  );
}

/** The standard tail (bytes 2..15) of KSDATAFORMAT_SUBTYPE GUIDs. */
export const GUID_TAIL = [0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71];

/** A 40-byte WAVE_FORMAT_EXTENSIBLE `fmt ` body with the given subformat GUID bytes. */
export function extensibleFmtBody(
  subTag: number,
  channels: number,
  sampleRate: number,
  bits: number,
  guidTail: readonly number[] = GUID_TAIL,
): Uint8Array {
  return concat(
    fmtBody(0xfffe, channels, sampleRate, bits),
    le([22, 2], [bits, 2], [0, 4], [subTag, 2]),
    Uint8Array.from(guidTail),
  );
}
