/**
 * Waiting for the operator at the measurement rig: a message on stderr and
 * Enter on stdin (moving the mic, loading the next unit).
 *
 * @module
 */

/**
 * Print `message` on stderr and wait until the operator presses Enter.
 *
 * @returns `true` on Enter, `false` when stdin closes first (no operator:
 *   the caller says what to do instead).
 */
export async function waitForOperator(message: string): Promise<boolean> {
  await Deno.stderr.write(new TextEncoder().encode(`${message} — press Enter when ready: `));
  const buffer = new Uint8Array(1);
  while (true) {
    const n = await Deno.stdin.read(buffer);
    if (n === null) return false;
    if (buffer[0] === 10) return true;
  }
}
