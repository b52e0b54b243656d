/**
 * `records` on a big table: fills a fresh PostgreSQL database with `--rows`
 * verdicts (a year of a 32-station line: 10 % retests, one unit in seven
 * failing with a violation, batches of 5000), then times the queries
 * `deno task records` runs — a unit's history and the yield of a batch, of
 * the last day, of one station's last day and of everything — through the
 * record store itself (median of `--repeats`), and prints each query's
 * `EXPLAIN ANALYZE` plan.
 *
 *   deno task records-scale --db postgres://postgres@127.0.0.1:54329/spatialcal --rows 1000000
 *
 * The database `<name>_scale` next to the one in `--db` is created and
 * dropped again (kept with `--keep`). Exit 2 on bad flags.
 *
 * @module
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { openRecords, type YieldQuery } from "../calibrate/records.ts";
import { historyQuery, type SqlQuery, yieldQueries } from "../calibrate/_records_postgres.ts";

interface PgClient {
  connect(): Promise<void>;
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}
const Client = (pg as unknown as { Client: new (o: object) => PgClient }).Client;

/** One timed query. */
export interface ScaleQuery {
  readonly name: string;
  readonly medianMs: number;
  readonly result: unknown;
  /** Index names the plan uses (empty for a sequential scan only). */
  readonly indexes: string[];
  readonly plan: string;
}

/** The findings of a scale run. */
export interface ScaleReport {
  readonly rows: number;
  readonly violations: number;
  readonly fillSeconds: number;
  readonly tableMegabytes: number;
  readonly queries: ScaleQuery[];
}

const EPOCH = Date.parse("2026-01-01T00:00:00Z");
const STEP_SECONDS = 10;

