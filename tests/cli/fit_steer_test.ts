import assert from "node:assert/strict";
import { runCli } from "./_run.ts";
import { join, withTempDir, writeTrueSet } from "../calibrate/_sets.ts";
import { readBundle } from "../../calibrate/bundle.ts";

Deno.test("deno task fit --ctc-target FILE --regularization IN,OUT --taps auto records the choices in bundle.json and reports them", async () => {
  await withTempDir(async (dir) => {
    await writeTrueSet(join(dir, "set"));
    const target = join(dir, "target.txt");
    await Deno.writeTextFile(target, "# flat 25 dB\n1000 25\n6000 25\n");
    const out = join(dir, "b");
    const r = await runCli("fit.ts", [
      "--in",
      join(dir, "set"),
      "--out",
      out,
      "--upmix",
      "none",
      "--virtualizer",
      "none",
      "--ctc-target",
      target,
      "--regularization",
      "2e-3,0.5",
      "--taps",
      "auto",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /taps auto: 64 → -\d+(\.\d)? dB, .* 1024 → -\d+(\.\d)? dB \(chose 1024/);
    const { bundle } = await readBundle(out);
    // deno-lint-ignore no-explicit-any
    const design = bundle.design as Record<string, any>;
    assert.deepEqual(design.leftRight.targetSeparation.breakpoints, [
      { hz: 1000, db: 25 },
      { hz: 6000, db: 25 },
    ]);
    assert.equal(design.leftRight.regularization.inBand, 2e-3);
    assert.equal(design.leftRight.regularization.outOfBand, 0.5);
    assert.equal(bundle.taps, 1024);
    assert.equal(design.tapsChoice.option, "auto");
    assert.equal(typeof bundle.predicted.maxFilterGainDb, "number");
  });
});

Deno.test("deno task fit exits 2 for bad --ctc-target and --regularization values", async () => {
  await withTempDir(async (dir) => {
    await writeTrueSet(join(dir, "set"));
    const cases: [string[], RegExp][] = [
      [
        ["--ctc-target", "1000=25"],
        /Cannot read target separation as --ctc-target must hold Hz:dB pairs: current value is "1000=25"/,
      ],
      [
        ["--ctc-target", "6000:25,1000:25"],
        /must list ascending Hz > 0 with dB >= 0: current value is 1000:25/,
      ],
      [
        ["--regularization", "0,1"],
        /Cannot use --regularization as it must be IN\[,OUT\] with numbers > 0: current value is "0,1"/,
      ],
      [
        ["--taps", "autox"],
        /Cannot use --taps as it must be a finite number: current value is "autox"/,
      ],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli("fit.ts", [
        "--in",
        join(dir, "set"),
        "--out",
        join(dir, "b"),
        ...flags,
      ]);
      assert.equal(r.code, 2, `${flags.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });
});
