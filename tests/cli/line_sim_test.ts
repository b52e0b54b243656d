import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_run.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

const run = (args: string[]) => runCli("line_sim.ts", args, { cwd: ROOT });

Deno.test("deno task line-sim prints the confusion matrix, yield and cycle time, and records verdicts", async () => {
  const dir = await Deno.makeTempDir();
  const r = await run([
    "--units",
    "4",
    "--defect-rate",
    "0.5",
    "--seed",
    "3",
    "--golden-units",
    "4",
    "--db",
    `sqlite:${join(dir, "line.db")}`,
  ]);
  equal(r.code, 0, r.stderr);
  ok(r.stdout.includes("unit type        units  caught  missed"), r.stdout);
  ok(/^good\s+\d+\s+passed \d+, false rejects \d+/m.test(r.stdout), r.stdout);
  ok(/yield: [\d.]+ % passed/.test(r.stdout));
  ok(
    /capture per unit: 3\.32 s one pass \(sequential sweeps: 5\.50 s, saved 2\.18 s\)/.test(
      r.stdout,
    ),
    r.stdout,
  );
  ok(/cycle time per unit: [\d.]+ s/.test(r.stdout));
  const h = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(ROOT, "cli/records.ts"),
      "--db",
      `sqlite:${join(dir, "line.db")}`,
      "--batch",
      "line-sim-3",
      "--json",
    ],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  equal(JSON.parse(new TextDecoder().decode(h.stdout)).tested, 4);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno task line-sim rejects bad flags with exit 2", async () => {
  const missing = await run(["--units", "4"]);
  equal(missing.code, 2);
  ok(missing.stderr.includes("Missing required flag --defect-rate"), missing.stderr);
  const rate = await run(["--units", "4", "--defect-rate", "2", "--seed", "1"]);
  equal(rate.code, 2);
  ok(
    rate.stderr.includes(
      "Cannot use --defect-rate as it must be between 0 and 1: current value is 2",
    ),
    rate.stderr,
  );
  const unknown = await run(["--units", "4", "--defect-rate", "0", "--seed", "1", "--bogus"]);
  equal(unknown.code, 2);
});

Deno.test("deno task line-sim --power N --power-types prints the detection-power table for those types", async () => {
  const r = await run([
    "--units",
    "1",
    "--defect-rate",
    "0",
    "--seed",
    "3",
    "--golden-units",
    "4",
    "--power",
    "2",
    "--power-types",
    "dead-driver,resonance",
  ]);
  equal(r.code, 0, r.stderr);
  ok(r.stdout.includes("detection power (2 units per size, seed 3):"), r.stdout);
  ok(r.stdout.includes("| dead-driver | dead | 2 | 100 % | 100 % |"), r.stdout);
  ok(r.stdout.includes("| resonance | +4 dB, Q 10 | 2 | 100 % | 100 % |"), r.stdout);
  ok(!r.stdout.includes("| sensitivity |"), r.stdout);
  const bad = await run([
    "--units",
    "1",
    "--defect-rate",
    "0",
    "--seed",
    "3",
    "--power",
    "2",
    "--power-types",
    "wobble",
  ]);
  equal(bad.code, 2);
  ok(bad.stderr.includes("--power-types as each must be one of"), bad.stderr);
});
