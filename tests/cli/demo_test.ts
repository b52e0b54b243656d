import assert from "node:assert/strict";
import { runCli } from "./_run.ts";
import { join, withTempDir } from "../calibrate/_sets.ts";

Deno.test("deno task demo (anechoic, 30° arc for speed) measures, fits, evaluates and summarizes in plain words", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "demo");
    const r = await runCli("demo.ts", ["--room", "anechoic", "--arc-step-deg", "30", "--out", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Summary for simulated studio5 SIM-000123 \(anechoic\)/);
    assert.match(
      r.stdout,
      /Crosstalk cancellation: with pure CTC the ears are [\d.]+ dB apart on average over 300 Hz-6 kHz in the anechoic room \(all of it direct sound\), where the target curve asks [\d.]+ dB/,
    );
    // Every summary sentence reads cleanly: no gap left by an empty phrase.
    assert.doesNotMatch(r.stdout, /^- .*\S {2,}\S/m);
    // The demo's point: on this unit the per-unit filters miss the target by less than the
    // idealized-model ones, for pure CTC and for the shipped filters.
    const m =
      /Per-unit vs idealized-model filters on this unit: the target is missed by ([\d.]+) dB \(per-unit\) vs ([\d.]+) dB \(idealized\) for pure CTC, ([\d.]+) vs ([\d.]+) dB for the shipped filters/
        .exec(r.stdout);
    assert.ok(m, r.stdout);
    const [perUnitCtc, idealCtc, perUnitShipped, idealShipped] = m.slice(1).map(Number);
    assert.ok(perUnitCtc! < idealCtc!, `pure CTC: ${perUnitCtc} vs ${idealCtc} dB`);
    assert.ok(perUnitShipped! < idealShipped!, `shipped: ${perUnitShipped} vs ${idealShipped} dB`);
    // The bare device, in words, and the report it ends with.
    const bare = /the ears are only (-?[\d.]+) dB apart/.exec(r.stdout);
    assert.ok(bare && Math.abs(Number(bare[1])) < 2, r.stdout);
    assert.match(r.stdout, new RegExp(`report with plots: ${join(out, "report.html")}\n?$`));
    assert.match(
      await Deno.readTextFile(join(out, "report.html")),
      /<figure class="plot" id="bundle-separation">/,
    );
    for (const name of ["set-SIM-000123", "set-nominal", "bundle-SIM-000123", "bundle-nominal"]) {
      assert.ok((await Deno.stat(join(out, name))).isDirectory, name);
    }
    const again = await runCli("demo.ts", ["--out", out]);
    assert.equal(again.code, 2);
    assert.match(
      again.stderr,
      /Cannot write --out ".*demo" as it already exists: use --force to replace it/,
    );
    const bad = await runCli("demo.ts", ["--arc-step-deg", "7"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--arc-step-deg as it must divide 90/);
  });
});
