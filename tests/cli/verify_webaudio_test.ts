/**
 * `golden` and `verify` with `--device webaudio` through the real JACK
 * loopback of `.ci/jack_loopback.sh` (fixtures/jack/rig.json: drivers ch1–ch4
 * go through jconvolver's known IRs, the "room" mic on capture 6 hears their
 * sum, 8 → 8 is the loopback cable). The same hardware is every golden unit,
 * so the golden spread is zero and the σ floor (--min-sigma-db) sets the
 * limits.
 *
 * Without a JACK server the loopback tests are skipped, unless `CI` is set:
 * then they must run (and fail without a server). They take a lock file and
 * wait for other webaudio clients to leave the server first: two clients
 * patched onto the same `system:` ports would hear each other.
 *
 * @module
 */
import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { computeLimits } from "../../calibrate/golden.ts";
import { limitsToJson, readLimits, readUnitMeasurement } from "../../calibrate/limits.ts";
import { measureSimUnit } from "../../calibrate/line_sim.ts";
import { DEFAULT_STATION, measureStationUnit } from "../../calibrate/line_station.ts";
import type { AudioDevice } from "../../measure/audio_device.ts";
import { jackServerRunning, listJackConnections } from "../../measure/jack.ts";
import { createSimDevice } from "../../sim/sim_device.ts";
import { errorDb } from "../_assert.ts";
import { jackTest } from "../_jack_loopback.ts";
import { runCli } from "./_run.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const RIG = join(ROOT, "fixtures/jack/rig.json");
const SWAPPED = join(ROOT, "fixtures/jack/rig_swapped.json");
/** Short sweeps keep the file near 40 s: 4 drivers × 0.5 s per unit. */
const SWEEP = ["--duration-seconds", "0.5"];

const jackUp = await jackServerRunning();
const skipJack = !jackUp && Deno.env.get("CI") === undefined;
if (skipJack) {
  console.log(
    "verify_webaudio_test: no JACK server runs and CI is not set: skipping the JACK loopback tests (start one with `bash .ci/jack_loopback.sh start`)",
  );
}

const golden = (args: string[]) => runCli("golden.ts", args, { cwd: ROOT });
const verify = (args: string[]) => runCli("verify.ts", args, { cwd: ROOT });

/**
 * Hold an exclusive lock on the JACK loopback and wait (up to 120 s) until no
 * other node-web-audio-api client has ports on the server.
 */
async function lockLoopback(): Promise<Deno.FsFile> {
  const file = await Deno.open(join(Deno.env.get("TMPDIR") ?? "/tmp", "spatialcal-jack.lock"), {
    create: true,
    write: true,
  });
  await file.lock(true);
  for (let i = 0; i < 1200; i++) {
    const ports = await listJackConnections().catch(() => new Map<string, string[]>());
    if (![...ports.keys()].some((p) => p.startsWith("cpal_client_"))) return file;
    await new Promise((r) => setTimeout(r, 100));
  }
  file.close();
  throw new Error("another webaudio client kept the JACK loopback busy for 120 s");
}

