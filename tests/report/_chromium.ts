/**
 * Test helper: Debian's headless Chromium on a local file — the DOM after
 * the page's scripts ran (`--dump-dom`) and a screenshot (`--screenshot`).
 * No network, no profile, no GPU.
 *
 * @module
 */
import { join } from "node:path";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--hide-scrollbars",
  "--force-device-scale-factor=1",
];

async function run(args: string[], tmp: string): Promise<{ stdout: string; stderr: string }> {
  const out = await new Deno.Command("chromium", {
    args: [...FLAGS, `--user-data-dir=${join(tmp, "chromium-profile")}`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const result = { stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
  if (out.code !== 0) {
    throw new Error(`chromium ${args.join(" ")} failed (${out.code}): ${result.stderr}`);
  }
  return result;
}

/** The DOM of `file` after its scripts ran, and Chromium's console log (stderr with --enable-logging). */
export async function dumpDom(file: string, tmp: string): Promise<{ dom: string; log: string }> {
  const { stdout, stderr } = await run([
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1280,1000",
    "--dump-dom",
    `file://${file}`,
  ], tmp);
  return { dom: stdout, log: stderr };
}

/** A PNG screenshot of `file` at `width`×`height` CSS px. */
export async function screenshot(
  file: string,
  tmp: string,
  width: number,
  height: number,
): Promise<Uint8Array> {
  const png = join(tmp, "screenshot.png");
  await run([`--window-size=${width},${height}`, `--screenshot=${png}`, `file://${file}`], tmp);
  return await Deno.readFile(png);
}