async function connect(url: string): Promise<PgClient> {
  const c = new Client({ connectionString: url });
  await c.connect();
  return c;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function explain(client: PgClient, q: SqlQuery): Promise<string> {
  const rows = (await client.query(`EXPLAIN (ANALYZE, COSTS OFF) ${q.text}`, q.params)).rows;
  return rows.map((r) => String(r["QUERY PLAN"])).join("\n");
}

function indexesIn(plan: string): string[] {
  return [
    ...new Set(
      [...plan.matchAll(/Index(?: Only)? Scan(?: Backward)? using (\w+)/g)]
        .map((m) => m[1]!).concat(
          [...plan.matchAll(/Bitmap Index Scan on (\w+)/g)].map((m) => m[1]!),
        ),
    ),
  ]
    .sort();
}

/** Fill a fresh database and time the record store's queries on it. */
export async function recordsScale(
  url: string,
  rows: number,
  repeats: number,
  keep: boolean,
): Promise<ScaleReport> {
  const base = new URL(url);
  const name = `${base.pathname.slice(1) || "spatialcal"}_scale`;
  const admin = await connect(url);
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const scaleUrl = new URL(url);
  scaleUrl.pathname = `/${name}`;
  try {
    const store = await openRecords(scaleUrl.toString()); // creates the schema
    const client = await connect(scaleUrl.toString());
    const t0 = performance.now();
    const serials = Math.max(1, Math.round(rows * 0.9));
    await client.query(
      `INSERT INTO verdicts (serial, station, batch, created_at, model, passed, limits_sha256,
         bundle_sha256, set_sha256, violation_count, metrics_json)
       SELECT 'SN-' || lpad((g % $2)::text, 7, '0'), 'station-' || (g % 32), 'B' || (g / 5000),
         to_timestamp($3::float8 + g * $4::float8), 'studio5', g % 7 <> 0, repeat('a', 64),
         md5(g::text) || md5((-g)::text), NULL, CASE WHEN g % 7 = 0 THEN 1 ELSE 0 END,
         '{"drivers":{"mid-left":{"sensitivityDb":0.1}}}'
       FROM generate_series(1, $1::int) AS g`,
      [rows, serials, EPOCH / 1000, STEP_SECONDS],
    );
    await client.query(
      `INSERT INTO violations (verdict_id, seq, check_name, driver, band_hz, value, limit_value, reason)
       SELECT id, 0, (ARRAY['thd', 'sensitivity', 'frequency-response'])[1 + id % 3], 'mid-left',
         1000, 4, 3, 'scale test' FROM verdicts WHERE violation_count = 1`,
    );
    await client.query("ANALYZE");
    const fillSeconds = (performance.now() - t0) / 1000;
    const size = (await client.query(
      "SELECT pg_total_relation_size('verdicts') + pg_total_relation_size('violations') AS b",
    )).rows[0]!;
    const violations = Number(
      (await client.query("SELECT COUNT(*) AS n FROM violations")).rows[0]!.n,
    );

    const lastTime = new Date(EPOCH + rows * STEP_SECONDS * 1000);
    const dayAgo = new Date(lastTime.getTime() - 86400_000).toISOString();
    const midBatch = `B${Math.floor(rows / 2 / 5000)}`;
    const serial = `SN-${String(Math.floor(serials / 3)).padStart(7, "0")}`;
    const yields: [string, YieldQuery][] = [
      [`yield of batch ${midBatch}`, { batch: midBatch }],
      ["yield of the last day", { since: dayAgo }],
      ["yield of station-3, last day", { station: "station-3", since: dayAgo }],
      ["yield of everything", {}],
    ];
    const queries: ScaleQuery[] = [];
    const time = async (run: () => Promise<unknown>) => {
      const ms: number[] = [];
      let result: unknown;
      for (let i = 0; i < repeats; i++) {
        const s = performance.now();
        result = await run();
        ms.push(performance.now() - s);
      }
      return { medianMs: median(ms), result };
    };
    {
      const t = await time(() => store.history(serial));
      const plan = await explain(client, historyQuery(serial));
      queries.push({
        name: `history of ${serial}`,
        medianMs: t.medianMs,
        result: { verdicts: (t.result as unknown[]).length },
        indexes: indexesIn(plan),
        plan,
      });
    }
    for (const [label, q] of yields) {
      const t = await time(() => store.yieldOf(q));
      const sql = yieldQueries(q);
      const plan = `${await explain(client, sql.counts)}\n--\n${await explain(client, sql.checks)}`;
      queries.push({
        name: label,
        medianMs: t.medianMs,
        result: t.result,
        indexes: indexesIn(plan),
        plan,
      });
    }
    await store.close();
    await client.end();
    return {
      rows,
      violations,
      fillSeconds,
      tableMegabytes: Number(size.b) / 1e6,
      queries,
    };
  } finally {
    if (!keep) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      db: { type: "string" },
      rows: { type: "string", default: "1000000" },
      repeats: { type: "string", default: "5" },
      keep: { type: "boolean", default: false },
      plans: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || !values.db || !/^postgres(ql)?:\/\//.test(values.db)) {
    (values.help ? console.log : console.error)(
      "usage: deno task records-scale --db postgres://user@host:port/db [--rows 1000000] " +
        "[--repeats 5] [--plans] [--keep] [--json]",
    );
    Deno.exit(values.help ? 0 : 2);
  }
  const rows = Number(values.rows);
  const repeats = Number(values.repeats);
  if (!Number.isInteger(rows) || rows < 1000 || rows > 100_000_000) {
    console.error(
      `Cannot fill the table as --rows must be an integer in 1000..100000000: current value is ${
        JSON.stringify(values.rows)
      }`,
    );
    Deno.exit(2);
  }
  if (!Number.isInteger(repeats) || repeats < 1 || repeats > 100) {
    console.error(
      `Cannot time the queries as --repeats must be an integer in 1..100: current value is ${
        JSON.stringify(values.repeats)
      }`,
    );
    Deno.exit(2);
  }
  const r = await recordsScale(values.db, rows, repeats, values.keep);
  if (values.json) {
    console.log(JSON.stringify(r, null, 2));
  } else {
    console.log(
      `${r.rows} verdicts, ${r.violations} violations, ${
        r.tableMegabytes.toFixed(0)
      } MB, filled in ${r.fillSeconds.toFixed(1)} s`,
    );
    for (const q of r.queries) {
      console.log(
        `  ${q.name.padEnd(34)} ${q.medianMs.toFixed(1).padStart(8)} ms  indexes: ${
          q.indexes.join(", ") || "none (sequential scan)"
        }`,
      );
      if (values.plans) console.log(q.plan.replace(/^/gm, "      "));
    }
  }
}
