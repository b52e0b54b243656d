/**
 * `measure --device sim:MODEL --head sofa:FILE`: a swept measurement of a
 * real model on Debian's MIT KEMAR head gives the simulator's true ear IRs
 * of that head, and the flag is refused where it would mean nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_run.ts";
import { withTempDir } from "../_temp.ts";
import { readMeasurementSet } from "../../io/manifest.ts";
import { createSimDevice } from "../../sim/sim_device.ts";
import { loadSofaHead } from "../../sim/sofa_head.ts";
import { realFftPlan } from "../../dsp/fft.ts";

const KEMAR = "/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa";

Deno.test("measure --head sofa:KEMAR: the measured ear IRs are the measured head's (to -50 dB in band), the left ear first and louder for a source on the left", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "set");
    const r = await runCli("measure.ts", [
      "--device",
      "sim:studio5",
      "--serial",
      "SIM-000042",
      "--head",
      `sofa:${KEMAR}`,
      "--head-yaw-deg",
      "-60",
      "--drivers",
      "tweeter",
      "--duration-seconds",
      "0.5",
      "--ir-length-seconds",
      "0.1",
      "--out",
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const set = await readMeasurementSet(out);
    assert.match(
      set.manifest.rig.description ?? "",
      /head measured \(SOFA .*MIT_KEMAR_normal_pinna\.sofa\)/,
    );
    const position = { azimuthDeg: 0, elevationDeg: 0, distanceMeters: 2, headYawDeg: -60 };
    const truth = createSimDevice({
      model: "studio5",
      serial: "SIM-000042",
      mics: "binaural",
      measuredHead: await loadSofaHead(KEMAR),
    }).trueImpulseResponses(position).ir["tweeter"]!;
    const measured: Record<string, Float64Array> = {};
    for (const c of set.manifest.captures) measured[c.mic] = (await set.readIr(c)).channels[0]!;
    // compared in the sweep's band (20 Hz–20 kHz; the true IR also holds 20–24 kHz)
    const plan = realFftPlan(8192);
    const spectrum = (x: Float64Array) => {
      const padded = new Float64Array(8192);
      padded.set(x.subarray(0, 4800));
      return plan.forward(padded);
    };
    for (const mic of ["ear-left", "ear-right"]) {
      const a = spectrum(measured[mic]!), b = spectrum(truth[mic]!);
      let err = 0, ref = 0;
      for (let k = Math.ceil((100 * 8192) / 48000); k < (16000 * 8192) / 48000; k++) {
        err += (a.re[k]! - b.re[k]!) ** 2 + (a.im[k]! - b.im[k]!) ** 2;
        ref += b.re[k]! ** 2 + b.im[k]! ** 2;
      }
      // sweep, -90 dBFS noise and float32 files: the error is far below the IR
      const db = 10 * Math.log10(err / ref);
      assert.ok(db < -50, `${mic}: measured vs true ${db} dB`);
    }
    const energy = (x: Float64Array) => x.reduce((s, v) => s + v * v, 0);
    const ild = 10 * Math.log10(energy(measured["ear-left"]!) / energy(measured["ear-right"]!));
    assert.ok(ild > 5, `ILD ${ild} dB`);
    const first = (x: Float64Array) => {
      let peak = 0;
      for (const v of x) peak = Math.max(peak, Math.abs(v));
      return x.findIndex((v) => Math.abs(v) > 0.2 * peak);
    };
    assert.ok(first(measured["ear-left"]!) < first(measured["ear-right"]!));
  });
});

Deno.test("measure --head: exit 2 for another spelling, a reference mic, an ear angle, or a missing file", async () => {
  await withTempDir(async (dir) => {
    const base = ["--device", "sim:studio5", "--serial", "S", "--duration-seconds", "0.3"];
    const cases: [string[], RegExp][] = [
      [["--head", "kemar"], /--head as it must be sphere or sofa:FILE: current value is "kemar"/],
      [["--head", `sofa:${KEMAR}`, "--mic", "reference"], /--head with --mic reference/],
      [
        ["--head", `sofa:${KEMAR}`, "--ear-angle-deg", "100"],
        /earAngleDeg must be unset with a measured head/,
      ],
      [
        ["--head", `sofa:${join(dir, "none.sofa")}`],
        /Cannot read SOFA file .*none\.sofa.* must name an existing file/,
      ],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli("measure.ts", [...base, ...flags, "--out", join(dir, "x")]);
      assert.equal(r.code, 2, `${flags.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});
