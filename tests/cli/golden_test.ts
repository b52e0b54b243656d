import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { readLimits, writeUnitMeasurement } from "../../calibrate/limits.ts";
import { synthUnit } from "../calibrate/_units.ts";
import { runCli } from "./_run.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const POSITION = { azimuthDeg: 30, elevationDeg: 20, distanceMeters: 0.5 };

const run = (args: string[]) => runCli("golden.ts", args, { cwd: ROOT });

Deno.test("deno task golden writes limits from golden sets and prints Cpk per check", async () => {
  const dir = await Deno.makeTempDir();
  const sets: string[] = [];
  for (let i = 0; i < 5; i++) {
    const set = join(dir, `unit-${i}`);
    await writeUnitMeasurement(set, synthUnit(500 + i), { position: POSITION });
    sets.push(set);
  }
  const out = join(dir, "limits.json");
  const r = await run([...sets.flatMap((s) => ["--in", s]), "--out", out]);
  equal(r.code, 0, r.stderr);
  ok(r.stdout.includes("golden: 5 units of synth3 at 48000 Hz"), r.stdout);
  ok(/woofer\.sensitivity\s+\d+\.\d\d/.test(r.stdout), r.stdout);
  const limits = await readLimits(out);
  equal(limits.golden.sets.length, 5);
  equal(limits.golden.sets[0]!.path, sets[0]);
  equal(limits.golden.sets[0]!.sha256.length, 64);

  const again = await run([...sets.flatMap((s) => ["--in", s]), "--out", out]);
  equal(again.code, 2);
  ok(again.stderr.includes(`Cannot write limits "${out}" as the file exists (use --force)`));

  const missing = await run(["--in", join(dir, "nope"), "--out", join(dir, "x.json")]);
  equal(missing.code, 2);
  ok(missing.stderr.includes("as the folder does not exist"), missing.stderr);

  const few = await run(["--in", sets[0]!, "--in", sets[1]!, "--out", join(dir, "y.json")]);
  equal(few.code, 2);
  ok(few.stderr.includes("at least 3 golden units are needed: current value is 2"), few.stderr);

  const bad = await run([
    "--in",
    sets[0]!,
    "--out",
    join(dir, "z.json"),
    "--bands-per-octave",
    "4",
  ]);
  equal(bad.code, 2);
  ok(bad.stderr.includes("--bands-per-octave as it must be 3 or 6"), bad.stderr);
  await Deno.remove(dir, { recursive: true });
});
