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
  ok(
    again.stderr.includes(
      `Cannot write --out "${out}" as it already exists: use --force to replace it`,
    ),
    again.stderr,
  );

  const missing = await run([
    "--in",
    join(dir, "nope"),
    "--in",
    sets[0]!,
    "--in",
    sets[1]!,
    "--out",
    join(dir, "x.json"),
  ]);
  equal(missing.code, 2);
  ok(missing.stderr.includes("as the folder does not exist"), missing.stderr);

  const few = await run(["--in", sets[0]!, "--in", sets[1]!, "--out", join(dir, "y.json")]);
  equal(few.code, 2);
  ok(
    few.stderr.includes(
      "Cannot derive limits as --in must be given at least 3 times (one golden set each): current count is 2",
    ),
    few.stderr,
  );

  const bad = await run([
    ...sets.slice(0, 3).flatMap((s) => ["--in", s]),
    "--out",
    join(dir, "z.json"),
    "--bands-per-octave",
    "4",
  ]);
  equal(bad.code, 2);
  ok(bad.stderr.includes("--bands-per-octave as it must be 3 or 6"), bad.stderr);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno task golden --device measures the golden units on the line station; verify --device then measures the same way and passes a good unit", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "limits.json");
  const serials = ["G-01", "G-02", "G-03", "G-04"].flatMap((s) => ["--serial", s]);
  const r = await run([
    "--device",
    "sim:studio5",
    ...serials,
    "--sets-out",
    join(dir, "sets"),
    "--out",
    out,
  ]);
  equal(r.code, 0, r.stderr);
  ok(r.stderr.includes("golden: measured G-04 in one pass of 3.32 s"), r.stderr);
  ok(r.stdout.includes("golden: 4 units of studio5 at 48000 Hz"), r.stdout);
  const limits = await readLimits(out);
  equal(limits.setup?.sweep?.method, "multiple-exponential");
  equal(limits.setup?.position.azimuthDeg, 30);
  equal(limits.golden.sets[2]!.path, join(dir, "sets", "G-03"));
  const verify = await runCli("verify.ts", [
    "--device",
    "sim:studio5",
    "--serial",
    "SIM-5",
    "--limits",
    out,
    "--no-record",
  ], { cwd: ROOT });
  equal(verify.code, 0, verify.stdout + verify.stderr);
  ok(verify.stdout.startsWith("PASS SIM-5 (studio5)"), verify.stdout);

  // On the device's axis, left/right mids look alike: the swap check's Cpk collapses and golden says so.
  const onAxis = await run([
    "--device",
    "sim:studio5",
    ...serials,
    "--azimuth",
    "0",
    "--elevation",
    "0",
    "--out",
    join(dir, "on-axis.json"),
  ]);
  equal(onAxis.code, 0, onAxis.stderr);
  ok(/mid-left\.swapped-drivers\s+-?\d+\.\d\d {2}low/.test(onAxis.stdout), onAxis.stdout);
  ok(onAxis.stderr.includes("golden: warning:"), onAxis.stderr);
  ok(onAxis.stderr.includes("mid-left.swapped-drivers"), onAxis.stderr);

  // Sets measured with `deno task measure` carry harmonic orders 2..5 at most: refused with the reason.
  const measured: string[] = [];
  for (const s of ["M-1", "M-2", "M-3"]) {
    const set = join(dir, s);
    const m = await runCli("measure.ts", [
      "--device",
      "sim:studio5",
      "--serial",
      s,
      "--mic",
      "reference",
      "--keep-harmonics",
      "--out",
      set,
    ], { cwd: ROOT });
    equal(m.code, 0, m.stderr);
    measured.push(set);
  }
  const fromMeasure = await run([
    ...measured.flatMap((s) => ["--in", s]),
    "--out",
    join(dir, "m.json"),
  ]);
  equal(fromMeasure.code, 2, fromMeasure.stderr);
  ok(
    fromMeasure.stderr.includes(
      `golden unit M-1 (${
        measured[0]
      }) has harmonic IRs of orders 2..5 only for driver "mid-left": THD and rub & buzz limits need orders 2..10 at least`,
    ),
    fromMeasure.stderr,
  );
  const both = await run([
    "--in",
    measured[0]!,
    "--device",
    "sim:studio5",
    "--out",
    join(dir, "b.json"),
  ]);
  equal(both.code, 2);
  ok(both.stderr.includes("give either --in SET (repeat) or --device sim:MODEL"), both.stderr);
  const noSerial = await run(["--device", "sim:studio5", "--out", join(dir, "c.json")]);
  equal(noSerial.code, 2);
  ok(noSerial.stderr.includes("--device needs --serial S"), noSerial.stderr);
  await Deno.remove(dir, { recursive: true });
});
