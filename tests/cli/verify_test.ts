import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { computeLimits } from "../../calibrate/golden.ts";
import { limitsToJson, writeUnitMeasurement } from "../../calibrate/limits.ts";
import { measureSimUnit } from "../../calibrate/line_sim.ts";
import { DEFAULT_STATION } from "../../calibrate/line_station.ts";
import { openRecords } from "../../calibrate/records.ts";
import { synthUnit } from "../calibrate/_units.ts";
import { runCli } from "./_run.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const POSITION = { azimuthDeg: 30, elevationDeg: 20, distanceMeters: 0.5 };

const run = (args: string[]) => runCli("verify.ts", args, { cwd: ROOT });

const dir = await Deno.makeTempDir();
const limitsPath = join(dir, "limits.json");
await Deno.writeTextFile(
  limitsPath,
  limitsToJson(await computeLimits(Array.from({ length: 12 }, (_, i) => synthUnit(600 + i)))),
);
const good = join(dir, "good");
await writeUnitMeasurement(good, synthUnit(700), { position: POSITION });
const dead = join(dir, "dead");
await writeUnitMeasurement(dead, synthUnit(701, [{ kind: "dead", driver: "mid" }]), {
  position: POSITION,
});
const other = join(dir, "other");
await writeUnitMeasurement(other, synthUnit(702, [], { model: "studio5" }), { position: POSITION });
const db = `sqlite:${join(dir, "records.db")}`;

Deno.test("deno task verify: pass exits 0, fail exits 1 with the reason, both recorded", async () => {
  const pass = await run(["--in", good, "--limits", limitsPath, "--db", db, "--station", "ST-1"]);
  equal(pass.code, 0, pass.stderr);
  ok(pass.stdout.startsWith("PASS SYN-00700 (synth3)"), pass.stdout);

  const junit = join(dir, "fail.xml");
  const fail = await run([
    "--in",
    dead,
    "--limits",
    limitsPath,
    "--db",
    db,
    "--station",
    "ST-1",
    "--batch",
    "B7",
    "--json",
    "--junit",
    junit,
  ]);
  equal(fail.code, 1, fail.stderr);
  const report = JSON.parse(fail.stdout);
  equal(report.passed, false);
  equal(report.violations[0].check, "dead-driver");
  ok(report.violations[0].reason.startsWith("mid is dead or disconnected"));
  const xml = await Deno.readTextFile(junit);
  ok(xml.includes('<testcase classname="SYN-00701.mid" name="dead-driver">'), xml);
  ok(xml.includes('<failure type="dead-driver" message="mid is dead or disconnected'), xml);
  ok(/failures="1"/.test(xml));

  const store = await openRecords(db);
  const h = await store.history("SYN-00701");
  equal(h.length, 1);
  equal(h[0]!.passed, false);
  equal(h[0]!.station, "ST-1");
  equal(h[0]!.batch, "B7");
  equal(h[0]!.setSha256?.length, 64);
  equal((await store.history("SYN-00700"))[0]!.passed, true);
  await store.close();
});

Deno.test("deno task verify: invalid input exits 2 with a clear message and records nothing", async () => {
  const store0 = await openRecords(db);
  const before = (await store0.checkConsistency()).verdicts;
  await store0.close();

  const wrongModel = await run(["--in", other, "--limits", limitsPath, "--db", db, "--json"]);
  equal(wrongModel.code, 2);
  ok(
    wrongModel.stderr.includes(
      `are for model "synth3" but the unit is "studio5"`,
    ),
    wrongModel.stderr,
  );
  equal(JSON.parse(wrongModel.stdout).invalid, true);

  const corrupt = join(dir, "corrupt.json");
  const text = await Deno.readTextFile(limitsPath);
  await Deno.writeTextFile(corrupt, text.replace('"bandK": 5', '"bandK": 50'));
  const junit = join(dir, "invalid.xml");
  const c = await run(["--in", good, "--limits", corrupt, "--db", db, "--junit", junit]);
  equal(c.code, 2);
  ok(c.stderr.includes(`Cannot read limits "${corrupt}" as sha256 must match`), c.stderr);
  ok((await Deno.readTextFile(junit)).includes('<error type="invalid-measurement"'));

  const serial = await run(["--in", good, "--limits", limitsPath, "--serial", "X-1", "--db", db]);
  equal(serial.code, 2);
  ok(serial.stderr.includes("--serial X-1 differs from the set's device.serial SYN-00700"));

  const usage = await run(["--limits", limitsPath]);
  equal(usage.code, 2);
  ok(usage.stderr.includes("give exactly one of --in SET or --device sim:MODEL"));

  const store = await openRecords(db);
  equal((await store.checkConsistency()).verdicts, before, "nothing recorded");
  await store.close();
});

