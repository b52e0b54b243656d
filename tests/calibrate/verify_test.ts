import { equal, ok, throws } from "node:assert/strict";
import { computeLimits } from "../../calibrate/golden.ts";
import { verifyUnit } from "../../calibrate/verify.ts";
import { InputError } from "../../io/errors.ts";
import { type SynthDefect, synthUnit } from "./_units.ts";

function assertThrows(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => Error,
  text: string,
): void {
  throws(fn, (e: unknown) => {
    ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
    ok((e as Error).message.includes(text), `message "${(e as Error).message}" lacks "${text}"`);
    return true;
  });
}

const limits = await computeLimits(Array.from({ length: 20 }, (_, i) => synthUnit(200 + i)));

Deno.test("verifyUnit() passes 30 fresh good units", () => {
  for (let i = 0; i < 30; i++) {
    const v = verifyUnit(synthUnit(1000 + i), limits);
    ok(v.passed, `unit ${i}: ${v.violations.map((x) => x.reason).join("; ")}`);
    equal(v.limitsSha256, limits.sha256);
  }
});

const cases: [string, SynthDefect, string, string][] = [
  [
    "reversed polarity",
    { kind: "polarity", driver: "mid" },
    "polarity",
    "mid is connected with reversed polarity",
  ],
  [
    "a dead driver",
    { kind: "dead", driver: "tweeter" },
    "dead-driver",
    "tweeter is dead or disconnected",
  ],
  [
    "-4 dB sensitivity",
    { kind: "sensitivity", driver: "woofer", offsetDb: -4 },
    "sensitivity",
    "woofer is 4.",
  ],
  ["rub & buzz", { kind: "rub-buzz", driver: "mid" }, "rub-buzz", "mid rubs or buzzes"],
  ["an air leak", { kind: "air-leak", driver: "woofer", hz: 150 }, "air-leak", "woofer loses"],
  [
    "swapped wiring",
    { kind: "swap", a: "mid", b: "tweeter" },
    "swapped-drivers",
    "the signal sent to mid comes out of what sounds like tweeter",
  ],
];
for (const [name, defect, check, reason] of cases) {
  Deno.test(`verifyUnit() fails a unit with ${name} and says why`, () => {
    const v = verifyUnit(synthUnit(3000, [defect]), limits);
    equal(v.passed, false);
    const hit = v.violations.find((x) => x.check === check);
    ok(hit, `no ${check} violation: ${v.violations.map((x) => x.check).join(", ")}`);
    ok(hit!.reason.includes(reason), hit!.reason);
  });
}

Deno.test("verifyUnit() throws InputError for measurements it cannot judge", () => {
  assertThrows(
    () => verifyUnit(synthUnit(5, [], { model: "studio5" }), limits),
    InputError,
    'Cannot verify unit SYN-00005 as the limits "limits" are for model "synth3" but the unit is "studio5"',
  );
  assertThrows(
    () => verifyUnit(synthUnit(5, [], { sampleRate: 44100 }), limits),
    InputError,
    "are for 48000 Hz but the measurement is at 44100 Hz",
  );
  const u = synthUnit(5);
  assertThrows(
    () => verifyUnit({ ...u, captures: u.captures.filter((c) => c.driver !== "mid") }, limits),
    InputError,
    'the measurement has no reference-microphone capture of driver "mid" (it has woofer, tweeter)',
  );
  const short = synthUnit(5);
  assertThrows(
    () =>
      verifyUnit({
        ...short,
        captures: short.captures.map((c) => ({ ...c, ir: c.ir.subarray(0, 512) })),
      }, limits),
    InputError,
    'the impulse response of driver "woofer" has 512 samples but the limits compare the first 1024',
  );
  assertThrows(
    () => verifyUnit(synthUnit(5, [{ kind: "clip" }]), limits),
    InputError,
    'the capture of driver "woofer" is clipped (peak 0.00 dBFS); lower the level and retest',
  );
  assertThrows(
    () =>
      verifyUnit(
        synthUnit(5, [
          { kind: "dead", driver: "woofer" },
          { kind: "dead", driver: "mid" },
          { kind: "dead", driver: "tweeter" },
        ]),
        limits,
      ),
    InputError,
    "every driver's capture is silent",
  );
  assertThrows(
    () => verifyUnit(synthUnit(5, [{ kind: "noise", levelDb: -70 }]), limits),
    InputError,
    "the measurement is too noisy to judge",
  );
  // Without the harmonic IRs, THD and rub & buzz would pass unseen: refused instead.
  const bare = synthUnit(5);
  assertThrows(
    () =>
      verifyUnit(
        { ...bare, captures: bare.captures.map((c) => ({ ...c, harmonics: [] })) },
        limits,
      ),
    InputError,
    'the capture of driver "woofer" has no harmonic IRs, so THD and rub & buzz cannot be judged (they need orders 2..10)',
  );
  assertThrows(
    () =>
      verifyUnit({
        ...bare,
        captures: bare.captures.map((c) => ({ ...c, harmonics: c.harmonics.slice(0, 4) })),
      }, limits),
    InputError,
    'the capture of driver "woofer" has harmonic IRs of orders 2..5 only',
  );
});

Deno.test("verifyUnit() cannot judge (InputError) harmonic IRs that are zeroed, scaled 80 dB down (below every golden unit), or not finite, nor a non-finite IR", () => {
  const rub = synthUnit(1200, [{ kind: "rub-buzz", driver: "mid" }]);
  equal(verifyUnit(rub, limits).passed, false);
  const edit = (driver: string, change: (c: (typeof rub.captures)[number]) => object) => ({
    ...rub,
    captures: rub.captures.map((c) => (c.driver === driver ? { ...c, ...change(c) } : c)),
  });
  const zeroed = edit(
    "mid",
    (c) => ({ harmonics: c.harmonics.map((h) => new Float64Array(h.length)) }),
  );
  assertThrows(
    () => verifyUnit(zeroed, limits),
    InputError,
    'order 2 of driver "mid" is silent (all zero)',
  );
  // 80 dB down: far below every golden unit's THD (a loopback's golden units would be as clean).
  const scaled = edit(
    "mid",
    (c) => ({ harmonics: c.harmonics.map((h) => h.map((v) => v * 1e-4)) }),
  );
  assertThrows(
    () => verifyUnit(scaled, limits),
    InputError,
    'the harmonics of driver "mid" are silent: its THD is',
  );
  const nan = edit("tweeter", (c) => {
    const h = c.harmonics.map((x) => x.slice());
    h[8]![5] = NaN;
    return { harmonics: h };
  });
  assertThrows(
    () => verifyUnit(nan, limits),
    InputError,
    'the harmonic IR of order 10 of driver "tweeter" is not finite (sample 5 is NaN)',
  );
  const inf = edit("woofer", (c) => {
    const ir = c.ir.slice();
    ir[3] = Infinity;
    return { ir };
  });
  assertThrows(
    () => verifyUnit(inf, limits),
    InputError,
    'the impulse response of driver "woofer" is not finite',
  );
});
