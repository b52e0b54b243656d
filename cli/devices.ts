/**
 * `deno task devices`: list the audio interfaces the webaudio backend can
 * use, with the channel counts and names a rig file needs.
 *
 * Probes before touching node-web-audio-api (whose `getUserMedia()` aborts
 * the process when there is no input): with no JACK server and no sound card
 * it exits 2 with a message saying what to connect or start.
 *
 * @module
 */
import { AudioUnavailableError, describeServer, probeAudioSystem } from "../measure/_probe.ts";
import { noAudioMessage } from "../measure/_probe.ts";
import { listJackConnections } from "../measure/jack.ts";
import { readRigFile } from "../measure/rig.ts";
import { measureConverterLatency, openWebAudioDevice } from "../measure/webaudio_device.ts";
import { booleanFlag, parseFlags, runCommand, stringFlag, UsageError } from "./_common.ts";

const HELP = `
deno task devices [--json]
deno task devices --calibrate-latency --rig rig.json [--json]

Lists the audio interfaces for \`deno task measure --device webaudio[:<name>]\`
and says which server serves them: jackd, PipeWire through its JACK API
(run the task under \`pw-jack\`), PipeWire through its ALSA API, or ALSA cards.
Under JACK (used whenever a JACK server runs) an interface is a JACK client
with physical ports: <name>:playback_N are its outputs, <name>:capture_N its
inputs; channel numbers N are what the rig file's outputChannel/inputChannel
mean. Without JACK, the ALSA cards are listed (node-web-audio-api then opens
2 channels each way: start JACK on the interface to reach more).

Exit codes: 0 listed, 2 no audio server and no sound card (the message says
what to connect or start).

  --json                print the listing as JSON on stdout
  --calibrate-latency   measure the interface's DAC + ADC latency through the rig's
                        loopback cable (JACK only) and print the value for the rig's
                        "digitalReference": { "converterLatencySamples": N }
  --rig FILE            the rig file (with --calibrate-latency)
`;

/** One interface found under JACK. */
interface JackInterface {
  name: string;
  outputChannels: number;
  inputChannels: number;
  outputs: string[];
  inputs: string[];
}

function jackInterfaces(ports: Map<string, string[]>): JackInterface[] {
  const byClient = new Map<string, JackInterface>();
  for (const port of ports.keys()) {
    const match = /^(.*):(playback|capture)_(\d+)$/.exec(port);
    if (match === null) continue;
    const [, name, kind] = match as unknown as [string, string, string];
    const entry = byClient.get(name) ??
      { name, outputChannels: 0, inputChannels: 0, outputs: [], inputs: [] };
    if (kind === "playback") entry.outputs.push(port);
    else entry.inputs.push(port);
    byClient.set(name, entry);
  }
  const channel = (p: string) => Number(p.slice(p.lastIndexOf("_") + 1));
  for (const entry of byClient.values()) {
    entry.outputs.sort((a, b) => channel(a) - channel(b));
    entry.inputs.sort((a, b) => channel(a) - channel(b));
    entry.outputChannels = entry.outputs.length;
    entry.inputChannels = entry.inputs.length;
  }
  return [...byClient.values()];
}

await runCommand(HELP, async (args) => {
  const values = parseFlags("devices", args, {
    json: { type: "boolean" },
    "calibrate-latency": { type: "boolean" },
    rig: { type: "string" },
  });
  const json = booleanFlag(values, "json");
  const calibrate = booleanFlag(values, "calibrate-latency");
  const rigPath = stringFlag(values, "rig");
  if (calibrate !== (rigPath !== undefined)) {
    throw new UsageError(
      "Cannot use --calibrate-latency without --rig, or --rig without --calibrate-latency",
    );
  }
  const probe = await probeAudioSystem();
  if (probe.backend === "none") {
    const action = calibrate ? "calibrate the latency" : "list audio devices";
    console.error(`error: ${new AudioUnavailableError(noAudioMessage(action)).message}`);
    return 2;
  }
  if (rigPath !== undefined) {
    const rig = await readRigFile(rigPath);
    const device = await openWebAudioDevice({
      rig,
      sampleRate: rig.sampleRate,
      serial: "calibration",
    });
    try {
      const samples = await measureConverterLatency(device);
      if (json) console.log(JSON.stringify({ converterLatencySamples: samples }));
      else {
        console.log(`converter (DAC + ADC) latency: ${samples} samples at ${rig.sampleRate} Hz`);
        console.log(`  rig file: "digitalReference": { "converterLatencySamples": ${samples} }`);
      }
    } finally {
      await device.close();
    }
    return 0;
  }
  if (probe.backend === "jack") {
    const interfaces = jackInterfaces(await listJackConnections());
    if (json) {
      console.log(
        JSON.stringify(
          { backend: "jack", server: probe.server, interfaces, alsaCards: probe.alsaCards },
          null,
          2,
        ),
      );
      return 0;
    }
    console.log(`backend: ${describeServer(probe)}`);
    if (interfaces.length === 0) console.log("  no client with playback_N / capture_N ports");
    for (const i of interfaces) {
      console.log(
        `interface "${i.name}": ${i.outputChannels} outputs (${i.outputs[0] ?? "-"} … ${
          i.outputs.at(-1) ?? "-"
        }), ${i.inputChannels} inputs (${i.inputs[0] ?? "-"} … ${i.inputs.at(-1) ?? "-"})`,
      );
      console.log(
        `  rig file: "interface": { "name": "${i.name}", "outputChannels": ${i.outputChannels}, "inputChannels": ${i.inputChannels} }`,
      );
    }
    return 0;
  }
  // ALSA: a card exists, so node-web-audio-api can enumerate without aborting.
  const nwa = await import("node-web-audio-api");
  const devices = await nwa.mediaDevices.enumerateDevices();
  if (json) {
    console.log(
      JSON.stringify(
        { backend: "alsa", server: probe.server, alsaCards: probe.alsaCards, devices },
        null,
        2,
      ),
    );
    return 0;
  }
  console.log(`backend: ${describeServer(probe)}`);
  for (const card of probe.alsaCards) console.log(`card ${card}`);
  for (const d of devices) console.log(`  ${d.kind}: ${d.label}`);
  return 0;
});
