/**
 * Many stations, one record store: a load test of the line's verdict records.
 *
 * Starts `--stations` station processes (separate OS processes, each with its
 * own connection, as on a line), holds them at a barrier until every one has
 * opened the store, then lets each write `--verdicts` verdicts as fast as it
 * can — each with a bundle hash, a metrics document the size of a real
 * `verify` report and, for about a third of the units, 1–3 violations.
 * Afterwards it proves from the database that no record was lost or
 * duplicated (verdict count, distinct serials and every check's violation
 * count equal what the stations wrote; the store's consistency check passes)
 * and prints the per-insert latency (p50/p99/max) and the throughput.
 *
 *   deno task load-test --db postgres://postgres@127.0.0.1:54329/spatialcal
 *   deno task load-test --db sqlite:/tmp/line.db --stations 8 --verdicts 100 --json
 *
 * Exit 0 when every record is accounted for, 1 when not, 2 on bad flags.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { openRecords, type VerdictRecord } from "../calibrate/records.ts";
import type { Violation } from "../calibrate/verify.ts";

/** What one station reports back to the parent. */
interface StationResult {
  readonly station: string;
  readonly ids: number[];
  readonly latenciesMs: number[];
  readonly violationsByCheck: Record<string, number>;
}

const CHECKS: readonly Violation["check"][] = [
  "frequency-response",
  "sensitivity",
  "thd",
  "rub-buzz",
  "polarity",
];

/** A deterministic pseudo-random generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A verdict like a station writes: ~3 KB of metrics, a third failing. */
function verdictOf(run: string, station: number, index: number, random: () => number) {
  const serial = `${run}-S${String(station).padStart(2, "0")}-${String(index).padStart(6, "0")}`;
  const failed = random() < 1 / 3;
  const violations: Violation[] = [];
  if (failed) {
    const n = 1 + Math.floor(random() * 3);
    for (let k = 0; k < n; k++) {
      const check = CHECKS[Math.floor(random() * CHECKS.length)]!;
      violations.push({
        check,
        driver: `drv-${k}`,
        band: 1000 * (1 + k),
        value: 3 + random(),
        limit: 3,
        reason: `load test ${check} outside its limit`,
      });
    }
  }
  const bands = Array.from({ length: 60 }, (_, b) => ({
    hz: Math.round(100 * 2 ** (b / 6)),
    db: Math.round((random() - 0.5) * 200) / 100,
  }));
  const hex = Array.from({ length: 64 }, () => Math.floor(random() * 16).toString(16)).join("");
  const record: VerdictRecord = {
    serial,
    station: `station-${station}`,
    batch: run,
    createdAt: new Date().toISOString(),
    model: "studio5",
    passed: !failed,
    limitsSha256: "a".repeat(64),
    bundleSha256: hex,
    setSha256: null,
    metrics: { drivers: { "mid-left": { responseDb: bands } } },
    violations,
  };
  return record;
}

async function readLine(): Promise<string> {
  const reader = Deno.stdin.readable.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  reader.releaseLock();
  return text.trim();
}

/** One station process: open, report ready, wait for "go", write, report. */
async function station(db: string, run: string, index: number, count: number): Promise<void> {
  const store = await openRecords(db);
  console.log("ready");
  if ((await readLine()) !== "go") Deno.exit(2);
  const random = rng(index + 1);
  const ids: number[] = [];
  const latenciesMs: number[] = [];
  const violationsByCheck: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const record = verdictOf(run, index, i, random);
    const t0 = performance.now();
    ids.push(await store.insert(record));
    latenciesMs.push(performance.now() - t0);
    for (const v of record.violations) {
      violationsByCheck[v.check] = (violationsByCheck[v.check] ?? 0) + 1;
    }
  }
  await store.close();
  const result: StationResult = {
    station: `station-${index}`,
    ids,
    latenciesMs,
    violationsByCheck,
  };
  console.log(JSON.stringify(result));
}

/** The q-quantile (0..1) of sorted values, by the nearest-rank rule. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** The load test's findings. */
export interface LoadReport {
  readonly db: string;
  readonly run: string;
  readonly stations: number;
  readonly verdictsPerStation: number;
  readonly written: number;
  readonly inDatabase: number;
  readonly distinctSerials: number;
  readonly distinctIds: number;
  readonly violationsWritten: Record<string, number>;
  readonly violationsInDatabase: Record<string, number>;
  readonly consistent: boolean;
  readonly lost: number;
  readonly duplicated: number;
  readonly latencyMs: { p50: number; p99: number; max: number };
  readonly wallSeconds: number;
  readonly verdictsPerSecond: number;
  readonly ok: boolean;
}

