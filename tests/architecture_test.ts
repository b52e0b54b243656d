/**
 * The layers of the README's folder table import one way: each folder may
 * import only the folders listed for it (and npm packages). `cli/` may import
 * everything; nothing imports `cli/`, `tests/` or `scripts/`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = new URL("../", import.meta.url).pathname;
const ALLOWED: Record<string, readonly string[]> = {
  dsp: [],
  io: ["dsp"],
  measure: ["dsp", "io"],
  sim: ["dsp", "io", "measure"],
  design: ["dsp"],
  calibrate: ["dsp", "io", "measure", "sim", "design"],
  render: ["dsp", "io", "measure", "sim", "design", "calibrate"],
  report: ["dsp", "io", "measure", "sim", "design", "calibrate", "render"],
};

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sources(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

Deno.test("imports point one way: each layer imports only the layers below it", async () => {
  const breaches: string[] = [];
  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    for await (const file of sources(join(ROOT, folder))) {
      const text = await Deno.readTextFile(file);
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"\.\.\/([a-z_]+)\//g)) {
        const target = m[1]!;
        if (!allowed.includes(target)) {
          breaches.push(`${file.slice(ROOT.length)} imports ${target}/`);
        }
      }
    }
  }
  assert.deepEqual(breaches, []);
});

Deno.test("nothing imports cli/, tests/ or scripts/ except cli/ itself, tests and scripts", async () => {
  const breaches: string[] = [];
  for (const folder of Object.keys(ALLOWED)) {
    for await (const file of sources(join(ROOT, folder))) {
      const text = await Deno.readTextFile(file);
      if (/"(\.\.\/)+(cli|tests|scripts)\//.test(text)) breaches.push(file.slice(ROOT.length));
    }
  }
  assert.deepEqual(breaches, []);
});
