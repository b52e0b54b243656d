/**
 * JACK port routing through the JACK command-line tools (`jack_wait`,
 * `jack_lsp`, `jack_connect`, `jack_disconnect`), run as subprocesses.
 *
 * node-web-audio-api opens only two JACK ports each way
 * (`cpal_client_<pid>_out:out_0/1`, `cpal_client_<pid>_in:in_0/1`) and
 * connects them to `system:playback_1/2` and `system:capture_1/2`. To reach
 * channel k of a larger interface, the webaudio backend re-connects those
 * ports here: `out_0 → system:playback_k`, `system:capture_k → in_0`. JACK
 * allows one port to feed several, so the driver's stimulus can also be sent
 * to the loopback output channel.
 *
 * Every call sets `JACK_NO_START_SERVER=1`, so a query never starts a server
 * as a side effect.
 *
 * @module
 */

/** Error raised when a JACK tool fails or the server is gone. */
export class JackError extends Error {
  /** Always `"JackError"`. */
  override name = "JackError";
}

/** Names of node-web-audio-api's JACK ports for one process. */
export interface WebAudioJackPorts {
  /** Output ports of the client, in channel order (`cpal_client_<pid>_out:out_0`, …). */
  readonly outputs: readonly string[];
  /** Input ports of the client, in channel order (`cpal_client_<pid>_in:in_0`, …). */
  readonly inputs: readonly string[];
}

/** A wanted set of connections for the client's ports. */
export interface JackRouting {
  /** `outputs[i]` lists the ports the client's output port i must feed (others are disconnected). */
  readonly outputs: readonly (readonly string[])[];
  /** `inputs[i]` lists the ports that must feed the client's input port i (others are disconnected). */
  readonly inputs: readonly (readonly string[])[];
}

const decoder = new TextDecoder();

