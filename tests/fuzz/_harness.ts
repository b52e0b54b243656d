/**
 * A seeded fuzz harness for every file the tools read (issue 13, Build 8):
 * WAV files, measurement sets (manifest + IRs), filter bundles, limits and
 * rig files, plus special files (FIFOs, link loops, links to `/dev/zero`,
 * folders, empty files) put where a file is expected.
 *
 * Each case mutates a valid file made at the start (by the real commands and
 * by sox), then hands it to the library reader in-process (fast) or, for a
 * sample of cases, to the command that reads it (slow: one process each),
 * run through a small Python wrapper that reports the exit code, the wall
 * time and the child's peak RSS (`getrusage(RUSAGE_CHILDREN).ru_maxrss`).
 *
 * A case passes when the input is accepted, or refused as bad input
 * (`InputError`, `RangeError`, `TypeError` in-process; exit 2 for a command)
 * with a message that names the mutated file (or its folder); and, for
 * commands, no exit 3, no hang (killed at 30 s), nothing written at the
 * output path on exit 2, and a peak RSS below the command's RSS on the valid
 * input (+15 % for the runtime's own variation) plus 10× the mutated input's
 * size. Library readers run in a Web Worker, stopped at 30 s, so that a
 * reader that blocks (a FIFO) is reported as a hang instead of stopping the run.
 *
 * Mutations of limits and bundles are re-hashed half of the time, so that
 * edits get past the content hash to the field checks behind it.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { readWav } from "../../io/wav.ts";
import { encodeWav } from "../../io/wav.ts";
import { InputError } from "../../io/errors.ts";
import { readMeasurementSet } from "../../io/manifest.ts";
import { bundleContentSha256, readBundle } from "../../calibrate/bundle.ts";
import { limitsContentSha256, readLimits } from "../../calibrate/limits.ts";
import { readRigFile } from "../../measure/rig.ts";
import { sha256Hex } from "../../io/atomic.ts";

/** The kinds of input the harness mutates. */
export const FUZZ_KINDS = ["wav", "manifest", "bundle", "limits", "rig", "special"] as const;
export type FuzzKind = typeof FUZZ_KINDS[number];

/** A deterministic generator (mulberry32): the same seed gives the same cases. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
const int = (rng: Rng, n: number) => Math.floor(rng() * n);

/** The valid inputs every case starts from, made once per run. */
export interface Corpus {
  readonly root: string;
  /** Valid WAV files (our writer in several formats, and sox's). */
  readonly wavs: readonly string[];
  /** A measurement set (simulated soundbar2, binaural, with harmonics and recordings). */
  readonly set: string;
  /** A filter bundle fitted to that set. */
  readonly bundle: string;
  /** Limits made by line-sim from 3 simulated golden units. */
  readonly limits: string;
  /** A rig file (the CI JACK rig). */
  readonly rig: string;
  /** A stereo 48 kHz WAV (the render input) and a sweep's json + wav. */
  readonly stereo: string;
}

/** Run a command of `cli/` and fail unless it exits 0. */
async function mustRun(script: string, args: string[]): Promise<void> {
  const url = new URL(`../../cli/${script}`, import.meta.url);
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", url.pathname, ...args],
    env,
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (r.code !== 0) {
    throw new Error(`${script} ${args.join(" ")} failed: ${new TextDecoder().decode(r.stderr)}`);
  }
}