jackTest({
  name:
    "golden --device webaudio (3 serials on the loopback) then verify --device webaudio: the same hardware passes (exit 0), a rig with ch1/ch2 crossed fails as swapped drivers (exit 1)",
  ignore: skipJack,
  fn: async () => {
    const lock = await lockLoopback();
    const dir = await Deno.makeTempDir();
    try {
      const limitsPath = join(dir, "limits.json");
      const g = await golden([
        "--device",
        "webaudio",
        "--rig",
        RIG,
        ..."ABC".split("").flatMap((s) => ["--serial", `JL-${s}`]),
        "--no-prompt",
        ...SWEEP,
        "--out",
        limitsPath,
      ]);
      equal(g.code, 0, g.stdout + g.stderr);
      ok(
        g.stderr.includes("golden: measured JL-C (jack-loopback) with synchronized-exponential"),
        g.stderr,
      );
      ok(g.stdout.includes("golden: 3 units of jack-loopback at 48000 Hz"), g.stdout);
      const limits = await readLimits(limitsPath);
      equal(limits.model, "jack-loopback");
      equal(limits.setup?.sweep?.method, "synchronized-exponential");
      equal(limits.setup?.sweep?.durationSeconds, 0.5);
      equal(limits.setup?.position.azimuthDeg, DEFAULT_STATION.position.azimuthDeg);
      ok(Object.keys(limits.driverLimits).join() === "ch1,ch2,ch3,ch4");

      const set = join(dir, "V-1");
      const pass = await verify([
        "--device",
        "webaudio",
        "--rig",
        RIG,
        "--serial",
        "V-1",
        "--limits",
        limitsPath,
        "--out",
        set,
        "--no-record",
      ]);
      equal(pass.code, 0, pass.stdout + pass.stderr);
      equal(pass.stdout.trim(), "PASS V-1 (jack-loopback)");
      // The saved set is judged the same way from disk.
      const unit = await readUnitMeasurement(set);
      equal(unit.setup?.sweep?.method, "synchronized-exponential");
      ok(unit.captures.every((c) => c.harmonics.length === DEFAULT_STATION.harmonicCount - 1));
      const fromSet = await verify(["--in", set, "--limits", limitsPath, "--no-record"]);
      equal(fromSet.code, 0, fromSet.stdout + fromSet.stderr);

      const swapped = await verify([
        "--device",
        "webaudio",
        "--rig",
        SWAPPED,
        "--serial",
        "V-2",
        "--limits",
        limitsPath,
        "--no-record",
        "--json",
      ]);
      equal(swapped.code, 1, swapped.stdout + swapped.stderr);
      const verdict = JSON.parse(swapped.stdout);
      equal(verdict.passed, false);
      // ch1 now plays through ch2's IR and the other way round; ch3 and ch4 are untouched.
      equal(
        verdict.violations.map((x: { check: string; driver: string }) => `${x.driver}:${x.check}`)
          .join(),
        "ch1:swapped-drivers,ch2:swapped-drivers",
      );
      ok(
        verdict.violations[0].reason.startsWith(
          "the signal sent to ch1 comes out of what sounds like ch2",
        ),
        verdict.violations[0].reason,
      );
      // The loopback is digital: a crossed driver's IR is its neighbour's golden IR exactly.
      ok(verdict.metrics.drivers.ch1.bestOtherCorrelation > 0.999);
    } finally {
      lock.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

jackTest({
  name:
    "verify --device webaudio refuses limits of another model or another sweep method before measuring (exit 2)",
  ignore: skipJack,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const lock = await lockLoopback();
    try {
      // Limits of three simulated studio5 units, one multiple-sweep pass each.
      const station = { ...DEFAULT_STATION, durationSeconds: 0.5 };
      const units = [];
      for (const serial of ["S-1", "S-2", "S-3"]) {
        units.push((await measureSimUnit({ model: "studio5", serial, station })).unit);
      }
      const simLimits = join(dir, "sim.json");
      await Deno.writeTextFile(simLimits, limitsToJson(await computeLimits(units)));
      const args = ["--serial", "V-3", "--limits", simLimits, "--no-record"];
      const model = await verify(["--device", "webaudio", "--rig", RIG, ...args]);
      equal(model.code, 2, model.stdout + model.stderr);
      ok(
        model.stderr.includes(
          `Cannot verify V-3 as the limits "${simLimits}" are for model "studio5" but the rig's device.model is "jack-loopback"`,
        ),
        model.stderr,
      );
      ok(!model.stderr.includes("verify: measured"), model.stderr);
      // The same loopback declared as a studio5: the model agrees, the method does not.
      const rig = JSON.parse(await Deno.readTextFile(RIG));
      rig.device.model = "studio5";
      const studioRig = join(dir, "studio5-rig.json");
      await Deno.writeTextFile(studioRig, JSON.stringify(rig));
      const method = await verify(["--device", "webaudio", "--rig", studioRig, ...args]);
      equal(method.code, 2, method.stdout + method.stderr);
      ok(
        method.stderr.includes(
          "were made with multiple-exponential sweeps but this station measures 4 drivers with synchronized-exponential sweeps (it plays at most 2 outputs at once): make the limits with golden --device webaudio on this station",
        ),
        method.stderr,
      );
      ok(!method.stderr.includes("verify: measured"), method.stderr);
    } finally {
      lock.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("golden and verify refuse webaudio without --rig, sim-only flags with webaudio, --rig with sim, and a prompt on a closed stdin (exit 2, nothing measured)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const limits = join(dir, "none.json");
    await Deno.writeTextFile(limits, "{}");
    const cases: [string, string[], string][] = [
      [
        "verify.ts",
        ["--device", "webaudio", "--serial", "X", "--limits", limits],
        "verify: --device webaudio needs --rig FILE",
      ],
      [
        "verify.ts",
        [
          "--device",
          "webaudio",
          "--rig",
          RIG,
          "--serial",
          "X",
          "--limits",
          limits,
          "--sim-defects",
          "{}",
        ],
        'Cannot use --sim-defects with --device webaudio as it applies to sim devices only: current value is "{}"',
      ],
      [
        "verify.ts",
        ["--device", "sim:studio5", "--rig", RIG, "--serial", "X", "--limits", limits],
        `Cannot use --rig with --device sim:studio5 as it applies to webaudio devices only: current value is "${RIG}"`,
      ],
      [
        "verify.ts",
        ["--device", "alsa:hw0", "--serial", "X", "--limits", limits],
        'Cannot use --device as it must be sim:MODEL or webaudio[:NAME]: current value is "alsa:hw0"',
      ],
      [
        "golden.ts",
        [
          "--device",
          "webaudio",
          "--serial",
          "A",
          "--serial",
          "B",
          "--serial",
          "C",
          "--out",
          join(dir, "l.json"),
        ],
        "golden: --device webaudio needs --rig FILE",
      ],
      [
        "golden.ts",
        [
          "--device",
          "sim:studio5",
          "--no-prompt",
          "--serial",
          "A",
          "--serial",
          "B",
          "--serial",
          "C",
          "--out",
          join(dir, "l.json"),
        ],
        'Cannot use --no-prompt with --device sim:studio5 as it applies to webaudio devices only: current value is "true"',
      ],
    ];
    for (const [script, args, message] of cases) {
      const r = await runCli(script, args, { cwd: ROOT });
      equal(r.code, 2, `${script} ${args.join(" ")}: ${r.stderr}`);
      ok(r.stderr.includes(message), r.stderr);
    }
    // Without --no-prompt, golden waits for Enter before each unit; a closed stdin is refused
    // before the audio device is opened.
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(ROOT, "cli/golden.ts"),
        "--device",
        "webaudio",
        "--rig",
        RIG,
        ..."ABC".split("").flatMap((s) => ["--serial", s]),
        "--out",
        join(dir, "l.json"),
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    equal(out.code, 2, stderr);
    ok(stderr.includes("Put golden unit A on the station — press Enter when ready"), stderr);
    ok(
      stderr.includes(
        "Cannot wait for the operator as stdin is closed (Put golden unit A on the station): run golden in a terminal, or pass --no-prompt when a handler loads the units",
      ),
      stderr,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("measureStationUnit() measures a device that plays every driver in one multiple-sweep pass (= measureSimUnit), and a 2-output webaudio-like device driver by driver with synchronized sweeps (same IRs within -60 dB)", async () => {
  const station = { ...DEFAULT_STATION, durationSeconds: 0.5 };
  const options = { model: "studio5", serial: "ST-1", noiseLevelDbfs: -200 };
  const reference = (await measureSimUnit({ ...options, station })).unit;
  const open = async () => {
    const d = createSimDevice({ ...options, sampleRate: 48000, mics: "reference" });
    await d.moveTo(station.position); // the sim's mic is placed; a real station's is fixed
    return d;
  };
  const sim = await open();
  const onePass = await measureStationUnit(sim, station, "ST-1", "studio5");
  await sim.close();
  equal(onePass.method, "multiple-exponential");
  equal(JSON.stringify(onePass.unit.setup), JSON.stringify(reference.setup));
  onePass.unit.captures.forEach((c, i) => {
    // the same pass on the same seeded device: bit-identical
    equal(errorDb(c.ir, reference.captures[i]!.ir), -Infinity);
  });
  // The same simulated unit behind a device that, like webaudio, plays at most 2 outputs at once.
  const inner = await open();
  const played: number[] = [];
  const narrow: AudioDevice = {
    name: inner.name,
    sampleRate: inner.sampleRate,
    model: inner.model,
    serial: inner.serial,
    outputs: inner.outputs,
    inputs: inner.inputs,
    description: inner.description,
    backend: "webaudio",
    moveTo: () => Promise.reject(new Error("the station must not move its mic")),
    playRecord: (request) => {
      played.push(request.outputs.length);
      return inner.playRecord(request);
    },
    close: () => inner.close(),
  };
  const sequential = await measureStationUnit(narrow, station, "ST-1", "studio5");
  await narrow.close();
  equal(sequential.method, "synchronized-exponential");
  equal(sequential.unit.setup?.sweep?.method, "synchronized-exponential");
  equal(played.join(), "1,1,1,1,1"); // one driver per capture
  equal(sequential.unit.drivers.join(), reference.drivers.join());
  const errors = sequential.unit.captures.map((c, i) => {
    equal(c.driver, reference.captures[i]!.driver);
    equal(c.harmonics.length, station.harmonicCount - 1); // orders 2..30: rub & buzz needs >= 10
    return errorDb(c.ir, reference.captures[i]!.ir);
  });
  // -60 dB: both are the same linear system; only the drivers' distortion products, which land
  // in other windows in the one-pass time line, differ.
  console.log(`sequential vs one-pass IR error: ${errors.map((e) => e.toFixed(1)).join(", ")} dB`);
  ok(errors.every((e) => e < -60), errors.map((e) => e.toFixed(1)).join(", "));
});
