/**
 * The fuzz harness in CI (issue 13, Build 8): a bounded budget of seeded
 * cases over WAV, manifest, bundle, limits and rig files and special files.
 * Every case must be accepted or refused as bad input naming the file; no
 * exit 3, no hang, no output on exit 2, peak RSS below baseline + 10× input.
 * The long run is `deno task fuzz --seconds 600` (README, "Fuzzing").
 */
import assert from "node:assert/strict";
import { fuzz, makeCase, makeCorpus, mulberry32, mutateJson, mutateWav } from "./_harness.ts";
import { encodeWav } from "../../io/wav.ts";
import { withTempDir } from "../_temp.ts";

/** CI budget in seconds for the cases (the corpus and baselines take ~10 s more). */
const BUDGET_SECONDS = 45;

Deno.test("the mutators are seeded: the same seed gives the same mutated bytes, another seed others", () => {
  const wav = encodeWav({ sampleRate: 48000, channels: [new Float64Array(64).fill(0.25)] });
  const text = JSON.stringify({ a: [1, 2, { b: "c" }], d: 4 });
  const run = (seed: number) => {
    const rng = mulberry32(seed);
    return Array.from({ length: 20 }, () => [mutateWav(wav, rng), mutateJson(text, rng)]);
  };
  assert.deepEqual(run(5), run(5));
  assert.notDeepEqual(run(5), run(6));
});

Deno.test(`fuzz: ${BUDGET_SECONDS} s of seeded cases (in-process readers and a sample through the commands) find no crash, hang, unnamed refusal, output on refusal or memory above 10× the input`, async () => {
  await withTempDir(async (root) => {
    const corpus = await makeCorpus(root);
    // The first cases of a seed are reproducible: the same case twice is the same input.
    const a = await makeCase(corpus, 2026, 3, `${root}/repro-a`);
    const b = await makeCase(corpus, 2026, 3, `${root}/repro-b`);
    assert.equal(a.mutation, b.mutation);
    const summary = await fuzz(corpus, { seed: 2026, seconds: BUDGET_SECONDS, commandEvery: 10 });
    const report = summary.failures.map((f) =>
      `case ${f.case.index} (${f.case.kind}: ${f.case.mutation}): ${f.why}`
    );
    assert.deepEqual(report, [], report.join("\n"));
    // Not vacuous: enough cases of every kind, refusals and acceptances, command runs.
    assert.ok(summary.cases >= 60, `only ${summary.cases} cases`);
    for (const kind of ["wav", "manifest", "bundle", "limits", "rig", "special"]) {
      assert.ok((summary.byKind[kind] ?? 0) >= 10, `${kind}: ${summary.byKind[kind]} cases`);
    }
    assert.ok((summary.byOutcome.refused ?? 0) > 0 && (summary.byOutcome.accepted ?? 0) > 0);
    assert.ok(summary.commandRuns >= 4, `only ${summary.commandRuns} command runs`);
    console.log(
      `fuzz: ${summary.cases} cases, ${summary.commandRuns} through commands, ${
        JSON.stringify(summary.byOutcome)
      }, slowest ${summary.slowestSeconds.toFixed(2)} s`,
    );
  });
});
