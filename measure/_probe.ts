/**
 * Probe the audio system before node-web-audio-api is touched.
 *
 * node-web-audio-api's `mediaDevices.getUserMedia()` aborts the whole process
 * (uncatchable, exit 134) when there is no input device, and
 * `new AudioContext()` throws `DeviceUnavailable` with neither a JACK server
 * nor a sound card. So the webaudio backend and `deno task devices` first ask:
 * is a JACK server running (`jack_wait -c` prints "running")? Else, does ALSA
 * have a card (`/proc/asound/cards`, `/dev/snd`) or a PipeWire PCM (a running
 * PipeWire daemon and its ALSA plugin configured)? With neither, they throw
 * {@linkcode AudioUnavailableError}, which the CLIs map to exit code 2.
 *
 * Which server answers is told too: the JACK API is served by jackd or by
 * PipeWire (`pipewire-jack`: the `libjack.so.0` the loader resolves, through
 * `LD_LIBRARY_PATH` as `pw-jack` sets it or `ldconfig`, lies in a
 * `pipewire` folder), and the ALSA API by the cards or by PipeWire
 * (`pipewire-alsa`).
 *
 * @module
 */
import { jackServerRunning } from "./jack.ts";

/** No audio server and no sound card: nothing to play or record with. */
export class AudioUnavailableError extends Error {
  /** Always `"AudioUnavailableError"`. */
  override name = "AudioUnavailableError";
}

/** What the probe found. */
export interface AudioProbe {
  /** The default JACK server answers `jack_wait -c` with "running". */
  readonly jackRunning: boolean;
  /** ALSA cards listed in /proc/asound/cards (`" 0 [UFX ]: USB-Audio - Fireface UFX"`). */
  readonly alsaCards: readonly string[];
  /** /dev/snd exists and lists at least one PCM device node. */
  readonly alsaPcmDevices: readonly string[];
  /** The backend node-web-audio-api will use: JACK if a server runs, else ALSA if a card or a PipeWire PCM exists. */
  readonly backend: "jack" | "alsa" | "none";
  /** The PipeWire daemon's socket this process would reach, if one answers to a connect. */
  readonly pipewireSocket: string | undefined;
  /** The `libjack.so.0` the loader resolves (real path), if any. */
  readonly jackLibrary: string | undefined;
  /** ALSA can open a PipeWire PCM: the daemon runs and the `pipewire` ALSA plugin is configured. */
  readonly alsaPipewire: boolean;
  /** Who serves the backend: jackd, PipeWire's JACK or ALSA API, or ALSA cards. */
  readonly server: "jackd" | "pipewire-jack" | "pipewire-alsa" | "alsa" | "none";
}

/** The places a PipeWire client looks for the daemon's socket, in order. */
export function pipewireSocketCandidates(env: (name: string) => string | undefined): string[] {
  const name = env("PIPEWIRE_REMOTE") ?? "pipewire-0";
  if (name.startsWith("/")) return [name];
  const dirs = [env("PIPEWIRE_RUNTIME_DIR"), env("XDG_RUNTIME_DIR"), env("USERPROFILE")];
  return dirs.filter((d): d is string => d !== undefined && d !== "").map((d) => `${d}/${name}`);
}

async function pipewireSocket(): Promise<string | undefined> {
  for (const path of pipewireSocketCandidates((n) => Deno.env.get(n))) {
    try {
      const conn = await Deno.connect({ transport: "unix", path });
      conn.close();
      return path;
    } catch {
      // not there, or nobody listens
    }
  }
  return undefined;
}