Deno.test("deno task verify --device sim:studio5 measures in one pass, then judges", async () => {
  const station = DEFAULT_STATION;
  const golden = [];
  for (let i = 0; i < 6; i++) {
    golden.push((await measureSimUnit({ model: "studio5", serial: `G-${i}`, station })).unit);
  }
  const simLimits = join(dir, "studio5.json");
  await Deno.writeTextFile(simLimits, limitsToJson(await computeLimits(golden)));
  const ok1 = await run([
    "--device",
    "sim:studio5",
    "--serial",
    "SIM-77",
    "--limits",
    simLimits,
    "--no-record",
    "--out",
    join(dir, "sim-77"),
  ]);
  equal(ok1.code, 0, ok1.stdout + ok1.stderr);
  ok(
    ok1.stderr.includes("measured SIM-77 in one pass of 3.32 s (sequential sweeps: 5.50 s)"),
    ok1.stderr,
  );
  // The set written with --out verifies the same way from disk.
  const again = await run(["--in", join(dir, "sim-77"), "--limits", simLimits, "--no-record"]);
  equal(again.code, 0, again.stdout + again.stderr);

  const swapped = await run([
    "--device",
    "sim:studio5",
    "--serial",
    "SIM-78",
    "--limits",
    simLimits,
    "--no-record",
    "--sim-defects",
    '{"wiring":[1,0,2,3,4]}',
  ]);
  equal(swapped.code, 1, swapped.stdout + swapped.stderr);
  ok(
    swapped.stdout.includes("the signal sent to mid-left comes out of what sounds like mid-right"),
    swapped.stdout,
  );
});

Deno.test("deno task verify --device measures with the station setup the limits were made with", async () => {
  // A station unlike the default: mic at −40°/10°/0.6 m, a 0.8 s sweep at −20 dBFS.
  const station = {
    ...DEFAULT_STATION,
    durationSeconds: 0.8,
    levelDbfs: -20,
    position: { azimuthDeg: -40, elevationDeg: 10, distanceMeters: 0.6 },
  };
  const golden = [];
  for (let i = 0; i < 6; i++) {
    golden.push((await measureSimUnit({ model: "studio5", serial: `H-${i}`, station })).unit);
  }
  const limits = await computeLimits(golden);
  equal(limits.setup?.position.azimuthDeg, -40);
  equal(limits.setup?.sweep?.levelDbfs, -20);
  const path = join(dir, "station-b.json");
  await Deno.writeTextFile(path, limitsToJson(limits));
  const out = join(dir, "sim-79");
  const res = await run([
    "--device",
    "sim:studio5",
    "--serial",
    "SIM-79",
    "--limits",
    path,
    "--no-record",
    "--out",
    out,
  ]);
  equal(res.code, 0, res.stdout + res.stderr);
  const manifest = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
  const text = JSON.stringify(manifest);
  ok(text.includes('"azimuthDeg":-40'), text.slice(0, 2000));
  ok(text.includes('"levelDbfs":-20'), text.slice(0, 2000));
  // Another level is another setup: refused as invalid input, not judged.
  const louder = await run([
    "--device",
    "sim:studio5",
    "--serial",
    "SIM-80",
    "--limits",
    path,
    "--no-record",
    "--sim-level-dbfs",
    "-14",
  ]);
  equal(louder.code, 2, louder.stdout + louder.stderr);
  ok(louder.stderr.includes("the limits were made with a 20–20000 Hz"), louder.stderr);
});

Deno.test({
  name: "verify CLI temp files are removed",
  sanitizeResources: false,
  async fn() {
    await Deno.remove(dir, { recursive: true });
  },
});
