/**
 * WAV reading and writing: PCM 16/24/32-bit integer and IEEE float32, plain
 * (`WAVE_FORMAT_PCM` 0x0001, `WAVE_FORMAT_IEEE_FLOAT` 0x0003) or
 * `WAVE_FORMAT_EXTENSIBLE` (0xFFFE), any channel count.
 *
 * Sample scaling: integer PCM of `b` bits maps code `k` to `k / 2^(b-1)`, so
 * full scale is [-1, 1) — the same convention as sox. Float samples are taken
 * as they are.
 *
 * References:
 * 1. Microsoft / IBM, "Multimedia Programming Interface and Data
 *    Specifications 1.0", 1991 (RIFF, `fmt `, `data`, `fact` chunks).
 * 2. Microsoft, "Multiple Channel Audio Data and WAVE Files", 2007
 *    (`WAVE_FORMAT_EXTENSIBLE`, channel masks, subformat GUIDs).
 * 3. P. Kabal, "Audio File Format Specifications", McGill University
 *    (notes on `fact` chunks for float data and on the extensible format).
 *
 * @module
 */
import type { Signal } from "../dsp/signal.ts";
import { InputError } from "./errors.ts";
import { writeFileAtomically } from "./atomic.ts";
import { checkRegularFileSync, MAX_WAV_BYTES } from "./read_file.ts";

/** Sample encoding of a WAV file: integer PCM or IEEE float. */
export type WavEncoding = "pcm" | "float";

/** Bits per sample this module reads and writes (float is always 32). */
export type WavBitsPerSample = 16 | 24 | 32;

/** How the samples of a WAV file were stored. */
export interface WavFormat {
  /** `"pcm"` (two's-complement integers) or `"float"` (IEEE 754 binary32). */
  readonly encoding: WavEncoding;
  /** Container bits per sample: 16, 24 or 32 (float: 32). */
  readonly bitsPerSample: WavBitsPerSample;
  /** Whether the `fmt ` chunk used `WAVE_FORMAT_EXTENSIBLE` (0xFFFE). */
  readonly extensible: boolean;
}

/** A decoded WAV file: a {@linkcode Signal} plus the format it was stored in. */
export interface DecodedWav extends Signal {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** One array per channel, full scale ±1. */
  readonly channels: Float64Array[];
  /** The stored format. */
  readonly format: WavFormat;
}

/** Options of {@linkcode decodeWav}. */
export interface DecodeWavOptions {
  /** The file name to put in error messages (`readWav` passes the path). */
  readonly name?: string;
}

/** Options of {@linkcode encodeWav} and {@linkcode writeWav}. */
export interface EncodeWavOptions {
  /** Sample encoding. Default `"float"` (float32, lossless for measurement data). */
  readonly encoding?: WavEncoding;
  /**
   * Bits per sample: 16, 24 or 32 for `"pcm"` (default 16); only 32 for
   * `"float"` (the default).
   */
  readonly bitsPerSample?: WavBitsPerSample;
}

const TAG_PCM = 0x0001;
const TAG_FLOAT = 0x0003;
const TAG_EXTENSIBLE = 0xfffe;

/** Names of format tags people meet, for error messages [1, 2]. */
const TAG_NAMES: Readonly<Record<number, string>> = {
  0x0001: "PCM",
  0x0002: "Microsoft ADPCM",
  0x0003: "IEEE float",
  0x0006: "A-law",
  0x0007: "µ-law",
  0x0011: "IMA ADPCM",
  0x0031: "GSM 6.10",
  0x0050: "MPEG",
  0x0055: "MPEG layer 3",
  0xfffe: "WAVE_FORMAT_EXTENSIBLE",
};

/**
 * Bytes 2..15 of every `KSDATAFORMAT_SUBTYPE_*` GUID derived from a format
 * tag (`0000xxxx-0000-0010-8000-00aa00389b71`, stored little-endian); bytes
 * 0..1 hold the tag [2].
 */
const SUBTYPE_GUID_TAIL = [
  0x00,
  0x00,
  0x00,
  0x00,
  0x10,
  0x00,
  0x80,
  0x00,
  0x00,
  0xaa,
  0x00,
  0x38,
  0x9b,
  0x71,
] as const;

/**
 * Default `dwChannelMask` per channel count [2]: mono = front centre, stereo,
 * 3.0, quad, 5.0, 5.1, 6.1, 7.1. Other counts get 0 (no speaker positions).
 */
const CHANNEL_MASKS: Readonly<Record<number, number>> = {
  1: 0x4,
  2: 0x3,
  3: 0x7,
  4: 0x33,
  5: 0x37,
  6: 0x3f,
  7: 0x13f,
  8: 0x63f,
};

const SUPPORTED = "use PCM 16/24/32-bit or float32";

/**
 * Most channels a WAV file may have here: 256. The format allows 65535, but
 * no rig of this project records more than a few dozen (a harmonics file has
 * one channel per order up to 30), and each channel costs a typed array, so a
 * 4000-channel file of a few samples would take many times its size in memory.
 */
export const MAX_WAV_CHANNELS = 256;

/**
 * Largest magnitude of a float sample: 10 000 (+80 dBFS). Measurement audio
 * and filters stay within a few tens of full scale (+30 dBFS); a float far
 * beyond that is a corrupt file or one not scaled to full scale ±1, and would
 * otherwise be reported as "clipping" hundreds of dB above full scale.
 */
export const MAX_FLOAT_SAMPLE = 10_000;

