/**
 * `deno task fuzz [--seconds 600] [--seed 1] [--keep DIR] [--command-every 12]`:
 * the fuzz harness of `tests/fuzz/_harness.ts` for as long as asked. Prints a
 * line per failure and a summary; exits 1 when any case failed (its inputs
 * are kept under `--keep`, default `fuzz-failures/`, to reproduce them).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { fuzz, makeCorpus } from "./_harness.ts";

const HELP = `deno task fuzz [--seconds 600] [--seed 1] [--keep DIR] [--command-every 12]

Runs the seeded fuzz harness (tests/fuzz/_harness.ts) for --seconds: mutated
WAV, manifest, bundle, limits and rig files and special files, read by the
library (in a worker, 30 s limit) and, one case in --command-every, by the
command that reads them (exit code, time and peak RSS checked). Prints each
failure and a JSON summary; failing inputs are kept in --keep (default
fuzz-failures/). Exit 0 when every case passed, 1 otherwise, 2 on bad flags.`;
if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(HELP);
  Deno.exit(0);
}
const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "600" },
    seed: { type: "string", default: "1" },
    keep: { type: "string", default: "fuzz-failures" },
    "command-every": { type: "string", default: "12" },
  },
  strict: true,
});
const seconds = Number(values.seconds);
const seed = Number(values.seed);
const every = Number(values["command-every"]);
if (!(seconds > 0) || !Number.isInteger(seed) || !(every >= 1)) {
  console.error(
    "usage: deno task fuzz [--seconds S > 0] [--seed INTEGER] [--keep DIR] [--command-every N >= 1]",
  );
  Deno.exit(2);
}
const keep = resolve(Deno.env.get("INIT_CWD") ?? Deno.cwd(), values.keep!);
const root = await Deno.makeTempDir({ prefix: "spatialcal-fuzz-" });
let code = 0;
try {
  console.error(`fuzz: seed ${seed}, ${seconds} s; making the valid corpus in ${root}`);
  const corpus = await makeCorpus(root);
  let n = 0;
  const summary = await fuzz(corpus, {
    seed,
    seconds,
    commandEvery: every,
    keep,
    onResult: (r) => {
      if (r.outcome === "failed") {
        console.log(`FAIL case ${r.case.index} (${r.case.kind}: ${r.case.mutation}): ${r.why}`);
      }
      if (++n % 200 === 0) console.error(`fuzz: ${n} results`);
    },
  });
  console.log(JSON.stringify({ seed, seconds, ...summary, failures: summary.failures.length }));
  if (summary.failures.length > 0) {
    console.log(`failing inputs kept in ${keep}/seed${seed}-case<N>; re-run with --seed ${seed}`);
  }
  code = summary.failures.length > 0 ? 1 : 0;
} finally {
  await Deno.remove(root, { recursive: true }).catch(() => {});
}
Deno.exit(code);