/** The real path of the `libjack.so.0` the dynamic loader resolves (LD_LIBRARY_PATH, then ldconfig). */
async function resolveJackLibrary(): Promise<string | undefined> {
  const dirs = (Deno.env.get("LD_LIBRARY_PATH") ?? "").split(":").filter((d) => d !== "");
  for (const dir of dirs) {
    try {
      return await Deno.realPath(`${dir}/libjack.so.0`);
    } catch {
      // not in this folder
    }
  }
  try {
    const out = await new Deno.Command("ldconfig", {
      args: ["-p"],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    const line = new TextDecoder().decode(out.stdout).split("\n").find((l) =>
      l.trim().startsWith("libjack.so.0 ")
    );
    const path = line?.split("=>")[1]?.trim();
    return path === undefined ? undefined : await Deno.realPath(path);
  } catch {
    return undefined;
  }
}

/** Whether the ALSA configuration this process reads defines a `type pipewire` PCM. */
async function alsaPipewireConfigured(): Promise<boolean> {
  const files = [Deno.env.get("ALSA_CONFIG_PATH")].filter((f): f is string => f !== undefined);
  for (const dir of ["/etc/alsa/conf.d", "/usr/share/alsa/alsa.conf.d"]) {
    if (Deno.env.get("ALSA_CONFIG_PATH") !== undefined && dir.startsWith("/usr")) continue;
    try {
      for await (const e of Deno.readDir(dir)) {
        if (e.name.includes("pipewire")) files.push(`${dir}/${e.name}`);
      }
    } catch {
      // no such folder
    }
  }
  for (const f of files) {
    try {
      if (/type\s+pipewire/.test(await Deno.readTextFile(f))) return true;
    } catch {
      // unreadable: not configured through it
    }
  }
  return false;
}

/** Card lines of /proc/asound/cards (the numbered header lines). */
export function parseAsoundCards(text: string): string[] {
  return text.split("\n").filter((line) => /^\s*\d+\s+\[/.test(line)).map((line) => line.trim());
}

async function readAlsaCards(path: string): Promise<string[]> {
  try {
    return parseAsoundCards(await Deno.readTextFile(path));
  } catch {
    return [];
  }
}

async function listPcmNodes(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith("pcm")) names.push(entry.name);
    }
  } catch {
    return [];
  }
  return names.sort();
}

/** Paths the probe reads (parameters so tests can point them at a fixture). */
export interface ProbeOptions {
  readonly asoundCardsPath?: string;
  readonly devSndPath?: string;
  /** Override the JACK check (tests). */
  readonly jackRunning?: () => Promise<boolean>;
  /** Override the PipeWire socket check (tests). */
  readonly pipewireSocket?: () => Promise<string | undefined>;
}

/** Look for a JACK server and ALSA cards; never touches node-web-audio-api. */
export async function probeAudioSystem(options: ProbeOptions = {}): Promise<AudioProbe> {
  const jackRunning = await (options.jackRunning ?? (() => jackServerRunning()))();
  const alsaCards = await readAlsaCards(options.asoundCardsPath ?? "/proc/asound/cards");
  const alsaPcmDevices = await listPcmNodes(options.devSndPath ?? "/dev/snd");
  const socket = await (options.pipewireSocket ?? pipewireSocket)();
  const jackLibrary = await resolveJackLibrary();
  const alsaPipewire = socket !== undefined && await alsaPipewireConfigured();
  const cards = alsaCards.length > 0 && alsaPcmDevices.length > 0;
  const backend = jackRunning ? "jack" : cards || alsaPipewire ? "alsa" : "none";
  const server = jackRunning
    ? (jackLibrary?.includes("pipewire") ? "pipewire-jack" : "jackd")
    : alsaPipewire
    ? "pipewire-alsa"
    : cards
    ? "alsa"
    : "none";
  return {
    jackRunning,
    alsaCards,
    alsaPcmDevices,
    backend,
    pipewireSocket: socket,
    jackLibrary,
    alsaPipewire,
    server,
  };
}

/** Plain words for who serves the audio, for listings and messages. */
export function describeServer(probe: AudioProbe): string {
  switch (probe.server) {
    case "jackd":
      return "JACK (jackd; the default server is running)";
    case "pipewire-jack":
      return `PipeWire through its JACK API (${probe.jackLibrary}; daemon ${
        probe.pipewireSocket ?? "unknown"
      })`;
    case "pipewire-alsa":
      return `PipeWire through its ALSA API (pipewire-alsa; daemon ${probe.pipewireSocket}; 2 channels each way)`;
    case "alsa":
      return "ALSA (no JACK server runs; 2 channels each way without JACK)";
    case "none":
      return "none";
  }
}

/** The message for a probe that found nothing. */
export function noAudioMessage(action: string): string {
  return `Cannot ${action} as no audio server runs and no sound card is present ` +
    `(jack_wait -c: not running; PipeWire: no daemon socket; /proc/asound/cards: no cards; ` +
    `/dev/snd: no PCM devices). ` +
    `Connect the audio interface (USB) and check it appears in /proc/asound/cards, ` +
    `or start a JACK server on it (jackd -d alsa -d hw:<card> -r 48000), ` +
    `or under PipeWire run through its JACK API (pw-jack deno task …, package pipewire-jack), ` +
    `or for a test loopback run: bash .ci/jack_loopback.sh start`;
}

/**
 * Probe and throw when nothing can play or record.
 *
 * @param action What the caller is about to do, for the message ("open webaudio device").
 * @throws {AudioUnavailableError} with no JACK server and no ALSA card.
 */
export async function requireAudioSystem(
  action: string,
  options: ProbeOptions = {},
): Promise<AudioProbe> {
  const probe = await probeAudioSystem(options);
  if (probe.backend === "none") throw new AudioUnavailableError(noAudioMessage(action));
  return probe;
}