type Fail = (field: string, value: unknown, reason: string) => never;

/** The {@linkcode Fail} of every WAV check: "Cannot read WAV "<name>" as <reason>". */
function wavFail(name: string | undefined): Fail {
  return (field, value, reason) => {
    throw new InputError(
      `Cannot read WAV${name === undefined ? "" : ` "${name}"`} as ${reason}`,
      { file: name, field, value },
    );
  };
}

/**
 * Check one chunk header of the walk: a printable id [1] (anything else means
 * the previous chunk's size is wrong) and a size that stays inside the RIFF
 * chunk and the file.
 */
function checkChunk(
  idBytes: Uint8Array,
  id: string,
  chunkSize: number,
  position: number,
  end: number,
  size: number,
  riffEnd: number,
  fail: Fail,
): void {
  const body = position + 8;
  if (!/^[\x20-\x7e]{4}$/.test(id)) {
    fail(
      "chunk id",
      Array.from(idBytes, (b) => b.toString(16).padStart(2, "0")).join(" "),
      `it is corrupt: byte ${position} should start a chunk but holds no chunk id (a preceding chunk's size is wrong, e.g. a "fmt " chunk of 0 bytes)`,
    );
  }
  if (chunkSize > size - body) {
    fail(
      `${id} chunk size`,
      chunkSize,
      `it is truncated: its "${id}" chunk at byte ${position} declares ${chunkSize} bytes but only ${
        size - body
      } remain`,
    );
  }
  if (chunkSize > end - body) {
    fail(
      "RIFF size",
      riffEnd - 8,
      `it is corrupt: its "${id}" chunk at byte ${position} declares ${chunkSize} bytes, beyond the end of the RIFF chunk at byte ${riffEnd}`,
    );
  }
}

/**
 * Check the end of the chunk walk: the chunks must tile the RIFF chunk (only
 * zero bytes may be left over, fewer than a chunk header), and the RIFF size
 * may not claim more than the file holds.
 *
 * @param rest The bytes from `position` to `end` (fewer than 8).
 */
function checkChunkTiling(
  rest: Uint8Array,
  position: number,
  end: number,
  riffEnd: number,
  size: number,
  fail: Fail,
): void {
  if (rest.some((b) => b !== 0)) {
    fail(
      "chunk id",
      end - position,
      `it is corrupt: ${
        end - position
      } stray bytes follow its last chunk at byte ${position} (a chunk's size is wrong)`,
    );
  }
  // A missing pad byte after an odd-sized last chunk is tolerated (the RIFF size counts it).
  const missingPad = position === riffEnd && riffEnd === size + 1;
  if (riffEnd > size && !missingPad) {
    fail(
      "RIFF size",
      riffEnd - 8,
      `it is truncated: its RIFF header declares ${riffEnd - 8} bytes but only ${
        size - 8
      } follow it`,
    );
  }
}

function hex4(value: number): string {
  return `0x${value.toString(16).toUpperCase().padStart(4, "0")}`;
}

function tagText(tag: number): string {
  const name = TAG_NAMES[tag];
  return name === undefined ? hex4(tag) : `${hex4(tag)} (${name})`;
}

function fourCc(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + 4));
}

function guidText(bytes: Uint8Array, offset: number): string {
  const h = (i: number) => (bytes[offset + i] as number).toString(16).padStart(2, "0");
  return `{${h(3)}${h(2)}${h(1)}${h(0)}-${h(5)}${h(4)}-${h(7)}${h(6)}-${h(8)}${h(9)}-${
    [10, 11, 12, 13, 14, 15].map(h).join("")
  }}`;
}

/**
 * Decode a WAV file held in memory.
 *
 * Reads `RIFF`/`WAVE` files with format tag 0x0001 (PCM 16/24/32-bit),
 * 0x0003 (float32) or 0xFFFE (`WAVE_FORMAT_EXTENSIBLE` with the PCM or
 * IEEE-float subformat GUID) and any channel count [1, 2]. Unknown chunks
 * (`LIST`, `fact`, `bext`, ...) are skipped, honouring the pad byte after
 * odd-sized chunks. Integer code `k` of a `b`-bit file becomes
 * `k / 2^(b-1)`, `b` being the container size (`wValidBitsPerSample` of an
 * extensible header is not used: unused low bits are zero). Scanning stops
 * at the first `data` chunk once a `fmt ` chunk has been seen, so chunks
 * after the samples are never looked at.
 *
 * @param bytes The whole file.
 * @param options `name` to put in error messages.
 * @returns Sample rate (Hz), planar `Float64Array` channels and the stored format.
 * @throws {InputError} for anything else — 8-bit PCM, float64, A-law,
 *   µ-law, ADPCM and other tags, RIFX/RF64, a file that is not RIFF/WAVE,
 *   zero channels or sample rate, an inconsistent block alignment, a missing
 *   `fmt `/`data` chunk, a truncated file, or a NaN/infinite float sample.
 *   The message names the file, the field, the value and the rule.
 *
 * @example
 * ```ts
 * import { decodeWav, encodeWav } from "./wav.ts";
 * const bytes = encodeWav({ sampleRate: 48000, channels: [new Float64Array([0, 0.5, -1])] });
 * const wav = decodeWav(bytes, { name: "memory.wav" });
 * console.log(wav.sampleRate, wav.format); // 48000 { encoding: "float", bitsPerSample: 32, extensible: true }
 * ```
 */
