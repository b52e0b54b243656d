/**
 * Every check has its evidence, or the unit cannot be judged (exit 2, nothing recorded): issue
 * 13, "PASS on data that cannot be judged" and the edited-limits half of "Hashes without a key".
 * Each case passed (exit 0) before.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { computeLimits } from "../../calibrate/golden.ts";
import {
  type Limits,
  limitsContentSha256,
  limitsToJson,
  writeUnitMeasurement,
} from "../../calibrate/limits.ts";
import { encodeWav } from "../../io/wav.ts";
import { SYNTH_STATION, synthUnit } from "../calibrate/_units.ts";
import { runCli } from "./_run.ts";
import { withTempDir } from "../_temp.ts";

const goldenLimits = async () =>
  await computeLimits(Array.from({ length: 8 }, (_, i) => synthUnit(300 + i)));

/** Verify `set` against `limits` without recording; returns exit code and output. */
const verify = (set: string, limits: string) =>
  runCli("verify.ts", ["--in", set, "--limits", limits, "--no-record"]);

/** Write an edited limits file with its sha256 recomputed (what an editor with the format does). */
async function rehashed(path: string, json: Record<string, unknown>): Promise<void> {
  const { sha256: _old, ...rest } = json;
  const sha256 = await limitsContentSha256(rest as unknown as Limits);
  await Deno.writeTextFile(path, JSON.stringify({ ...rest, sha256 }, null, 2));
}

Deno.test("a rub & buzz unit fails (1); with its harmonic IRs zeroed it cannot be judged (2), never a pass", async () => {
  await withTempDir(async (dir) => {
    const limits = join(dir, "limits.json");
    await Deno.writeTextFile(limits, limitsToJson(await goldenLimits()));
    const set = join(dir, "rub");
    await writeUnitMeasurement(set, synthUnit(900, [{ kind: "rub-buzz", driver: "mid" }]));
    let r = await verify(set, limits);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /mid rubs or buzzes/);
    const manifest = JSON.parse(await Deno.readTextFile(join(set, "manifest.json")));
    for (const c of manifest.captures) {
      const channels = Array.from({ length: 19 }, () => new Float64Array(800));
      await Deno.writeFile(
        join(set, c.harmonics),
        encodeWav({ sampleRate: 48000, channels }, { encoding: "float" }),
      );
    }
    r = await verify(set, limits);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /the harmonic IR of order 2 of driver "woofer" is silent \(all zero\), which no measurement gives, so THD and rub & buzz cannot be judged/,
    );
    assert.doesNotMatch(r.stdout, /PASS/);
  });
});

Deno.test("a unit measured at the wrong level is refused (2), also once `sweep` is deleted from its manifest", async () => {
  await withTempDir(async (dir) => {
    const limits = join(dir, "limits.json");
    await Deno.writeTextFile(limits, limitsToJson(await goldenLimits()));
    const set = join(dir, "loud");
    const loud = { ...SYNTH_STATION, sweep: { ...SYNTH_STATION.sweep!, levelDbfs: -6 } };
    await writeUnitMeasurement(set, { ...synthUnit(901), setup: loud });
    let r = await verify(set, limits);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /-24 dBFS sweep but the unit was measured with .* -6 dBFS/);
    const path = join(set, "manifest.json");
    const { sweep: _deleted, ...manifest } = JSON.parse(await Deno.readTextFile(path));
    await Deno.writeTextFile(path, JSON.stringify(manifest, null, 2));
    r = await verify(set, limits);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.ok(
      r.stderr.includes(
        "the measurement records no station setup (the sweep: its manifest has no sweep), so it cannot be checked against the limits' (20–20000 Hz at -24 dBFS)",
      ),
      r.stderr,
    );
  });
});

Deno.test("re-hashed limits with referenceIr: [] do not pass a reversed-polarity unit; with fewer drivers they do not pass a quiet driver", async () => {
  await withTempDir(async (dir) => {
    const golden = await goldenLimits();
    const limits = join(dir, "limits.json");
    await Deno.writeTextFile(limits, limitsToJson(golden));
    const reversed = join(dir, "reversed");
    await writeUnitMeasurement(reversed, synthUnit(902, [{ kind: "polarity", driver: "mid" }]));
    const quiet = join(dir, "quiet");
    await writeUnitMeasurement(
      quiet,
      synthUnit(903, [{ kind: "sensitivity", driver: "tweeter", offsetDb: -10 }]),
    );
    // The true limits catch both.
    let r = await verify(reversed, limits);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /mid is connected with reversed polarity/);
    r = await verify(quiet, limits);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /tweeter is 10\.\d dB too quiet/);

    const json = JSON.parse(limitsToJson(golden));
    const noReference = join(dir, "no-reference.json");
    for (const id of json.drivers) json.driverLimits[id].referenceIr = [];
    await rehashed(noReference, json);
    r = await verify(reversed, noReference);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.ok(
      r.stderr.includes(
        `Cannot read limits "${noReference}" as driverLimits.woofer.referenceIr must hold analysis.referenceIrSamples (1024) samples: current value is "0 samples"`,
      ),
      r.stderr,
    );

    const fewer = JSON.parse(limitsToJson(golden));
    fewer.drivers = ["woofer", "mid"];
    delete fewer.driverLimits.tweeter;
    const fewerPath = join(dir, "fewer.json");
    await rehashed(fewerPath, fewer);
    r = await verify(quiet, fewerPath);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.ok(
      r.stderr.includes(
        `the limits "${fewerPath}" cover drivers woofer, mid but the unit has woofer, mid, tweeter`,
      ),
      r.stderr,
    );
  });
});

Deno.test("verify --device refuses limits without a station setup before measuring (no default station stands in for it)", async () => {
  await withTempDir(async (dir) => {
    const json = JSON.parse(limitsToJson(await goldenLimits()));
    delete json.setup;
    const limits = join(dir, "no-setup.json");
    await rehashed(limits, json);
    const r = await runCli("verify.ts", [
      "--device",
      "sim:studio5",
      "--serial",
      "U1",
      "--limits",
      limits,
      "--no-record",
    ]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.ok(
      r.stderr.includes(
        `Cannot verify unit U1 as the limits "${limits}" record no station setup (mic position and sweep)`,
      ),
      r.stderr,
    );
    assert.doesNotMatch(r.stderr, /verify: measured/);
  });
});
