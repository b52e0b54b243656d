/**
 * Many stations and a big table (the small CI budget of
 * `deno task load-test` and `deno task records-scale`), and the yield the
 * databases aggregate against the one computed from the rows.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import pg from "pg";
import { openRecords, summarizeYield, type VerdictRecord } from "../../calibrate/records.ts";
import type { Violation } from "../../calibrate/verify.ts";
import { withTempDir } from "../_temp.ts";

const PG_URL = Deno.env.get("SPATIALCAL_TEST_POSTGRES_URL");
const pgIgnore = !PG_URL && !Deno.env.get("CI");
const LOAD = new URL("../../scripts/station_load.ts", import.meta.url).pathname;
const SCALE = new URL("../../scripts/records_scale.ts", import.meta.url).pathname;

interface PgClient {
  connect(): Promise<void>;
  query(q: string): Promise<unknown>;
  end(): Promise<void>;
}

/** A database of its own beside the CI's (other test files truncate that one). */
async function freshPostgres(name: string): Promise<string> {
  if (!PG_URL) throw new Error("CI is set but SPATIALCAL_TEST_POSTGRES_URL is not");
  const c = new (pg as unknown as { Client: new (o: object) => PgClient }).Client({
    connectionString: PG_URL,
  });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function run(script: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  equal(out.code, 0, `${script} failed:\n${text}\n${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(text);
}

/** Random verdicts with retests over batches, stations and a day of times. */
function randomVerdicts(n: number, seed: number): VerdictRecord[] {
  let a = seed;
  const random = () => ((a = (a * 1103515245 + 12345) % 2147483648) / 2147483648);
  const checks: Violation["check"][] = ["thd", "sensitivity", "polarity", "rub-buzz"];
  return Array.from({ length: n }, (_, i) => {
    const passed = random() < 0.7;
    const violations: Violation[] = passed ? [] : Array.from(
      { length: 1 + Math.floor(random() * 3) },
      () => ({
        check: checks[Math.floor(random() * checks.length)]!,
        driver: "woofer",
        value: 1,
        limit: 0,
        reason: "random",
      }),
    );
    return {
      serial: `SN-${Math.floor(random() * n * 0.6)}`, // ~40 % retests
      station: `S${Math.floor(random() * 3)}`,
      batch: `B${Math.floor(random() * 4)}`,
      createdAt: new Date(Date.UTC(2026, 10, 26, 0, 0, i * 60)).toISOString(),
      model: "studio5",
      passed,
      limitsSha256: "a".repeat(64),
      metrics: { i },
      violations,
    };
  });
}

async function yieldsMatchRows(url: string): Promise<void> {
  const db = await openRecords(url);
  const records = randomVerdicts(400, 7);
  const ids: number[] = [];
  for (const r of records) ids.push(await db.insert(r));
  const queries = [
    {},
    { batch: "B2" },
    { station: "S1" },
    { since: "2026-11-26T03:00:00Z" },
    { batch: "B1", station: "S0", since: "2026-11-26T01:00:00Z" },
    { batch: "no-such-batch" },
  ];
  for (const q of queries) {
    const selected = records.map((r, k) => ({ r, id: ids[k]! })).filter(({ r }) =>
      (q.batch === undefined || r.batch === q.batch) &&
      (q.station === undefined || r.station === q.station) &&
      (q.since === undefined || Date.parse(r.createdAt) >= Date.parse(q.since))
    );
    const expected = summarizeYield(
      selected.map(({ r, id }) => ({ serial: r.serial, passed: r.passed, id })),
      selected.flatMap(({ r }) => r.violations.map((v) => v.check)),
    );
    deepEqual(await db.yieldOf(q), expected, `${db.kind} yield of ${JSON.stringify(q)}`);
  }
  await db.close();
}

Deno.test("SQLite records: the yield aggregated in SQL equals the yield computed from the rows", async () => {
  await withTempDir(async (dir) => {
    await yieldsMatchRows(join(dir, "line.db"));
  });
});

Deno.test({
  name: "PostgreSQL records: the yield aggregated in SQL equals the yield computed from the rows",
  ignore: pgIgnore,
  async fn() {
    await yieldsMatchRows(await freshPostgres("spatialcal_yield_test"));
  },
});

Deno.test({
  name:
    "load test: 8 station processes write 30 verdicts each at once into PostgreSQL, none lost or duplicated",
  ignore: pgIgnore,
  async fn() {
    const url = await freshPostgres("spatialcal_load_test");
    const r = await run(LOAD, ["--db", url, "--stations", "8", "--verdicts", "30", "--json"]);
    equal(r.written, 240);
    equal(r.inDatabase, 240);
    equal(r.distinctSerials, 240);
    equal(r.distinctIds, 240);
    equal(r.lost, 0);
    equal(r.duplicated, 0);
    deepEqual(r.violationsInDatabase, r.violationsWritten);
    ok(Object.values(r.violationsWritten as Record<string, number>).reduce((a, b) => a + b) > 0);
    ok(r.consistent);
    ok(r.latencyMs.p50 > 0 && r.latencyMs.p99 >= r.latencyMs.p50);
    ok(r.ok);
  },
});

Deno.test("load test: 4 station processes on one SQLite file lose and duplicate nothing", async () => {
  await withTempDir(async (dir) => {
    const db = `sqlite:${join(dir, "line.db")}`;
    const r = await run(LOAD, ["--db", db, "--stations", "4", "--verdicts", "25", "--json"]);
    equal(r.inDatabase, 100);
    equal(r.distinctSerials, 100);
    deepEqual(r.violationsInDatabase, r.violationsWritten);
    ok(r.consistent && r.ok);
  });
});

Deno.test({
  name:
    "records on a filled table: history and yields use their indexes (20000-row version of records-scale)",
  ignore: pgIgnore,
  async fn() {
    if (!PG_URL) throw new Error("CI is set but SPATIALCAL_TEST_POSTGRES_URL is not");
    const base = new URL(PG_URL);
    base.pathname = "/spatialcal_scale_test";
    await freshPostgres("spatialcal_scale_test");
    const r = await run(SCALE, [
      "--db",
      base.toString(),
      "--rows",
      "20000",
      "--repeats",
      "1",
      "--json",
    ]);
    equal(r.rows, 20000);
    equal(r.violations, Math.floor(20000 / 7));
    const byName = Object.fromEntries(
      (r.queries as { name: string; indexes: string[]; result: unknown }[]).map((
        q,
      ) => [q.name.split(" ").slice(0, 3).join(" "), q]),
    );
    ok(byName["history of SN-0006000"]!.indexes.includes("verdicts_serial"));
    deepEqual(byName["history of SN-0006000"]!.result, { verdicts: 1 });
    const batch = byName["yield of batch"]!;
    ok(batch.indexes.includes("verdicts_batch"), JSON.stringify(batch));
    equal((batch.result as { tested: number }).tested, 5000);
    ok(byName["yield of the"]!.indexes.includes("verdicts_created_at"));
    const all = byName["yield of everything"]!.result as { tested: number; units: number };
    equal(all.tested, 20000);
    equal(all.units, 18000);
  },
});