/** Make the valid corpus in `root` (a few seconds: a set, a fit, a line-sim of 3 golden units). */
export async function makeCorpus(root: string): Promise<Corpus> {
  await Deno.mkdir(join(root, "base"), { recursive: true });
  const base = join(root, "base");
  const tone = (channels: number, frames: number) => ({
    sampleRate: 48000,
    channels: Array.from(
      { length: channels },
      (_, c) => Float64Array.from({ length: frames }, (_, i) => 0.5 * Math.sin(0.05 * (c + 1) * i)),
    ),
  });
  const wavs: string[] = [];
  const formats = [
    ["float-mono.wav", 1, { encoding: "float" }],
    ["pcm16-stereo.wav", 2, { encoding: "pcm", bitsPerSample: 16 }],
    ["pcm24-3ch.wav", 3, { encoding: "pcm", bitsPerSample: 24 }],
    ["pcm32-mono.wav", 1, { encoding: "pcm", bitsPerSample: 32 }],
  ] as const;
  for (const [name, channels, options] of formats) {
    const path = join(base, name);
    await Deno.writeFile(path, encodeWav(tone(channels, 480), options));
    wavs.push(path);
  }
  // A file from another tool (sox), with its own header layout.
  const soxWav = join(base, "sox-24.wav");
  const sox = await new Deno.Command("sox", {
    args: ["-n", "-r", "44100", "-c", "2", "-b", "24", soxWav, "synth", "0.01", "sine", "1000"],
  }).output().catch(() => undefined);
  if (sox?.success) wavs.push(soxWav);
  const stereo = join(base, "pcm16-stereo.wav");
  const set = join(base, "set");
  await mustRun("measure.ts", [
    "--device",
    "sim:soundbar2",
    "--serial",
    "FZ-1",
    "--mic",
    "binaural",
    "--duration-seconds",
    "0.5",
    "--keep-harmonics",
    "--keep-recordings",
    "--out",
    set,
  ]);
  const bundle = join(base, "bundle");
  await mustRun("fit.ts", ["--in", set, "--out", bundle, "--beamformer", "none", "--taps", "512"]);
  const limits = join(base, "limits.json");
  await mustRun("line_sim.ts", [
    "--units",
    "1",
    "--defect-rate",
    "0",
    "--seed",
    "3",
    "--model",
    "soundbar2",
    "--golden-units",
    "3",
    "--limits-out",
    limits,
  ]);
  const rig = join(base, "rig.json");
  await Deno.copyFile(new URL("../../fixtures/jack/rig.json", import.meta.url), rig);
  return { root, wavs, set, bundle, limits, rig, stereo };
}

// ---- mutators ----

const U32_VALUES = [0, 1, 2, 3, 7, 0x7f, 0xff, 0x100, 0x7fff, 0xffff, 0x10000, 4000, 0x7fffffff];
const U32_EXTREMES = [0x80000000, 0xfffffffe, 0xffffffff];

/** Offsets of the header fields of a WAV file: RIFF size, each chunk's size and the fmt fields. */
function wavFieldOffsets(bytes: Uint8Array): { offset: number; width: 2 | 4 }[] {
  const fields: { offset: number; width: 2 | 4 }[] = [{ offset: 4, width: 4 }];
  let p = 12;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while (p + 8 <= bytes.length && fields.length < 64) {
    fields.push({ offset: p + 4, width: 4 });
    const id = String.fromCharCode(...bytes.subarray(p, p + 4));
    if (id === "fmt ") {
      for (const [o, w] of [[0, 2], [2, 2], [4, 4], [8, 4], [12, 2], [14, 2], [16, 2], [18, 2]]) {
        fields.push({ offset: p + 8 + o!, width: w as 2 | 4 });
      }
    }
    if (id === "fact") fields.push({ offset: p + 8, width: 4 });
    const size = view.getUint32(p + 4, true);
    p += 8 + size + (size & 1);
  }
  return fields.filter((f) => f.offset + f.width <= bytes.length);
}