async function runJackTool(
  tool: string,
  args: readonly string[],
): Promise<{ success: boolean; stdout: string; stderr: string }> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(tool, {
      args: [...args],
      env: { JACK_NO_START_SERVER: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new JackError(
        `Cannot run ${tool} as it is not installed: install the JACK tools (Debian: apt-get install jackd2)`,
      );
    }
    throw error;
  }
  return {
    success: output.success,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Whether a JACK server runs, from `jack_wait -c` (which always exits 0, so
 * its output `"running"` is read instead). Missing JACK tools count as "no
 * server".
 *
 * @param server Server name; the default server when omitted.
 */
export async function jackServerRunning(server?: string): Promise<boolean> {
  try {
    const args = server === undefined ? ["-c"] : ["-s", server, "-c"];
    const { stdout } = await runJackTool("jack_wait", args);
    return stdout.trim() === "running";
  } catch (error) {
    if (error instanceof JackError) return false;
    throw error;
  }
}

/**
 * Parse the output of `jack_lsp -c`: port names at column 0, each followed by
 * its connections indented by three spaces.
 *
 * @returns A map from every port to the ports it is connected to.
 */
export function parseJackLsp(text: string): Map<string, string[]> {
  const ports = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (/^\s/.test(line)) {
      current?.push(line.trim());
    } else {
      current = [];
      ports.set(line, current);
    }
  }
  return ports;
}

/**
 * All ports of the default JACK server with their connections (`jack_lsp -c`).
 *
 * @throws {JackError} when no server answers.
 */
export async function listJackConnections(): Promise<Map<string, string[]>> {
  const { stdout, stderr } = await runJackTool("jack_lsp", ["-c"]);
  const ports = parseJackLsp(stdout);
  if (ports.size === 0) {
    throw new JackError(
      `Cannot list JACK ports as no JACK server answers (jack_lsp: ${
        stderr.trim().split("\n")[0] ?? ""
      }): start the server (jackd) again`,
    );
  }
  return ports;
}

/**
 * The JACK ports node-web-audio-api opened for process `pid`, read from the
 * port list: `cpal_client_<pid>_out:out_N` and `cpal_client_<pid>_in:in_N`
 * (JACK appends `-01`, `-02`, … to a client name already taken, e.g. while a
 * previous context of the same process is still closing). Ports listed in
 * `before` (a snapshot taken before the context was created) are skipped, so
 * a lingering client of an earlier context is never picked.
 */
export function webAudioJackPorts(
  ports: ReadonlyMap<string, readonly string[]>,
  pid: number,
  before: ReadonlySet<string> = new Set(),
): WebAudioJackPorts {
  const pick = (kind: "out" | "in") => {
    const pattern = new RegExp(`^cpal_client_${pid}_${kind}(-\\d+)?:${kind}_(\\d+)$`);
    const found = [...ports.keys()]
      .filter((name) => !before.has(name))
      .map((name) => ({ name, match: pattern.exec(name) }))
      .filter((p) => p.match !== null);
    // one client only: the first one (by name) among the new ones
    const clients = [...new Set(found.map((p) => p.name.split(":")[0]!))].sort();
    const client = clients[0];
    return found
      .filter((p) => p.name.split(":")[0] === client)
      .sort((a, b) => Number(a.match![2]) - Number(b.match![2]))
      .map((p) => p.name);
  };
  return { outputs: pick("out"), inputs: pick("in") };
}

async function connectOrDisconnect(
  tool: "jack_connect" | "jack_disconnect",
  source: string,
  destination: string,
): Promise<void> {
  const { success, stderr, stdout } = await runJackTool(tool, [source, destination]);
  if (!success) {
    const detail = (stderr.trim() || stdout.trim()).split("\n").filter((l) => l !== "").at(-1);
    throw new JackError(
      `Cannot ${tool === "jack_connect" ? "connect" : "disconnect"} JACK port ${source} ${
        tool === "jack_connect" ? "to" : "from"
      } ${destination}: ${tool} failed (${
        detail ?? "no message"
      }); is the JACK server still running?`,
    );
  }
}

/** Connect JACK port `source` (an output) to `destination` (an input). */
export function jackConnect(source: string, destination: string): Promise<void> {
  return connectOrDisconnect("jack_connect", source, destination);
}

/** Disconnect JACK port `source` from `destination`. */
export function jackDisconnect(source: string, destination: string): Promise<void> {
  return connectOrDisconnect("jack_disconnect", source, destination);
}

/**
 * The connect/disconnect steps that turn the current connections of the
 * client's ports into `routing` (pure; see {@linkcode applyJackRouting}).
 *
 * @returns Steps as `[tool, source, destination]`; disconnections first.
 */
export function planJackRouting(
  current: ReadonlyMap<string, readonly string[]>,
  client: WebAudioJackPorts,
  routing: JackRouting,
): ["jack_connect" | "jack_disconnect", string, string][] {
  if (routing.outputs.length > client.outputs.length) {
    throw new RangeError(
      `Cannot route JACK ports as the client has ${client.outputs.length} output ports: ${routing.outputs.length} requested`,
    );
  }
  if (routing.inputs.length > client.inputs.length) {
    throw new RangeError(
      `Cannot route JACK ports as the client has ${client.inputs.length} input ports: ${routing.inputs.length} requested`,
    );
  }
  const disconnect: ["jack_disconnect", string, string][] = [];
  const connect: ["jack_connect", string, string][] = [];
  client.outputs.forEach((port, i) => {
    const want = new Set(routing.outputs[i] ?? []);
    const have = new Set(current.get(port) ?? []);
    for (const p of have) if (!want.has(p)) disconnect.push(["jack_disconnect", port, p]);
    for (const p of want) if (!have.has(p)) connect.push(["jack_connect", port, p]);
  });
  client.inputs.forEach((port, i) => {
    const want = new Set(routing.inputs[i] ?? []);
    const have = new Set(current.get(port) ?? []);
    for (const p of have) if (!want.has(p)) disconnect.push(["jack_disconnect", p, port]);
    for (const p of want) if (!have.has(p)) connect.push(["jack_connect", p, port]);
  });
  // A connection between two of the client's own ports (a digital reference)
  // shows up on both ends: keep one step per pair.
  const seen = new Set<string>();
  return [...disconnect, ...connect].filter(([tool, a, b]) => {
    const key = `${tool} ${a} ${b}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Make the client's ports connected exactly as `routing` says, then read the
 * connections back and check them.
 *
 * @throws {JackError} when a tool fails or the read-back differs.
 */
export async function applyJackRouting(
  client: WebAudioJackPorts,
  routing: JackRouting,
): Promise<void> {
  const current = await listJackConnections();
  for (const name of [...routing.outputs.flat(), ...routing.inputs.flat()]) {
    if (!current.has(name)) {
      throw new JackError(
        `Cannot route JACK ports as port ${name} does not exist: check the rig's interface name and channel numbers against \`deno task devices\``,
      );
    }
  }
  for (const [tool, source, destination] of planJackRouting(current, client, routing)) {
    await connectOrDisconnect(tool, source, destination);
  }
  const after = await listJackConnections();
  const left = planJackRouting(after, client, routing);
  if (left.length > 0) {
    throw new JackError(
      `Cannot route JACK ports: after routing, ${
        left.map(([t, s, d]) => `${t} ${s} ${d}`).join("; ")
      } is still needed`,
    );
  }
}
