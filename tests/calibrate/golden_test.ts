import { equal, ok } from "node:assert/strict";
import { computeLimits } from "../../calibrate/golden.ts";
import { limitsContentSha256, limitsToJson, parseLimits } from "../../calibrate/limits.ts";
import { verifyUnit } from "../../calibrate/verify.ts";
import { InputError } from "../../io/errors.ts";
import { synthUnit } from "./_units.ts";

async function rejects(
  p: Promise<unknown>,
  cls: abstract new (...args: never[]) => Error,
  text: string,
): Promise<void> {
  try {
    await p;
  } catch (e) {
    ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
    ok((e as Error).message.includes(text), `message "${(e as Error).message}" lacks "${text}"`);
    return;
  }
  throw new Error(`expected ${cls.name}`);
}

const golden = Array.from({ length: 12 }, (_, i) => synthUnit(100 + i));

Deno.test("computeLimits() derives per-driver passbands, limits and Cpk from good units", async () => {
  const limits = await computeLimits(golden, { createdAt: "2026-11-26T10:00:00Z" });
  equal(limits.format, "spatialcal.limits");
  equal(limits.version, 2);
  equal(limits.model, "synth3");
  equal(limits.sampleRate, 48000);
  equal(limits.drivers.join(","), "woofer,mid,tweeter");
  equal(limits.golden.unitCount, 12);
  const w = limits.driverLimits.woofer!;
  const t = limits.driverLimits.tweeter!;
  // The woofer is a 60 Hz–2 kHz band-pass: its passband (bands within 20 dB
  // of its peak) starts at the lowest band and ends below the tweeter's.
  ok(w.passbandHz[0] < 60 && w.passbandHz[1] > 2000 && w.passbandHz[1] < 20000);
  ok(t.passbandHz[0] > 500, `tweeter passband ${t.passbandHz}`);
  // Units spread 0.3 dB in gain: σ of sensitivity about 0.3 dB (sampling
  // error of 12 units ±30 %).
  ok(w.sensitivity.sigmaDb > 0.15 && w.sensitivity.sigmaDb < 0.5, `${w.sensitivity.sigmaDb}`);
  ok(w.sensitivity.upperDb - w.sensitivity.meanDb > 0.5);
  equal(w.polarity, 1);
  ok(w.referenceIr.length === 1024);
  // The synthetic drivers are far apart in band: large polarity and swap margins.
  ok(limits.cpk["mid.polarity"]! > 10 && limits.cpk["mid.swapped-drivers"]! > 1.33);
  for (const [check, value] of Object.entries(limits.cpk)) {
    if (check.endsWith(".polarity") || check.endsWith(".swapped-drivers")) continue;

    ok(value >= 3.5 / 3 - 1e-9, `${check} Cpk ${value}`);
  }
  const parsed = await parseLimits(limitsToJson(limits), "limits.json");
  equal(parsed.sha256, limits.sha256);
});

Deno.test("parseLimits() refuses a corrupt or edited limits file with InputError", async () => {
  const limits = await computeLimits(golden.slice(0, 4));
  const text = limitsToJson(limits);
  await rejects(
    parseLimits(text.slice(0, 100), "l.json"),
    InputError,
    'Cannot read limits "l.json" as it is not valid JSON',
  );
  const edited = text.replace(/"bandK": 5/, '"bandK": 9');
  await rejects(
    parseLimits(edited, "l.json"),
    InputError,
    'Cannot read limits "l.json" as sha256 must match the SHA-256 of the content',
  );
  const other = JSON.stringify({ ...JSON.parse(text), format: "spatialcal.filter-bundle" });
  await rejects(
    parseLimits(other, "l.json"),
    InputError,
    'Cannot read limits "l.json" as format must be "spatialcal.limits": current value is "spatialcal.filter-bundle"',
  );
  await rejects(
    parseLimits("[1, 2, 3]", "l.json"),
    InputError,
    'Cannot read limits "l.json" as the top level must be a JSON object: current value is "an array of 3"',
  );
  const v3 = JSON.stringify({ ...JSON.parse(text), version: 3 });
  await rejects(
    parseLimits(v3, "l.json"),
    InputError,
    "version must be 1 or 2 (this reader's versions): current value is 3",
  );
  // The fine limits are hashed like everything else: one edited band limit is refused.
  const fineEdited = JSON.parse(text);
  fineEdited.driverLimits.mid.fine.residual.upperDb[3] += 5;
  await rejects(
    parseLimits(JSON.stringify(fineEdited), "l.json"),
    InputError,
    "sha256 must match the SHA-256 of the content",
  );
  // A version-1 file carrying version-2 fields is refused (a v1 reader would skip them).
  const mixed = JSON.parse(text);
  mixed.version = 1;
  mixed.sha256 = await limitsContentSha256(mixed);
  await rejects(
    parseLimits(JSON.stringify(mixed), "l.json"),
    InputError,
    "rules.fineK is a version-2 field, so version must be 2: current value is 1",
  );
  const noDriver = JSON.parse(text);
  delete noDriver.driverLimits.mid;
  await rejects(
    parseLimits(JSON.stringify(noDriver), "l.json"),
    InputError,
    "driverLimits.mid must be an object (one per driver): current value is undefined",
  );
});