/** A mutated copy of a WAV file's bytes and a word on what was done. */
export function mutateWav(source: Uint8Array, rng: Rng): { bytes: Uint8Array; mutation: string } {
  const bytes = new Uint8Array(source);
  const view = new DataView(bytes.buffer);
  const fields = wavFieldOffsets(bytes);
  switch (int(rng, 8)) {
    case 0:
    case 1: { // a header field set to an interesting value
      const f = pick(rng, fields);
      const values = [
        ...U32_VALUES,
        ...(f.width === 4 ? U32_EXTREMES : []),
        bytes.length,
        bytes.length - 8,
        view.getUint32(Math.min(f.offset, bytes.length - 4), true) + pick(rng, [-2, -1, 1, 2, 4]),
      ];
      const v = pick(rng, values) >>> 0;
      if (f.width === 2) view.setUint16(f.offset, v & 0xffff, true);
      else view.setUint32(f.offset, v, true);
      return { bytes, mutation: `field@${f.offset}=${v}` };
    }
    case 2: { // random bytes flipped, mostly in the header
      const n = 1 + int(rng, 8);
      for (let i = 0; i < n; i++) {
        const p = rng() < 0.7 ? int(rng, Math.min(80, bytes.length)) : int(rng, bytes.length);
        bytes[p] = bytes[p]! ^ (1 << int(rng, 8));
      }
      return { bytes, mutation: `flip×${n}` };
    }
    case 3: { // truncated
      const n = int(rng, bytes.length);
      return { bytes: bytes.slice(0, n), mutation: `truncate@${n}` };
    }
    case 4: { // junk or a chunk appended (RIFF size unchanged or updated)
      const junk = Uint8Array.from({ length: 1 + int(rng, 40) }, () => int(rng, 256));
      const out = new Uint8Array(bytes.length + junk.length);
      out.set(bytes);
      out.set(junk, bytes.length);
      if (rng() < 0.5) new DataView(out.buffer).setUint32(4, out.length - 8, true);
      return { bytes: out, mutation: `append ${junk.length}` };
    }
    case 5: { // a float sample poked to an extreme (meaningful for float data)
      const p = 44 + 4 * int(rng, Math.max(1, (bytes.length - 48) >> 2));
      const v = pick(rng, [3e38, -3e38, NaN, Infinity, -Infinity, 1e-45, 1e5, -0]);
      if (p + 4 <= bytes.length) view.setFloat32(p, v, true);
      return { bytes, mutation: `float@${p}=${v}` };
    }
    case 6: { // bytes inserted in the middle (shifts every later chunk)
      const at = int(rng, bytes.length);
      const n = 1 + int(rng, 6);
      const out = new Uint8Array(bytes.length + n);
      out.set(bytes.subarray(0, at));
      out.set(bytes.subarray(at), at + n);
      return { bytes: out, mutation: `insert ${n}@${at}` };
    }
    default: { // the channel count and block alignment made large together
      const fmt = fields.find((f) => f.width === 2);
      if (fmt !== undefined && fmt.offset + 12 <= bytes.length) {
        const channels = pick(rng, [300, 4000, 65535]);
        view.setUint16(fmt.offset + 2, channels, true);
        view.setUint16(fmt.offset + 12, (channels * 2) & 0xffff, true);
        return { bytes, mutation: `channels=${channels}` };
      }
      return { bytes, mutation: "none" };
    }
  }
}

/** Every path into a JSON value (object keys and array indices), at most `limit` of them. */
function jsonPaths(value: unknown, limit = 4000): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    if (out.length >= limit) return;
    out.push(path);
    if (Array.isArray(v)) {
      // Long number arrays (reference IRs): a few indices are enough.
      const n = v.length;
      const indices = n > 8 ? [0, 1, n >> 1, n - 1] : v.map((_, i) => i);
      for (const i of indices) walk(v[i], [...path, i]);
    } else if (v && typeof v === "object") {
      for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], [...path, k]);
    }
  };
  walk(value, []);
  return out;
}

const STRANGE_VALUES: unknown[] = [
  null,
  0,
  -1,
  0.5,
  1e12,
  -1e12,
  1e308,
  -1e308,
  2 ** 53,
  "",
  "x",
  "a".repeat(300),
  "../../../etc/passwd",
  "/dev/zero",
  "ir/../../outside.wav",
  "NaN",
  "Infinity",
  [],
  {},
  [1, 2, 3],
  true,
];