export function decodeWav(bytes: Uint8Array, options: DecodeWavOptions = {}): DecodedWav {
  const layout = parseWavHeader(bytes, options);
  return decodeSamples(bytes, layout.dataOffset, layout, options.name);
}

/** Where and how a WAV file's samples are stored (what {@linkcode parseWavHeader} found). */
interface WavLayout {
  readonly sampleRate: number;
  readonly channelCount: number;
  readonly encoding: WavEncoding;
  readonly bits: WavBitsPerSample;
  readonly extensible: boolean;
  readonly blockAlign: number;
  /** Byte offset of the `data` chunk's body in the file. */
  readonly dataOffset: number;
  /** Byte size of the `data` chunk's body. */
  readonly dataSize: number;
  /**
   * Where the chunk walk stopped because the bytes given were a prefix (a
   * file read in parts): the chunks from here to `walkEnd` are still to be
   * checked ({@linkcode walkTrailer}); undefined when the walk was complete.
   */
  readonly walkFrom: number | undefined;
  /** End of the walk: the RIFF chunk's end or the file's, whichever is first. */
  readonly walkEnd: number;
  /** The RIFF chunk's end as its header declares it. */
  readonly riffEnd: number;
}

/** Thrown by {@linkcode parseWavHeader} when the chunks it needs lie beyond the bytes it got. */
const NEED_MORE_BYTES = Symbol("need more bytes");

/**
 * Parse and check a WAV file's header (`RIFF`/`WAVE`, the chunk list up to the first `data`
 * chunk, the `fmt ` chunk); see {@linkcode decodeWav} for the rules.
 *
 * @param bytes The file, or a prefix of it when `options.fileSize` gives the whole size.
 * @throws {InputError} as decodeWav; `NEED_MORE_BYTES` when a prefix was too short.
 */
function parseWavHeader(
  bytes: Uint8Array,
  options: DecodeWavOptions & { readonly fileSize?: number } = {},
): WavLayout {
  const name = options.name;
  const fail: Fail = wavFail(name);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = options.fileSize ?? bytes.byteLength;
  checkRiffHeader(bytes, size, fail);
  const chunks = walkChunks(bytes, view, size, fail);
  const format = readFmtChunk(bytes, view, chunks.fmt, fail);
  checkDataChunk(view, chunks, format, fail);
  return {
    ...format,
    bits: format.bits as WavBitsPerSample,
    dataOffset: chunks.data.offset,
    dataSize: chunks.data.size,
    walkFrom: chunks.walkFrom,
    walkEnd: chunks.end,
    riffEnd: chunks.riffEnd,
  };
}

/** Stage 1 of {@linkcode parseWavHeader}: a little-endian `RIFF` chunk of form type `WAVE`. */
function checkRiffHeader(bytes: Uint8Array, size: number, fail: Fail): void {
  if (size < 12) {
    fail(
      "RIFF header",
      size,
      `it is truncated: it has ${size} bytes, a RIFF/WAVE header needs 12`,
    );
  }
  const riffId = fourCc(bytes, 0);
  if (riffId === "RIFX") {
    fail(
      "RIFF id",
      riffId,
      `it is a big-endian RIFX file: only little-endian RIFF/WAVE is supported`,
    );
  }
  if (riffId === "RF64" || riffId === "BW64") {
    fail("RIFF id", riffId, `it is an ${riffId} file: only RIFF/WAVE (up to 4 GiB) is supported`);
  }
  if (riffId !== "RIFF") {
    fail(
      "RIFF id",
      riffId,
      `it is not a RIFF/WAVE file: it starts with ${JSON.stringify(riffId)}, expected "RIFF"`,
    );
  }
  const formType = fourCc(bytes, 8);
  if (formType !== "WAVE") {
    fail(
      "RIFF form type",
      formType,
      `it is not a RIFF/WAVE file: its RIFF form type is ${
        JSON.stringify(formType)
      }, expected "WAVE"`,
    );
  }
}

/** Where one chunk's body lies in the file. */
interface ChunkPlace {
  readonly offset: number;
  readonly size: number;
}

/** What {@linkcode walkChunks} found: the chunks the reader needs and where the walk stopped. */
interface WavChunks {
  readonly fmt: ChunkPlace;
  readonly data: ChunkPlace;
  readonly fact: ChunkPlace | undefined;
  readonly riffEnd: number;
  readonly end: number;
  readonly walkFrom: number | undefined;
}

/**
 * Stage 2 of {@linkcode parseWavHeader}: walk every chunk of the RIFF chunk,
 * checking each size against the file and the next chunk, and note the first
 * `fmt `, `data` and `fact` chunks (both of the first two must be there).
 */
