/**
 * Probe the audio system before node-web-audio-api is touched.
 *
 * node-web-audio-api's `mediaDevices.getUserMedia()` aborts the whole process
 * (uncatchable, exit 134) when there is no input device, and
 * `new AudioContext()` throws `DeviceUnavailable` with neither a JACK server
 * nor a sound card. So the webaudio backend and `deno task devices` first ask:
 * is a JACK server running (`jack_wait -c` prints "running")? Else, does ALSA
 * have a card (`/proc/asound/cards`, `/dev/snd`)? With neither, they throw
 * {@linkcode AudioUnavailableError}, which the CLIs map to exit code 2.
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
  /** The backend node-web-audio-api will use: JACK if a server runs, else ALSA if a card exists. */
  readonly backend: "jack" | "alsa" | "none";
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
}

/** Look for a JACK server and ALSA cards; never touches node-web-audio-api. */
export async function probeAudioSystem(options: ProbeOptions = {}): Promise<AudioProbe> {
  const jackRunning = await (options.jackRunning ?? (() => jackServerRunning()))();
  const alsaCards = await readAlsaCards(options.asoundCardsPath ?? "/proc/asound/cards");
  const alsaPcmDevices = await listPcmNodes(options.devSndPath ?? "/dev/snd");
  const backend = jackRunning
    ? "jack"
    : alsaCards.length > 0 && alsaPcmDevices.length > 0
    ? "alsa"
    : "none";
  return { jackRunning, alsaCards, alsaPcmDevices, backend };
}

/** The message for a probe that found nothing. */
export function noAudioMessage(action: string): string {
  return `Cannot ${action} as no audio server runs and no sound card is present ` +
    `(jack_wait -c: not running; /proc/asound/cards: no cards; /dev/snd: no PCM devices). ` +
    `Connect the audio interface (USB) and check it appears in /proc/asound/cards, ` +
    `or start a JACK server on it (jackd -d alsa -d hw:<card> -r 48000), ` +
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