function deepNest(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** A mutated JSON text: a structural edit of the parsed value, or a textual one. */
export function mutateJson(text: string, rng: Rng): { text: string; mutation: string } {
  const r = rng();
  if (r < 0.15) { // textual
    switch (int(rng, 4)) {
      case 0: {
        const n = int(rng, text.length);
        return { text: text.slice(0, n), mutation: `truncate@${n}` };
      }
      case 1:
        return { text: "[".repeat(4000) + "]".repeat(4000), mutation: "nest 4000" };
      case 2: {
        const at = int(rng, text.length);
        return {
          text: text.slice(0, at) + pick(rng, ["{", "]", '"', "\\", "\u0000"]) + text.slice(at),
          mutation: `insert@${at}`,
        };
      }
      default:
        return { text: "\uFEFF" + text, mutation: "BOM" };
    }
  }
  const value = JSON.parse(text);
  const paths = jsonPaths(value).filter((p) => p.length > 0);
  const path = pick(rng, paths);
  const parent = path.slice(0, -1).reduce((o: any, k) => o[k], value) as any;
  const key = path[path.length - 1]!;
  const op = int(rng, 6);
  let mutation: string;
  if (op === 0 && !Array.isArray(parent)) {
    delete parent[key];
    mutation = `delete ${path.join(".")}`;
  } else if (op === 1 && Array.isArray(parent[key]) && parent[key].length > 0) {
    parent[key].push(structuredClone(parent[key][0])); // a duplicate entry
    mutation = `duplicate ${path.join(".")}[0]`;
  } else if (op === 2) {
    parent[key] = deepNest(pick(rng, [50, 70, 200]));
    mutation = `nest ${path.join(".")}`;
  } else if (op === 3 && typeof parent[key] === "number") {
    parent[key] = parent[key] * pick(rng, [-1, 0, 1e6, 1e-6, 1e300]) + pick(rng, [0, 0.5]);
    mutation = `scale ${path.join(".")}`;
  } else if (op === 4 && Array.isArray(parent[key])) {
    parent[key] = pick(rng, [[], Array.from({ length: 20000 }, () => 0)]);
    mutation = `array ${path.join(".")}`;
  } else {
    const v = pick(rng, STRANGE_VALUES);
    parent[key] = structuredClone(v);
    mutation = `set ${path.join(".")}=${JSON.stringify(v)?.slice(0, 30)}`;
  }
  return { text: JSON.stringify(value, null, 1), mutation };
}

// ---- cases ----

/** One generated case: what was mutated, where it lies and what reads it. */
export interface FuzzCase {
  readonly index: number;
  readonly kind: FuzzKind;
  readonly mutation: string;
  /** The mutated file or folder handed to the reader. */
  readonly target: string;
  /** The file whose name a refusal must mention (or its folder). */
  readonly named: readonly string[];
  /** Size in bytes of the mutated input (for the memory bound). */
  readonly inputBytes: number;
}

/** Copy a folder: folders and regular files copied, links re-made, FIFOs and devices skipped. */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    const [src, dst] = [join(from, e.name), join(to, e.name)];
    if (e.isDirectory) await copyTree(src, dst);
    else if (e.isSymlink) await Deno.symlink(await Deno.readLink(src), dst);
    else if (e.isFile) await Deno.copyFile(src, dst);
  }
}

async function treeBytes(path: string): Promise<number> {
  const info = await Deno.lstat(path);
  if (!info.isDirectory) return info.isFile ? info.size : 0;
  let total = 0;
  for await (const e of Deno.readDir(path)) total += await treeBytes(join(path, e.name));
  return total;
}

/** Files of a folder, relative. */
async function filesOf(folder: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(folder, rel))) {
    const p = join(rel, e.name);
    if (e.isDirectory) out.push(...await filesOf(folder, p));
    else out.push(p);
  }
  return out.sort();
}

/** Re-hash a bundle's file table and content after an edit (so the field checks are reached). */
async function rehashBundle(folder: string): Promise<void> {
  const path = join(folder, "bundle.json");
  const b = JSON.parse(await Deno.readTextFile(path));
  if (b && typeof b === "object" && b.files && typeof b.files === "object") {
    for (const rel of Object.keys(b.files)) {
      const bytes = await Deno.readFile(join(folder, rel)).catch(() => undefined);
      if (bytes) b.files[rel] = await sha256Hex(bytes);
    }
  }
  b.sha256 = await bundleContentSha256(b);
  await Deno.writeTextFile(path, JSON.stringify(b, null, 1));
}

/** Replace `path` by a special file; returns what it now is. */
async function makeSpecial(path: string, rng: Rng): Promise<string> {
  await Deno.remove(path, { recursive: true }).catch(() => {});
  const kind = pick(rng, ["fifo", "loop", "zero", "folder", "empty", "dangling"]);
  if (kind === "fifo") {
    const r = await new Deno.Command("mkfifo", { args: [path] }).output();
    if (!r.success) throw new Error("mkfifo failed");
  } else if (kind === "loop") await Deno.symlink(path, path);
  else if (kind === "zero") await Deno.symlink("/dev/zero", path);
  else if (kind === "folder") await Deno.mkdir(path);
  else if (kind === "empty") await Deno.writeFile(path, new Uint8Array(0));
  else await Deno.symlink(join(dirname(path), "no-such-file"), path);
  return kind;
}

/**
 * Generate case `index` of the run with `seed` in `work` (a fresh folder per
 * case): the kind cycles, the mutation comes from the seeded generator.
 */
