/**
 * Write the studio5 set of the fit benchmark (issue 14): binaural captures at 72 head positions
 * (offsets on a 9 × 8 cm grid around 2 m on axis) and a 72-point reference arc (5° steps), 1080
 * noise-free captures. Run: `deno run -A tests/bench/make_fit_set.ts OUT_DIR`.
 */
import { writeTrueSet } from "../calibrate/_sets.ts";

const out = Deno.args[0];
if (out === undefined) throw new Error("usage: make_fit_set.ts OUT_DIR");
const offsets: [number, number][] = [];
for (let i = 0; i < 72; i++) offsets.push([(i % 9) - 4, Math.floor(i / 9) - 4]);
await writeTrueSet(out, { headOffsetsCm: offsets, arcStepDeg: 5 });