function walkChunks(bytes: Uint8Array, view: DataView, size: number, fail: Fail): WavChunks {
  let fmt: ChunkPlace | undefined;
  let data: ChunkPlace | undefined;
  let fact: ChunkPlace | undefined;
  // Every chunk is walked, also after "data", so that sizes are checked against the file and
  // each other: a data size too large by a few bytes swallows the next chunk's header and leaves
  // the walk on a byte that holds no chunk id. Bytes after the RIFF chunk (riffEnd) are ignored.
  const riffEnd = view.getUint32(4, true) + 8;
  const end = Math.min(size, riffEnd);
  let position = 12;
  let walkFrom: number | undefined;
  while (position + 8 <= end) {
    if (position + 8 > bytes.byteLength) {
      if (fmt === undefined || data === undefined) throw NEED_MORE_BYTES; // a prefix ends early
      walkFrom = position; // the rest is walked by the reader (walkTrailer)
      break;
    }
    const id = fourCc(bytes, position);
    const chunkSize = view.getUint32(position + 4, true);
    const body = position + 8;
    checkChunk(
      bytes.subarray(position, position + 4),
      id,
      chunkSize,
      position,
      end,
      size,
      riffEnd,
      fail,
    );
    if (id === "fmt " && fmt === undefined) fmt = { offset: body, size: chunkSize };
    if (id === "data" && data === undefined) data = { offset: body, size: chunkSize };
    if (id === "fact" && fact === undefined) fact = { offset: body, size: chunkSize };
    position = body + chunkSize + (chunkSize & 1); // RIFF pads odd chunks to even length [1]
  }
  if (walkFrom === undefined) {
    if (end > bytes.byteLength && position < end) walkFrom = position;
    else checkChunkTiling(bytes.subarray(position, end), position, end, riffEnd, size, fail);
  }
  if (fmt === undefined) {
    fail("fmt chunk", undefined, `it has no "fmt " chunk: a WAV file must describe its format`);
  }
  if (data === undefined) {
    fail("data chunk", undefined, `it has no "data" chunk: a WAV file must hold its samples`);
  }
  return { fmt, data, fact, riffEnd, end, walkFrom };
}

/** The sample format a `fmt ` chunk declares (checked by {@linkcode readFmtChunk}). */
interface WavFormatFields {
  readonly sampleRate: number;
  readonly channelCount: number;
  readonly encoding: WavEncoding;
  readonly bits: number;
  readonly extensible: boolean;
  readonly blockAlign: number;
}

/**
 * Stage 3 of {@linkcode parseWavHeader}: read the `fmt ` chunk (plain or
 * WAVE_FORMAT_EXTENSIBLE) and check that its sample format is one the reader
 * supports and agrees with itself.
 */
function readFmtChunk(
  bytes: Uint8Array,
  view: DataView,
  fmt: ChunkPlace,
  fail: Fail,
): WavFormatFields {
  if (fmt.offset + Math.min(fmt.size, 40) > bytes.byteLength) throw NEED_MORE_BYTES;
  if (fmt.size < 16) {
    fail(
      "fmt chunk size",
      fmt.size,
      `its "fmt " chunk has ${fmt.size} bytes: it needs at least 16`,
    );
  }

  const f = fmt.offset;
  const formatTag = view.getUint16(f, true);
  const channelCount = view.getUint16(f + 2, true);
  const sampleRate = view.getUint32(f + 4, true);
  const blockAlign = view.getUint16(f + 12, true);
  const bits = view.getUint16(f + 14, true);

  let tag = formatTag;
  const extensible = formatTag === TAG_EXTENSIBLE;
  if (extensible) {
    const cbSize = fmt.size >= 18 ? view.getUint16(f + 16, true) : 0;
    if (fmt.size < 40 || cbSize < 22) {
      fail(
        "fmt extension size",
        cbSize,
        `its WAVE_FORMAT_EXTENSIBLE "fmt " chunk is ${fmt.size} bytes with a ${cbSize}-byte extension: it needs 40 bytes with a 22-byte extension`,
      );
    }
    const guid = f + 24;
    const standard = SUBTYPE_GUID_TAIL.every((b, i) => bytes[guid + 2 + i] === b);
    if (!standard) {
      fail(
        "subformat",
        guidText(bytes, guid),
        `its WAVE_FORMAT_EXTENSIBLE subformat ${
          guidText(bytes, guid)
        } is not supported: ${SUPPORTED}`,
      );
    }
    const validBits = view.getUint16(f + 18, true);
    if (validBits > bits) {
      fail(
        "validBitsPerSample",
        validBits,
        `its valid bits per sample (${validBits}) exceed its container of ${bits} bits`,
      );
    }
    tag = view.getUint16(guid, true);
    if (tag !== TAG_PCM && tag !== TAG_FLOAT) {
      fail(
        "subformat",
        tag,
        `its WAVE_FORMAT_EXTENSIBLE subformat ${tagText(tag)} is not supported: ${SUPPORTED}`,
      );
    }
  } else if (tag !== TAG_PCM && tag !== TAG_FLOAT) {
    fail("format tag", tag, `its format tag ${tagText(tag)} is not supported: ${SUPPORTED}`);
  }

  const encoding = checkSampleFormat(tag, channelCount, sampleRate, blockAlign, bits, fail);
  return { sampleRate, channelCount, encoding, bits, extensible, blockAlign };
}

/**
 * Stage 3b of {@linkcode parseWavHeader}: the sample format is one the reader
 * supports (PCM 16/24/32, float 32), with 1..MAX_WAV_CHANNELS channels, a
 * positive rate and a block alignment that matches.
 *
 * @returns The encoding.
 */