export async function makeCase(
  corpus: Corpus,
  seed: number,
  index: number,
  work: string,
): Promise<FuzzCase> {
  const rng = mulberry32((seed * 1_000_003 + index) >>> 0);
  const kind = FUZZ_KINDS[index % FUZZ_KINDS.length]!;
  await Deno.mkdir(work, { recursive: true });
  const done = async (target: string, mutation: string, named: string[]): Promise<FuzzCase> => ({
    index,
    kind,
    mutation,
    target,
    named,
    inputBytes: await treeBytes(target).catch(() => 0),
  });
  if (kind === "wav") {
    const source = pick(rng, corpus.wavs);
    const target = join(work, basename(source));
    const { bytes, mutation } = mutateWav(await Deno.readFile(source), rng);
    await Deno.writeFile(target, bytes);
    return done(target, `${basename(source)}: ${mutation}`, [target]);
  }
  if (kind === "manifest") {
    const target = join(work, "set");
    await copyTree(corpus.set, target);
    if (rng() < 0.6) {
      const path = join(target, "manifest.json");
      const { text, mutation } = mutateJson(await Deno.readTextFile(path), rng);
      await Deno.writeTextFile(path, text);
      return done(target, `manifest: ${mutation}`, [target]);
    }
    // An IR, harmonics or recording file of the set mutated as a WAV.
    const files = (await filesOf(target)).filter((f) => f.endsWith(".wav"));
    const rel = pick(rng, files);
    const { bytes, mutation } = mutateWav(await Deno.readFile(join(target, rel)), rng);
    await Deno.writeFile(join(target, rel), bytes);
    return done(target, `${rel}: ${mutation}`, [join(target, rel), target]);
  }
  if (kind === "bundle") {
    const target = join(work, "bundle");
    await copyTree(corpus.bundle, target);
    let mutation: string;
    if (rng() < 0.6) {
      const path = join(target, "bundle.json");
      const m = mutateJson(await Deno.readTextFile(path), rng);
      await Deno.writeTextFile(path, m.text);
      mutation = `bundle.json: ${m.mutation}`;
    } else {
      const rel = pick(rng, (await filesOf(target)).filter((f) => f.endsWith(".wav")));
      const m = mutateWav(await Deno.readFile(join(target, rel)), rng);
      await Deno.writeFile(join(target, rel), m.bytes);
      mutation = `${rel}: ${m.mutation}`;
    }
    if (rng() < 0.5) {
      try {
        await rehashBundle(target);
        mutation += " (re-hashed)";
      } catch {
        // not JSON any more: nothing to re-hash
      }
    }
    return done(target, mutation, [target]);
  }
  if (kind === "limits" || kind === "rig") {
    const source = kind === "limits" ? corpus.limits : corpus.rig;
    const target = join(work, basename(source));
    let { text, mutation } = mutateJson(await Deno.readTextFile(source), rng);
    if (kind === "limits" && rng() < 0.5) {
      try {
        const l = JSON.parse(text);
        l.sha256 = await limitsContentSha256(l);
        text = JSON.stringify(l);
        mutation += " (re-hashed)";
      } catch {
        // not JSON any more
      }
    }
    await Deno.writeTextFile(target, text);
    return done(target, mutation, [target]);
  }
  // special files where a file is expected: a WAV, a set's manifest or IR, a bundle's file, limits
  const where = pick(rng, [
    "wav",
    "set-manifest",
    "set-ir",
    "bundle-json",
    "bundle-filter",
    "limits",
  ]);
  if (where === "wav") {
    const target = join(work, "x.wav");
    return done(target, `wav is a ${await makeSpecial(target, rng)}`, [target]);
  }
  if (where === "limits") {
    const target = join(work, "limits.json");
    return done(target, `limits is a ${await makeSpecial(target, rng)}`, [target]);
  }
  const isSet = where.startsWith("set");
  const target = join(work, isSet ? "set" : "bundle");
  await copyTree(isSet ? corpus.set : corpus.bundle, target);
  const files = await filesOf(target);
  const rel = where.endsWith("manifest")
    ? "manifest.json"
    : where === "bundle-json"
    ? "bundle.json"
    : pick(rng, files.filter((f) => f.endsWith(".wav")));
  const special = await makeSpecial(join(target, rel), rng);
  return done(target, `${rel} is a ${special}`, [join(target, rel), target]);
}

// ---- running a case ----

/** The outcome of one case. */
export interface FuzzResult {
  readonly case: FuzzCase;
  readonly outcome: "accepted" | "refused" | "failed";
  /** Why a case failed (crash class, unnamed file, hang, memory, output written). */
  readonly why?: string;
  readonly seconds: number;
}