async function parent(db: string, stations: number, verdicts: number): Promise<LoadReport> {
  const run = `load-${Date.now().toString(36)}-${Deno.pid}`;
  const self = fileURLToPath(import.meta.url);
  // Create the schema once, before the stations race for it.
  await (await openRecords(db)).close();
  const children = Array.from({ length: stations }, (_, i) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        self,
        "--worker",
        "--db",
        db,
        "--run",
        run,
        "--station",
        String(i),
        "--verdicts",
        String(verdicts),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn());
  const readers = children.map((c) => c.stdout.pipeThrough(new TextDecoderStream()).getReader());
  const buffers = children.map(() => "");
  const nextLine = async (i: number): Promise<string> => {
    while (!buffers[i]!.includes("\n")) {
      const { value, done } = await readers[i]!.read();
      if (done) break;
      buffers[i] += value;
    }
    const at = buffers[i]!.indexOf("\n");
    const line = at < 0 ? buffers[i]! : buffers[i]!.slice(0, at);
    buffers[i] = at < 0 ? "" : buffers[i]!.slice(at + 1);
    return line;
  };
  const ready = await Promise.all(children.map((_, i) => nextLine(i)));
  if (ready.some((r) => r !== "ready")) {
    throw new Error(
      `Cannot run the load test as a station did not start: ${JSON.stringify(ready)}`,
    );
  }
  const t0 = performance.now();
  await Promise.all(children.map(async (c) => {
    const w = c.stdin.getWriter();
    await w.write(new TextEncoder().encode("go\n"));
    await w.close();
  }));
  const results = (await Promise.all(children.map((_, i) => nextLine(i)))).map((l) =>
    JSON.parse(l) as StationResult
  );
  const wallSeconds = (performance.now() - t0) / 1000;
  const statuses = await Promise.all(children.map((c) => c.status));
  if (statuses.some((s) => !s.success)) {
    throw new Error("Cannot finish the load test as a station process failed");
  }

  const store = await openRecords(db);
  const y = await store.yieldOf({ batch: run });
  const consistency = await store.checkConsistency();
  await store.close();

  const written = stations * verdicts;
  const ids = results.flatMap((r) => r.ids);
  const violationsWritten: Record<string, number> = {};
  for (const r of results) {
    for (const [c, n] of Object.entries(r.violationsByCheck)) {
      violationsWritten[c] = (violationsWritten[c] ?? 0) + n;
    }
  }
  const sameViolations = Object.keys({ ...violationsWritten, ...y.violationsByCheck }).every((c) =>
    (violationsWritten[c] ?? 0) === (y.violationsByCheck[c] ?? 0)
  );
  const latencies = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const distinctIds = new Set(ids).size;
  const report: LoadReport = {
    db: store.location,
    run,
    stations,
    verdictsPerStation: verdicts,
    written,
    inDatabase: y.tested,
    distinctSerials: y.units,
    distinctIds,
    violationsWritten,
    violationsInDatabase: { ...y.violationsByCheck },
    consistent: consistency.ok,
    lost: Math.max(0, written - y.units),
    duplicated: Math.max(0, y.tested - y.units),
    latencyMs: {
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      max: latencies[latencies.length - 1] ?? NaN,
    },
    wallSeconds,
    verdictsPerSecond: written / wallSeconds,
    ok: false,
  };
  return {
    ...report,
    ok: y.tested === written && y.units === written && distinctIds === written &&
      sameViolations && consistency.ok,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      db: { type: "string" },
      stations: { type: "string", default: "32" },
      verdicts: { type: "string", default: "200" },
      worker: { type: "boolean", default: false },
      run: { type: "string" },
      station: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || !values.db) {
    (values.help ? console.log : console.error)(
      "usage: deno task load-test --db URL [--stations 32] [--verdicts 200] [--json]\n" +
        "  URL: postgres://user@host:port/db or sqlite:<path>",
    );
    Deno.exit(values.help ? 0 : 2);
  }
  const stations = Number(values.stations);
  const verdicts = Number(values.verdicts);
  for (const [name, v] of [["stations", stations], ["verdicts", verdicts]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 100000) {
      console.error(
        `Cannot run the load test as --${name} must be an integer in 1..100000: current value is ${
          JSON.stringify(values[name])
        }`,
      );
      Deno.exit(2);
    }
  }
  if (values.worker) {
    await station(values.db, values.run!, Number(values.station), verdicts);
  } else {
    const r = await parent(values.db, stations, verdicts);
    if (values.json) {
      console.log(JSON.stringify(r, null, 2));
    } else {
      console.log(`records load test on ${r.db} (batch ${r.run})`);
      console.log(`  ${r.stations} stations × ${r.verdictsPerStation} verdicts = ${r.written}`);
      console.log(
        `  in the database: ${r.inDatabase} verdicts, ${r.distinctSerials} serials, ` +
          `${r.distinctIds} distinct ids; lost ${r.lost}, duplicated ${r.duplicated}; ` +
          `violations ${JSON.stringify(r.violationsInDatabase)} (written ${
            JSON.stringify(r.violationsWritten)
          }); consistency ${r.consistent ? "ok" : "FAILED"}`,
      );
      console.log(
        `  insert latency p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${
          r.latencyMs.p99.toFixed(2)
        } ms, max ${r.latencyMs.max.toFixed(2)} ms; ${r.verdictsPerSecond.toFixed(0)} verdicts/s ` +
          `over ${r.wallSeconds.toFixed(2)} s`,
      );
      console.log(r.ok ? "OK: every record accounted for" : "FAILED: records lost or duplicated");
    }
    Deno.exit(r.ok ? 0 : 1);
  }
}