function checkSampleFormat(
  tag: number,
  channelCount: number,
  sampleRate: number,
  blockAlign: number,
  bits: number,
  fail: Fail,
): WavEncoding {
  const encoding: WavEncoding = tag === TAG_FLOAT ? "float" : "pcm";
  if (encoding === "pcm" && bits !== 16 && bits !== 24 && bits !== 32) {
    fail(
      "bitsPerSample",
      bits,
      `its PCM sample size of ${bits} bits is not supported: ${SUPPORTED}`,
    );
  }
  if (encoding === "float" && bits !== 32) {
    fail(
      "bitsPerSample",
      bits,
      `its float sample size of ${bits} bits is not supported: ${SUPPORTED}`,
    );
  }
  if (channelCount === 0) {
    fail("channels", channelCount, `its channel count is 0: it must be at least 1`);
  }
  if (channelCount > MAX_WAV_CHANNELS) {
    fail(
      "channels",
      channelCount,
      `its channel count is ${channelCount}: at most ${MAX_WAV_CHANNELS} channels are read`,
    );
  }
  if (sampleRate === 0) {
    fail("sampleRate", sampleRate, `its sample rate is 0 Hz: it must be positive`);
  }
  const bytesPerSample = bits / 8;
  if (blockAlign !== channelCount * bytesPerSample) {
    fail(
      "blockAlign",
      blockAlign,
      `its block alignment is ${blockAlign} bytes: ${channelCount} channels of ${bits} bits need ${
        channelCount * bytesPerSample
      }`,
    );
  }
  return encoding;
}

/**
 * Stage 4 of {@linkcode parseWavHeader}: the `data` chunk holds whole frames,
 * as many as a float file's `fact` chunk says.
 */
function checkDataChunk(
  view: DataView,
  chunks: WavChunks,
  format: WavFormatFields,
  fail: Fail,
): void {
  const { data, fact } = chunks;
  const { blockAlign, encoding } = format;
  if (data.size % blockAlign !== 0) {
    fail(
      "data chunk size",
      data.size,
      `it is truncated: its "data" chunk of ${data.size} bytes is not a whole number of ${blockAlign}-byte frames`,
    );
  }

  const frames = data.size / blockAlign;
  if (fact !== undefined && fact.size >= 4 && encoding === "float") {
    const factFrames = view.getUint32(fact.offset, true);
    if (factFrames !== frames) {
      fail(
        "fact sample length",
        factFrames,
        `its chunk sizes disagree: the "fact" chunk says ${factFrames} frames, the "data" chunk holds ${frames}`,
      );
    }
  }
}

/**
 * Convert the samples of a parsed WAV file to planar `Float64Array` channels.
 *
 * @param bytes Holds the `data` chunk's body from byte `offset` on.
 * @param offset Where the body starts in `bytes`.
 * @param layout What {@linkcode parseWavHeader} found.
 * @param name File name for error messages.
 */
function decodeSamples(
  bytes: Uint8Array,
  offset: number,
  layout: WavLayout,
  name: string | undefined,
): DecodedWav {
  const frames = layout.dataSize / layout.blockAlign;
  const channels = Array.from({ length: layout.channelCount }, () => new Float64Array(frames));
  decodeFrames(bytes, offset, frames, layout, channels, 0, name);
  return decoded(layout, channels);
}

function decoded<T extends Float32Array | Float64Array>(
  layout: WavLayout,
  channels: T[],
): { sampleRate: number; channels: T[]; format: WavFormat } {
  const { sampleRate, encoding, bits, extensible } = layout;
  return { sampleRate, channels, format: { encoding, bitsPerSample: bits, extensible } };
}

/**
 * Convert `frames` interleaved frames held in `bytes` from byte `offset` on into
 * `channels[c][start + i]`.
 */