/** Whether an error is the user's (exit 2 in the CLI), as `cli/_common.ts` decides. */
function isInputError(error: unknown): boolean {
  return error instanceof InputError || error instanceof RangeError || error instanceof TypeError;
}

function namesInput(message: string, named: readonly string[]): boolean {
  return named.some((n) => message.includes(n));
}

/** Read a case's input with the library reader of its kind (run inside the worker). */
export async function readInProcess(c: FuzzCase): Promise<void> {
  const kind = c.kind === "special" ? specialKind(c) : c.kind;
  if (kind === "wav") await readWav(c.target);
  else if (kind === "manifest") {
    const set = await readMeasurementSet(c.target);
    for (const capture of set.manifest.captures) {
      await set.readIr(capture);
      if (capture.harmonics) await set.readAudio(capture.harmonics);
      if (capture.recording) await set.readAudio(capture.recording);
    }
  } else if (kind === "bundle") await readBundle(c.target);
  else if (kind === "limits") await readLimits(c.target);
  else if (kind === "rig") await readRigFile(c.target);
}

function specialKind(c: FuzzCase): Exclude<FuzzKind, "special"> {
  if (c.target.endsWith(".wav")) return "wav";
  if (c.target.endsWith("limits.json")) return "limits";
  return basename(c.target) === "set" ? "manifest" : "bundle";
}

/** What the worker (`_worker.ts`) reports for a case. */
export interface WorkerReply {
  readonly ok: boolean;
  /** The error's class: `"input"` (InputError, RangeError, TypeError) or its name. */
  readonly errorClass?: string;
  readonly message?: string;
}

/** Classify a thrown error for the worker's reply. */
export function replyFor(error: unknown): WorkerReply {
  return {
    ok: false,
    errorClass: isInputError(error) ? "input" : (error as Error)?.name ?? typeof error,
    message: String((error as Error)?.message ?? error),
  };
}

/**
 * Library readers in a Web Worker, so that a reader that blocks (a FIFO
 * opened for reading) or loops is stopped at the time limit and reported as a
 * hang instead of stopping the run.
 */
export class ReaderWorker {
  #worker: Worker | undefined;

  #start(): Worker {
    this.#worker ??= new Worker(new URL("./_worker.ts", import.meta.url).href, { type: "module" });
    return this.#worker;
  }

  /** Read the case in the worker; `undefined` when it did not answer within `limitSeconds`. */
  async read(c: FuzzCase, limitSeconds: number): Promise<WorkerReply | undefined> {
    const worker = this.#start();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reply = await Promise.race([
      new Promise<WorkerReply>((resolve) => {
        worker.onmessage = (e: MessageEvent<WorkerReply>) => resolve(e.data);
        worker.onerror = (e) => {
          e.preventDefault();
          resolve({ ok: false, errorClass: "worker error", message: String(e.message) });
        };
        worker.postMessage(c);
      }),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), limitSeconds * 1000);
      }),
    ]);
    clearTimeout(timer);
    if (reply === undefined || reply.errorClass === "worker error") this.close();
    return reply;
  }

  /** Stop the worker (a new one starts with the next case). */
  close(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
  }
}

/** Run a case through the library reader: accepted, refused naming the input, or failed. */
export async function runInProcess(
  c: FuzzCase,
  reader: ReaderWorker,
  limitSeconds = 30,
): Promise<FuzzResult> {
  const started = performance.now();
  const reply = await reader.read(c, limitSeconds);
  const seconds = (performance.now() - started) / 1000;
  const result = (outcome: FuzzResult["outcome"], why?: string): FuzzResult => ({
    case: c,
    outcome,
    ...(why === undefined ? {} : { why }),
    seconds,
  });
  if (reply === undefined) return result("failed", `hung: no answer within ${limitSeconds} s`);
  if (reply.ok) return result("accepted");
  if (reply.errorClass !== "input") {
    return result("failed", `${reply.errorClass} (would exit 3): ${reply.message?.slice(0, 300)}`);
  }
  if (!namesInput(reply.message ?? "", c.named)) {
    return result("failed", `refusal does not name ${c.named[0]}: ${reply.message?.slice(0, 300)}`);
  }
  return result("refused");
}