Deno.test("computeLimits() rejects too few, mixed or incomplete golden units with RangeError", async () => {
  await rejects(
    computeLimits(golden.slice(0, 2)),
    RangeError,
    "Cannot compute limits as at least 3 golden units are needed: current value is 2",
  );
  await rejects(
    computeLimits([...golden.slice(0, 3), synthUnit(7, [], { model: "other" })]),
    RangeError,
    'every golden unit must be the same model: unit SYN-00100 is "synth3", unit SYN-00007 is "other"',
  );
  await rejects(
    computeLimits([...golden.slice(0, 3), synthUnit(7, [], { sampleRate: 44100 })]),
    RangeError,
    "every golden unit must have the same sample rate: unit SYN-00100 has 48000 Hz, unit SYN-00007 has 44100 Hz",
  );
  const partial = { ...synthUnit(8), captures: synthUnit(8).captures.slice(0, 2) };
  await rejects(
    computeLimits([...golden.slice(0, 3), partial]),
    RangeError,
    'golden unit SYN-00008 has no capture of driver "tweeter": captures are woofer, mid',
  );
  // THD and rub & buzz limits need the harmonic IRs (orders 2..10 at least).
  const noHarmonics = {
    ...synthUnit(9),
    captures: synthUnit(9).captures.map((c) => ({ ...c, harmonics: [] })),
  };
  await rejects(
    computeLimits([...golden.slice(0, 3), noHarmonics]),
    RangeError,
    'golden unit SYN-00009 has no harmonic IRs for driver "woofer": THD and rub & buzz limits need orders 2..10 at least',
  );
  const fewOrders = {
    ...synthUnit(9),
    captures: synthUnit(9).captures.map((c) => ({ ...c, harmonics: c.harmonics.slice(0, 4) })),
  };
  await rejects(
    computeLimits([...golden.slice(0, 3), fewOrders]),
    RangeError,
    'golden unit SYN-00009 has harmonic IRs of orders 2..5 only for driver "woofer"',
  );
  await rejects(
    computeLimits([golden[0]!, golden[1]!, golden[0]!]),
    RangeError,
    "every golden unit must be a different unit: units 1 and 3 are both serial SYN-00100",
  );
  await rejects(
    computeLimits(golden.slice(0, 3), { rules: { bandK: -1 } }),
    RangeError,
    "rules.bandK must be a finite number > 0: current value is -1",
  );
  await rejects(
    computeLimits(golden.slice(0, 3), { rules: { bandGuardDb: -5 } }),
    RangeError,
    "rules.bandGuardDb must be a finite number >= 0: current value is -5",
  );
  await rejects(
    computeLimits(golden.slice(0, 3), { minSigmaDb: 0 }),
    RangeError,
    "minSigmaDb must be between 0.01 and 3 dB: current value is 0",
  );
});

Deno.test("version-1 limits (fine: false) are still read and judge as before; version 2 adds the fine checks", async () => {
  const v1 = await computeLimits(golden, { fine: false, createdAt: "2026-11-26T10:00:00Z" });
  equal(v1.version, 1);
  equal(v1.driverLimits.mid!.fine, undefined);
  equal(v1.rules.fineK, undefined);
  const parsed = await parseLimits(limitsToJson(v1), "v1.json");
  equal(parsed.version, 1);
  const unit = synthUnit(500);
  const verdict = verifyUnit(unit, parsed);
  ok(verdict.passed, JSON.stringify(verdict.violations));
  equal(verdict.metrics.drivers.mid!.worstResonanceMarginDb, undefined);
  const v2 = await computeLimits(golden, { createdAt: "2026-11-26T10:00:00Z" });
  const fine = v2.driverLimits.mid!.fine!;
  equal(fine.bandsPerOctave, 24);
  // 1/24-octave centres: adjacent ratio 2^(1/24).
  ok(Math.abs(fine.centerHz[1]! / fine.centerHz[0]! - Math.pow(2, 1 / 24)) < 1e-3);
  equal(fine.shape.meanDb.length, fine.centerHz.length);
  const judged = verifyUnit(unit, v2);
  ok(judged.passed, JSON.stringify(judged.violations));
  ok(judged.metrics.drivers.mid!.worstResonanceMarginDb! > 0);
});