function decodeFrames(
  bytes: Uint8Array,
  offset: number,
  frames: number,
  layout: WavLayout,
  channels: (Float32Array | Float64Array)[],
  start: number,
  name: string | undefined,
): void {
  const { channelCount, encoding, bits, blockAlign } = layout;
  const fail: Fail = wavFail(name);
  const notFinite = (c: number, i: number, v: number): never =>
    fail(
      `channel ${c} sample ${start + i}`,
      v,
      `channel ${c} sample ${
        start + i
      } is ${v}: float samples must be finite and within ±${MAX_FLOAT_SAMPLE} (+80 dBFS)`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bytesPerSample = bits / 8;
  // Little-endian float32 at a 4-byte aligned address: read through a Float32Array view.
  const floats = encoding === "float" && LITTLE_ENDIAN && (bytes.byteOffset + offset) % 4 === 0
    ? new Float32Array(bytes.buffer, bytes.byteOffset + offset, frames * channelCount)
    : undefined;
  for (let c = 0; c < channelCount; c++) {
    const out = channels[c]!;
    if (floats !== undefined) {
      for (let i = 0, j = c, o = start; i < frames; i++, j += channelCount, o++) {
        const v = floats[j]!;
        if (!(v <= MAX_FLOAT_SAMPLE && v >= -MAX_FLOAT_SAMPLE)) notFinite(c, i, v); // also NaN
        out[o] = v;
      }
      continue;
    }
    let p = offset + c * bytesPerSample;
    if (encoding === "float") {
      for (let i = 0; i < frames; i++, p += blockAlign) {
        const v = view.getFloat32(p, true);
        if (!(v <= MAX_FLOAT_SAMPLE && v >= -MAX_FLOAT_SAMPLE)) notFinite(c, i, v); // also NaN
        out[start + i] = v;
      }
    } else if (bits === 16) {
      for (let i = 0; i < frames; i++, p += blockAlign) {
        out[start + i] = view.getInt16(p, true) / 32768;
      }
    } else if (bits === 24) {
      for (let i = 0; i < frames; i++, p += blockAlign) {
        const u = (bytes[p] as number) | ((bytes[p + 1] as number) << 8) |
          ((bytes[p + 2] as number) << 16);
        out[start + i] = ((u << 8) >> 8) / 8388608; // sign-extend 24 → 32 bits
      }
    } else {
      for (let i = 0; i < frames; i++, p += blockAlign) {
        out[start + i] = view.getInt32(p, true) / 2147483648;
      }
    }
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Encode a signal as a WAV file in memory.
 *
 * `WAVE_FORMAT_EXTENSIBLE` is used when there are more than 2 channels, or
 * for PCM deeper than 16 bits, as [2] requires; mono and stereo float32 (the
 * default) is written as `WAVE_FORMAT_IEEE_FLOAT` with an 18-byte `fmt `
 * chunk, as sox writes it (sox warns on extensible mono float). Every file that is not
 * plain `WAVE_FORMAT_PCM` gets a `fact` chunk holding the frame count [1, 3]
 * (sox does the same). The channel mask is the usual layout for 1–8 channels
 * (mono 0x4, stereo 0x3, ... 7.1 0x63F) and 0 beyond.
 *
 * PCM conversion: `k = round(x · 2^(b-1))` (halves away from zero), clipped
 * to `[-2^(b-1), 2^(b-1) - 1]`; clipping is silent, the caller decides
 * whether it matters (e.g. with `peakAmplitude`).
 *
 * @param signal Sample rate (a positive integer number of Hz, < 2^32) and
 *   1..65535 channels of equal length with finite samples.
 * @param options `encoding` (`"float"` default, or `"pcm"`) and `bitsPerSample`
 *   (float: 32; PCM: 16 default, 24 or 32).
 * @returns The file's bytes.
 * @throws {RangeError} for an unsupported encoding/bit depth, a non-integer or
 *   non-positive sample rate, no channels, unequal channel lengths, a sample
 *   that is NaN/∞ (or beyond the float32 range), or a file over 4 GiB.
 *
 * @example
 * ```ts
 * import { encodeWav } from "./wav.ts";
 * const bytes = encodeWav(
 *   { sampleRate: 48000, channels: [new Float64Array(480), new Float64Array(480)] },
 *   { encoding: "pcm", bitsPerSample: 24 },
 * );
 * console.log(bytes.length); // 80-byte header + 480 frames × 6 bytes
 * ```
 */
export function encodeWav(signal: Signal, options: EncodeWavOptions = {}): Uint8Array {
  const encoding = options.encoding ?? "float";
  if (encoding !== "float" && encoding !== "pcm") {
    throw new RangeError(
      `Cannot write WAV as encoding must be "float" or "pcm": current value is ${
        JSON.stringify(encoding)
      }`,
    );
  }
  const bits = options.bitsPerSample ?? (encoding === "float" ? 32 : 16);
  if (encoding === "float" && bits !== 32) {
    throw new RangeError(
      `Cannot write WAV as bitsPerSample must be 32 for float encoding: current value is ${bits}`,
    );
  }
  if (encoding === "pcm" && bits !== 16 && bits !== 24 && bits !== 32) {
    throw new RangeError(
      `Cannot write WAV as bitsPerSample must be 16, 24 or 32 for PCM encoding: current value is ${bits}`,
    );
  }
  const { sampleRate, channels } = signal;
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > 0xffffffff) {
    throw new RangeError(
      `Cannot write WAV as sampleRate must be a positive integer number of Hz below 2^32: current value is ${sampleRate}`,
    );
  }
  const channelCount = channels.length;
  if (channelCount < 1 || channelCount > 0xffff) {
    throw new RangeError(
      `Cannot write WAV as the signal must have 1 to 65535 channels: current value is ${channelCount}`,
    );
  }
  const frames = channels[0]!.length;
  channels.forEach((channel, c) => {
    if (channel.length !== frames) {
      throw new RangeError(
        `Cannot write WAV as every channel must have the same length: channel 0 has ${frames} samples, channel ${c} has ${channel.length}`,
      );
    }
  });

  const bytesPerSample = bits / 8;
  const blockAlign = channelCount * bytesPerSample;
  const extensible = channelCount > 2 || (encoding === "pcm" && bits > 16); // [2]
  // A non-PCM tag needs the 2-byte cbSize field (= 0) after the 16 basic bytes [1].
  const fmtSize = extensible ? 40 : encoding === "float" ? 18 : 16;
  const hasFact = extensible || encoding === "float"; // every tag but WAVE_FORMAT_PCM [1, 3]
  const dataSize = frames * blockAlign;
  const pad = dataSize & 1;
  const headerSize = 12 + 8 + fmtSize + (hasFact ? 12 : 0) + 8;
  const total = headerSize + dataSize + pad;
  if (total - 8 > 0xffffffff) {
    throw new RangeError(
      `Cannot write WAV as the file would be ${total} bytes: RIFF/WAVE holds at most 4 GiB (2^32 - 1 bytes after the header)`,
    );
  }

  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < 4; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  ascii(0, "RIFF");
  view.setUint32(4, total - 8, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, fmtSize, true);
  const tag = encoding === "float" ? TAG_FLOAT : TAG_PCM;
  view.setUint16(20, extensible ? TAG_EXTENSIBLE : tag, true);
  view.setUint16(22, channelCount, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true); // byte rate; wraps harmlessly above 4 GB/s
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bits, true);
  let p = 36;
  if (extensible) {
    view.setUint16(36, 22, true); // cbSize
    view.setUint16(38, bits, true); // wValidBitsPerSample
    view.setUint32(40, CHANNEL_MASKS[channelCount] ?? 0, true);
    view.setUint16(44, tag, true); // subformat GUID [2]
    bytes.set(SUBTYPE_GUID_TAIL, 46);
    p = 60;
  } else if (fmtSize === 18) {
    view.setUint16(36, 0, true); // cbSize
    p = 38;
  }
  if (hasFact) {
    ascii(p, "fact");
    view.setUint32(p + 4, 4, true);
    view.setUint32(p + 8, frames, true);
    p += 12;
  }
  ascii(p, "data");
  view.setUint32(p + 4, dataSize, true);
  const start = p + 8;

  const notFinite = (c: number, i: number, x: number, rule: string): never => {
    throw new RangeError(
      `Cannot write WAV as samples must be ${rule}: channel ${c} sample ${i} is ${x}`,
    );
  };
  for (let c = 0; c < channelCount; c++) {
    const channel = channels[c]!;
    let q = start + c * bytesPerSample;
    if (encoding === "float") {
      for (let i = 0; i < frames; i++, q += blockAlign) {
        const x = channel[i] as number;
        const v = Math.fround(x);
        if (v - v !== 0) notFinite(c, i, x, "finite and within the float32 range");
        view.setFloat32(q, v, true);
      }
      continue;
    }
    const scale = 2 ** (bits - 1);
    const code = (i: number): number => {
      const x = channel[i] as number;
      if (x - x !== 0) notFinite(c, i, x, "finite");
      const y = x * scale;
      let k = Math.round(y); // halves go up: move negative halves down, away from zero
      if (y < 0 && k - y === 0.5) k -= 1;
      return (k >= scale ? scale - 1 : k < -scale ? -scale : k) | 0; // silent clipping
    };
    if (bits === 16) {
      for (let i = 0; i < frames; i++, q += blockAlign) view.setInt16(q, code(i), true);
    } else if (bits === 32) {
      for (let i = 0; i < frames; i++, q += blockAlign) view.setInt32(q, code(i), true);
    } else {
      for (let i = 0; i < frames; i++, q += blockAlign) {
        const k = code(i);
        bytes[q] = k & 0xff;
        bytes[q + 1] = (k >> 8) & 0xff;
        bytes[q + 2] = (k >> 16) & 0xff;
      }
    }
  }
  return bytes;
}

/**
 * Read a WAV file from disk: {@linkcode decodeWav} with the path as the name.
 *
 * @param path File path.
 * @returns The decoded file.
 * @throws {InputError} if the file does not exist or is a folder (field
 *   `"path"`), or is not a supported WAV file.
 *
 * @example
 * ```ts ignore
 * import { readWav } from "./wav.ts";
 * const { sampleRate, channels } = await readWav("ir/mid-left.ear-left.az+000.el+00.r2.00.wav");
 * ```
 */
export function readWav(path: string): Promise<DecodedWav> {
  try {
    return Promise.resolve(readWavSync(path));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Bytes read first: the header of any ordinary WAV file, and all of a short one. */
const HEADER_BYTES = 64 * 1024;

/** Bytes of samples read per `readSync` of a longer file (stays in the CPU cache). */
const BLOCK_BYTES = 512 * 1024;

/**
 * One read buffer for every file this process reads, grown when needed: reading a file
 * touches no fresh memory but its channels' (a page fault costs ~6.6 µs here, see
 * `tests/bench/wav_bench.ts`).
 */
let readBuffer = new Uint8Array(HEADER_BYTES);

/**
 * {@linkcode readWav}, synchronously: the header is read into a reused buffer, then the `data`
 * chunk block by block (512 kB `readSync`s into the same buffer, no copy of the file), each
 * block's samples converted straight into the channels (float32 through a `Float32Array` view).
 *
 * @param path File path.
 * @returns The decoded file.
 * @throws {InputError} as {@linkcode readWav}.
 */
export function readWavSync(path: string): DecodedWav {
  return readWavFile(path, false) as DecodedWav;
}

/** A decoded WAV file whose channels may be `Float32Array`s (see {@linkcode readWavCompact}). */
export interface CompactWav {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** One array per channel, full scale ±1. */
  readonly channels: (Float32Array | Float64Array)[];
  /** The stored format. */
  readonly format: WavFormat;
}

/**
 * {@linkcode readWavSync} into half the memory: channels are `Float32Array`s when float32
 * holds every sample exactly (float32, PCM 16 and 24-bit files), `Float64Array`s for 32-bit
 * PCM. For long multichannel recordings (`deno task deconvolve`), where touching fresh memory
 * costs as much as the arithmetic.
 *
 * @param path File path.
 * @throws {InputError} as {@linkcode readWav}.
 */
export function readWavCompact(path: string): CompactWav {
  return readWavFile(path, true);
}

function readWavFile(path: string, compact: boolean): CompactWav {
  // Only a regular file is opened: opening a FIFO blocks until a writer comes, /dev/zero never
  // ends (checked again on the opened file, in case it was swapped in between).
  checkRegularFileSync(path, { what: "WAV", maxBytes: MAX_WAV_BYTES });
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (error) {
    throw notReadable(path, error);
  }
  try {
    const info = file.statSync();
    if (info.isDirectory) throw notReadable(path, new Deno.errors.IsADirectory(path));
    if (!info.isFile) {
      throw new InputError(
        `Cannot read WAV "${path}" as it is ${
          info.isFifo
            ? "a FIFO (named pipe)"
            : info.isCharDevice
            ? "a character device"
            : info.isBlockDevice
            ? "a block device"
            : info.isSocket
            ? "a socket"
            : "not a regular file"
        }, not a regular file`,
        { file: path, field: "path", value: path },
      );
    }
    const fileSize = info.size;
    if (fileSize > MAX_WAV_BYTES) {
      throw new InputError(
        `Cannot read WAV "${path}" as it is too large: it has ${fileSize} bytes, a WAV file may have at most ${MAX_WAV_BYTES}`,
        { file: path, field: "size", value: fileSize },
      );
    }
    const head = readFully(file, 0, Math.min(fileSize, HEADER_BYTES), path);
    let layout: WavLayout;
    try {
      layout = parseWavHeader(head, { name: path, fileSize });
    } catch (error) {
      if (error !== NEED_MORE_BYTES) throw error;
      // Chunks before the samples larger than HEADER_BYTES (or `fmt ` after `data`): whole file.
      const whole = readFully(file, 0, fileSize, path);
      layout = parseWavHeader(whole, { name: path });
      const all = Array.from(
        { length: layout.channelCount },
        () => new Float64Array(layout.dataSize / layout.blockAlign),
      );
      decodeFrames(whole, layout.dataOffset, all[0]!.length, layout, all, 0, path);
      return decoded(layout, all);
    }
    walkTrailer(file, layout, fileSize, path);
    const frames = layout.dataSize / layout.blockAlign;
    const float32 = compact && (layout.encoding === "float" || layout.bits !== 32);
    const channels = Array.from(
      { length: layout.channelCount },
      () => float32 ? new Float32Array(frames) : new Float64Array(frames),
    );
    if (layout.dataOffset + layout.dataSize <= head.byteLength) {
      decodeFrames(head, layout.dataOffset, frames, layout, channels, 0, path);
      return decoded(layout, channels);
    }
    // The samples block by block through the one reused buffer, straight into the channels.
    const blockFrames = Math.max(1, Math.floor(BLOCK_BYTES / layout.blockAlign));
    for (let start = 0; start < frames; start += blockFrames) {
      const count = Math.min(blockFrames, frames - start);
      const position = layout.dataOffset + start * layout.blockAlign;
      const block = readFully(file, position, count * layout.blockAlign, path);
      decodeFrames(block, 0, count, layout, channels, start, path);
    }
    return decoded(layout, channels);
  } finally {
    file.close();
  }
}

/**
 * Finish the chunk walk of a file whose header was read as a prefix: the
 * chunk headers after it (after `data`, usually none) are read one by one,
 * their bodies skipped, with the rules of the in-memory walk.
 */
function walkTrailer(file: Deno.FsFile, layout: WavLayout, size: number, path: string): void {
  if (layout.walkFrom === undefined) return;
  const fail: Fail = wavFail(path);
  const { walkEnd: end, riffEnd } = layout;
  let position = layout.walkFrom;
  while (position + 8 <= end) {
    const header = readFully(file, position, 8, path);
    const id = fourCc(header, 0);
    const chunkSize = new DataView(header.buffer, header.byteOffset, 8).getUint32(4, true);
    checkChunk(header.subarray(0, 4), id, chunkSize, position, end, size, riffEnd, fail);
    position += 8 + chunkSize + (chunkSize & 1);
  }
  const rest = position < end
    ? readFully(file, position, end - position, path).slice()
    : new Uint8Array(0);
  checkChunkTiling(rest, position, end, riffEnd, size, fail);
}

/** Read `length` bytes at `position` into the reused buffer; a view of them. */
function readFully(file: Deno.FsFile, position: number, length: number, path: string): Uint8Array {
  if (readBuffer.byteLength < length) {
    readBuffer = new Uint8Array(Math.max(length, 2 * readBuffer.byteLength));
  }
  const view = readBuffer.subarray(0, length);
  file.seekSync(position, Deno.SeekMode.Start);
  let done = 0;
  while (done < length) {
    const n = file.readSync(view.subarray(done));
    if (n === null || n === 0) {
      throw new InputError(
        `Cannot read WAV "${path}" as it is truncated: it ended after ${position + done} bytes, ${
          position + length
        } expected`,
        { file: path, field: "file size", value: position + done },
      );
    }
    done += n;
  }
  return view;
}

function notReadable(path: string, error: unknown): unknown {
  if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.IsADirectory) {
    const reason = error instanceof Deno.errors.NotFound
      ? "the file does not exist"
      : "it is a folder";
    return new InputError(`Cannot read WAV "${path}" as ${reason}`, {
      file: path,
      field: "path",
      value: path,
      cause: error,
    });
  }
  return error;
}

/**
 * Write a signal as a WAV file, atomically (a temporary sibling renamed into
 * place; an existing file is replaced). See {@linkcode encodeWav} for the
 * format and options; the parent folder must exist.
 *
 * @param path File path.
 * @param signal The signal to write.
 * @param options Encoding and bit depth (default float32).
 *
 * @example
 * ```ts
 * import { readWav, writeWav } from "./wav.ts";
 * const dir = await Deno.makeTempDir();
 * await writeWav(`${dir}/a.wav`, { sampleRate: 48000, channels: [new Float64Array([0.25])] });
 * console.log((await readWav(`${dir}/a.wav`)).channels[0]); // Float64Array [0.25]
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeWav(
  path: string,
  signal: Signal,
  options: EncodeWavOptions = {},
): Promise<void> {
  await writeFileAtomically(path, encodeWav(signal, options));
}