/** What a command run reports through the Python wrapper. */
interface CommandRun {
  readonly code: number;
  readonly timedOut: boolean;
  readonly maxRssKb: number;
  readonly seconds: number;
  readonly stderr: string;
}

/**
 * Run `deno run -A cli/<script> args` under Python, which kills it at 30 s and
 * reports its exit code and peak RSS (getrusage of the waited-for child).
 */
export async function runCommandMeasured(script: string, args: string[]): Promise<CommandRun> {
  const url = new URL(`../../cli/${script}`, import.meta.url);
  const py = `
import json, resource, subprocess, sys, time
t = time.time()
try:
    p = subprocess.run(sys.argv[1:], capture_output=True, timeout=30)
    code, err, timed_out = p.returncode, p.stderr.decode("utf-8", "replace"), False
except subprocess.TimeoutExpired as e:
    code, err, timed_out = -9, (e.stderr or b"").decode("utf-8", "replace"), True
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": code, "timedOut": timed_out, "maxRssKb": rss, "seconds": time.time() - t, "stderr": err[-2000:]}))
`;
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", py, Deno.execPath(), "run", "-A", url.pathname, ...args],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** The command that reads a case's kind, and its output path. */
function commandFor(c: FuzzCase, corpus: Corpus, out: string): [string, string[]] | undefined {
  const kind = c.kind === "special" ? specialKind(c) : c.kind;
  if (kind === "wav") {
    return ["render.ts", ["--bundle", corpus.bundle, "--in", c.target, "--out", out]];
  }
  if (kind === "manifest") {
    return ["fit.ts", ["--in", c.target, "--out", out, "--beamformer", "none", "--taps", "512"]];
  }
  if (kind === "bundle") {
    return ["render.ts", ["--bundle", c.target, "--in", corpus.stereo, "--out", out]];
  }
  if (kind === "limits") {
    // No --junit: verify writes its retest report on purpose whatever the outcome (README).
    // Verdicts go to a database in the run's folder, not the default one in the working folder.
    return ["verify.ts", [
      "--limits",
      c.target,
      "--device",
      "sim:soundbar2",
      "--serial",
      "FZ-U",
      "--db",
      `sqlite:${join(corpus.root, "records.db")}`,
    ]];
  }
  return undefined; // rig files need an audio device: in-process only
}

/** Peak RSS (kB) of each command on the valid corpus: the base of the memory bound. */
export async function commandBaselines(corpus: Corpus): Promise<Map<string, number>> {
  const base = new Map<string, number>();
  const valid: FuzzCase[] = [
    { index: -1, kind: "wav", mutation: "", target: corpus.stereo, named: [], inputBytes: 0 },
    { index: -1, kind: "manifest", mutation: "", target: corpus.set, named: [], inputBytes: 0 },
    { index: -1, kind: "limits", mutation: "", target: corpus.limits, named: [], inputBytes: 0 },
  ];
  for (const c of valid) {
    const out = join(corpus.root, `baseline-${c.kind}`);
    const [script, args] = commandFor(c, corpus, out)!;
    const r = await runCommandMeasured(script, args);
    if (r.code !== 0 && r.code !== 1) throw new Error(`baseline ${script}: ${r.stderr}`);
    base.set(script, Math.max(base.get(script) ?? 0, r.maxRssKb));
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
  return base;
}

/**
 * Run a case through its command: exit 0/1 (accepted) or 2 naming the input
 * with nothing written; never 3, never killed at 30 s, peak RSS below the
 * command's baseline + 10× the input size.
 */
export async function runThroughCommand(
  c: FuzzCase,
  corpus: Corpus,
  baselines: Map<string, number>,
  work: string,
): Promise<FuzzResult | undefined> {
  const out = join(work, "out");
  const command = commandFor(c, corpus, out);
  if (command === undefined) return undefined;
  const [script, args] = command;
  const r = await runCommandMeasured(script, args);
  const fail = (why: string): FuzzResult => ({
    case: c,
    outcome: "failed",
    why: `${script}: ${why}`,
    seconds: r.seconds,
  });
  if (r.timedOut) return fail("hung (killed at 30 s)");
  // 15 % above the baseline for the runtime's own variation between runs (measured: 1-2 MB of
  // ~110 MB for verify), plus 10× the input: a reader that inflates its input fails this.
  const limitKb = 1.15 * (baselines.get(script) ?? 0) + 10 * c.inputBytes / 1024;
  if (r.maxRssKb > limitKb) {
    return fail(
      `peak RSS ${r.maxRssKb} kB > baseline + 10× input (${Math.round(limitKb)} kB)`,
    );
  }
  if (r.code === 0 || r.code === 1) return { case: c, outcome: "accepted", seconds: r.seconds };
  if (r.code !== 2) return fail(`exit ${r.code}: ${r.stderr.slice(-600)}`);
  if (!namesInput(r.stderr, c.named)) return fail(`exit 2 without naming the input: ${r.stderr}`);
  if (await Deno.lstat(out).then(() => true, () => false)) return fail("exit 2 but output written");
  return { case: c, outcome: "refused", seconds: r.seconds };
}

/** Options of {@linkcode fuzz}. */
export interface FuzzOptions {
  readonly seed: number;
  /** Wall-clock budget of the whole run (in-process and command cases), seconds. */
  readonly seconds: number;
  /** One case in `commandEvery` also runs through its command (default 12). */
  readonly commandEvery?: number;
  /** Most command runs (default unlimited). */
  readonly maxCommands?: number;
  /** Keep failing inputs here (default: dropped with the work folder). */
  readonly keep?: string;
  readonly onResult?: (r: FuzzResult) => void;
}

/** Summary of a fuzz run. */
export interface FuzzSummary {
  readonly cases: number;
  readonly commandRuns: number;
  readonly byOutcome: Record<string, number>;
  readonly byKind: Record<string, number>;
  readonly failures: FuzzResult[];
  readonly slowestSeconds: number;
}

/** Run cases until the budget is spent; every case in a fresh folder, removed after. */
export async function fuzz(corpus: Corpus, options: FuzzOptions): Promise<FuzzSummary> {
  const deadline = performance.now() + options.seconds * 1000;
  const every = options.commandEvery ?? 12;
  const baselines = await commandBaselines(corpus);
  const byOutcome: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  const failures: FuzzResult[] = [];
  let cases = 0, commandRuns = 0, slowest = 0;
  const record = (r: FuzzResult) => {
    byOutcome[r.outcome] = (byOutcome[r.outcome] ?? 0) + 1;
    slowest = Math.max(slowest, r.seconds);
    if (r.outcome === "failed") failures.push(r);
    options.onResult?.(r);
  };
  const reader = new ReaderWorker();
  try {
    return await fuzzLoop(corpus, options, reader, deadline, every, baselines, {
      byOutcome,
      byKind,
      failures,
      record,
      counts: () => ({ cases, commandRuns, slowest }),
      addCase: () => cases++,
      addCommand: () => commandRuns++,
    });
  } finally {
    reader.close();
  }
}

interface Tally {
  byOutcome: Record<string, number>;
  byKind: Record<string, number>;
  failures: FuzzResult[];
  record: (r: FuzzResult) => void;
  counts: () => { cases: number; commandRuns: number; slowest: number };
  addCase: () => void;
  addCommand: () => void;
}

async function fuzzLoop(
  corpus: Corpus,
  options: FuzzOptions,
  reader: ReaderWorker,
  deadline: number,
  every: number,
  baselines: Map<string, number>,
  t: Tally,
): Promise<FuzzSummary> {
  const { byOutcome, byKind, failures, record } = t;
  for (let index = 0; performance.now() < deadline; index++) {
    const work = join(corpus.root, `case-${index}`);
    const c = await makeCase(corpus, options.seed, index, work);
    t.addCase();
    byKind[c.kind] = (byKind[c.kind] ?? 0) + 1;
    const inProcess = await runInProcess(c, reader);
    record(inProcess);
    let failed = inProcess.outcome === "failed";
    if (index % every === every - 1 && t.counts().commandRuns < (options.maxCommands ?? Infinity)) {
      const viaCommand = await runThroughCommand(c, corpus, baselines, work);
      if (viaCommand !== undefined) {
        t.addCommand();
        record(viaCommand);
        failed ||= viaCommand.outcome === "failed";
      }
    }
    if (failed && options.keep !== undefined) {
      await copyTree(work, join(options.keep, `seed${options.seed}-case${index}`)).catch(() => {});
    }
    await Deno.remove(work, { recursive: true });
  }
  const { cases, commandRuns, slowest } = t.counts();
  return { cases, commandRuns, byOutcome, byKind, failures, slowestSeconds: slowest };
}
