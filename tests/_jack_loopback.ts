/**
 * The JACK loopback of `.ci/jack_loopback.sh` for the tests that play through
 * it. Every such test starts with {@linkcode ensureJackLoopback}: the script's
 * `start` is idempotent and checks that clicks played into the loop are heard
 * on the room mic and the loopback channel, restarting the servers when they
 * are down or silent. A test file that stopped, crashed or stalled the loop
 * (a killed client, an engine run on it) then cannot fail the next file.
 *
 * @module
 */

const STATE = Deno.env.get("JACK_LOOPBACK_DIR") ?? "/tmp/spatialcal-jack";

/**
 * Run `.ci/NAME ACTION` (a loopback script); its output, or an error naming
 * the script and action. `status` never throws: its exit code is the answer.
 */
export async function ciScript(name: string, action: string): Promise<string> {
  const script = new URL(`../.ci/${name}`, import.meta.url).pathname;
  const out = await new Deno.Command("bash", {
    args: [script, action],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success && action !== "status") throw new Error(`${name} ${action} failed: ${text}`);
  return text;
}

/** Run `jack_loopback.sh ACTION`; its output, or an error naming the action. */
export function jackLoopback(action: "start" | "stop" | "status"): Promise<string> {
  return ciScript("jack_loopback.sh", action);
}

/** The last lines of the loop's previous server and jconvolver logs. */
async function previousLogs(): Promise<string> {
  const parts: string[] = [];
  for (const name of ["jackd-loopup", "jackd-default", "jconvolver"]) {
    const text = await Deno.readTextFile(`${STATE}/previous/${name}.log`).catch(() => "");
    parts.push(
      `--- previous ${name}.log (last lines)\n${text.trim().split("\n").slice(-8).join("\n")}`,
    );
  }
  return parts.join("\n");
}

/**
 * Make sure the loop runs and carries audio: `start` (up to three attempts,
 * stopping in between). When it had to (re)start the servers, print why and
 * the previous logs, so a CI log shows what took the loop down.
 */
export async function ensureJackLoopback(): Promise<void> {
  let last = "";
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const text = await jackLoopback("start");
      if (!text.includes("already running")) {
        console.log(
          `ensureJackLoopback: the loop was (re)started:\n${text}${await previousLogs()}`,
        );
      }
      return;
    } catch (e) {
      last = (e as Error).message;
      console.log(`ensureJackLoopback: attempt ${attempt} of 3 failed:\n${last}`);
      await jackLoopback("stop").catch(() => "");
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  throw new Error(`the JACK loopback could not be started in 3 attempts: ${last}`);
}

/**
 * `Deno.test` for a test that plays through the loop: unless ignored, the
 * loop is ensured (running and audible) first.
 */
export function jackTest(definition: Deno.TestDefinition): void {
  Deno.test({
    ...definition,
    fn: async (t) => {
      await ensureJackLoopback();
      await definition.fn(t);
    },
  });
}
