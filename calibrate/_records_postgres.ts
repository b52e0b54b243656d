/**
 * PostgreSQL back end of the record store (`npm:pg`). One client per store;
 * each verdict is one transaction; the schema is created under a
 * transaction-scoped advisory lock so several stations may start at once.
 *
 * @module
 */
import pg from "pg";
import {
  checkRecord,
  type ConsistencyReport,
  type InsertOptions,
  type RecordStore,
  rowToVerdict,
  type StoredVerdict,
  type VerdictRecord,
  type VerdictRow,
  type ViolationRow,
  type YieldCounts,
  yieldFromCounts,
  type YieldQuery,
  type YieldSummary,
} from "./records.ts";

/** The part of `pg.Client` used here (the package ships no types). */
interface PgClient {
  connect(): Promise<void>;
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
  on(event: "error", listener: (e: Error) => void): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS verdicts (
  id BIGSERIAL PRIMARY KEY,
  serial TEXT NOT NULL,
  station TEXT NOT NULL,
  batch TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  model TEXT NOT NULL,
  passed BOOLEAN NOT NULL,
  limits_sha256 TEXT NOT NULL,
  bundle_sha256 TEXT,
  set_sha256 TEXT,
  violation_count INTEGER NOT NULL,
  metrics_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS violations (
  verdict_id BIGINT NOT NULL REFERENCES verdicts(id),
  seq INTEGER NOT NULL,
  check_name TEXT NOT NULL,
  driver TEXT NOT NULL,
  band_hz DOUBLE PRECISION,
  value DOUBLE PRECISION NOT NULL,
  limit_value DOUBLE PRECISION NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (verdict_id, seq)
);
CREATE INDEX IF NOT EXISTS verdicts_serial ON verdicts(serial);
CREATE INDEX IF NOT EXISTS verdicts_batch ON verdicts(batch);
CREATE INDEX IF NOT EXISTS verdicts_created_at ON verdicts(created_at);
CREATE INDEX IF NOT EXISTS verdicts_station ON verdicts(station, created_at);
`;

/** Advisory lock key for schema creation ("spatialcal records"). */
const SCHEMA_LOCK_KEY = 7_350_113_001;

/** The URL with its password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]+):[^@]*@/, "$1:***@");
}

/** A query's text and parameters. */
export interface SqlQuery {
  /** SQL text with `$n` placeholders. */
  readonly text: string;
  /** Values of the placeholders. */
  readonly params: unknown[];
}

/** The history query: a unit's verdicts, oldest first (index `verdicts_serial`). */
export function historyQuery(serial: string): SqlQuery {
  return { text: "SELECT * FROM verdicts WHERE serial = $1 ORDER BY id", params: [serial] };
}

function whereOf(query: YieldQuery): { clause: string; params: string[] } {
  const where: string[] = [];
  const params: string[] = [];
  if (query.batch !== undefined) {
    params.push(query.batch);
    where.push(`batch = $${params.length}`);
  }
  if (query.since !== undefined) {
    params.push(new Date(query.since).toISOString());
    where.push(`created_at >= $${params.length}`);
  }
  if (query.station !== undefined) {
    params.push(query.station);
    where.push(`station = $${params.length}`);
  }
  return { clause: where.length ? `WHERE ${where.join(" AND ")}` : "", params };
}

/**
 * The two yield queries, aggregated in the server: a yield over a million
 * verdicts moves a few numbers, not the rows (the latest verdict per serial
 * by `DISTINCT ON`), then the violations per check.
 */
export function yieldQueries(query: YieldQuery): { counts: SqlQuery; checks: SqlQuery } {
  const { clause, params } = whereOf(query);
  return {
    counts: {
      text: `WITH sel AS (SELECT id, serial, passed FROM verdicts ${clause}),
              latest AS (SELECT DISTINCT ON (serial) passed FROM sel ORDER BY serial, id DESC)
         SELECT (SELECT COUNT(*) FROM sel) AS tested,
                (SELECT COUNT(*) FROM sel WHERE passed) AS passed,
                (SELECT COUNT(*) FROM latest) AS units,
                (SELECT COUNT(*) FROM latest WHERE passed) AS final_passed`,
      params,
    },
    checks: {
      text: `SELECT check_name, COUNT(*) AS n FROM violations
         WHERE verdict_id IN (SELECT id FROM verdicts ${clause}) GROUP BY check_name`,
      params,
    },
  };
}

/** Open a PostgreSQL record store (creates the tables if missing). */
export async function openPostgresRecords(url: string): Promise<RecordStore> {
  const Client = (pg as unknown as { Client: new (o: object) => PgClient }).Client;
  const client = new Client({ connectionString: url });
  client.on("error", () => {/* reported by the next query */});
  await client.connect();
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK_KEY]);
    await client.query(SCHEMA);
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    await client.end().catch(() => {});
    throw e;
  }
  const violationsOf = async (ids: number[]): Promise<ViolationRow[]> =>
    ids.length === 0 ? [] : (await client.query(
      "SELECT * FROM violations WHERE verdict_id = ANY($1::bigint[])",
      [ids],
    )).rows as unknown as ViolationRow[];

  return {
    kind: "postgres",
    location: redactUrl(url),
    async insert(record: VerdictRecord, options: InsertOptions = {}): Promise<number> {
      checkRecord(record);
      // One statement writes the verdict and all its violations (one round
      // trip; a statement is atomic on its own). The explicit transaction is
      // kept only for the fault-injection hook, which must run before COMMIT.
      const vs = record.violations;
      const params = [
        record.serial,
        record.station,
        record.batch ?? null,
        record.createdAt,
        record.model,
        record.passed,
        record.limitsSha256,
        record.bundleSha256 ?? null,
        record.setSha256 ?? null,
        vs.length,
        JSON.stringify(record.metrics ?? null),
        vs.map((_, seq) => seq),
        vs.map((v) => v.check),
        vs.map((v) => v.driver),
        vs.map((v) => v.band ?? null),
        vs.map((v) => v.value),
        vs.map((v) => v.limit),
        vs.map((v) => v.reason),
      ];
      const sql = `WITH v AS (
           INSERT INTO verdicts (serial, station, batch, created_at, model, passed, limits_sha256,
             bundle_sha256, set_sha256, violation_count, metrics_json)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id),
         x AS (
           INSERT INTO violations (verdict_id, seq, check_name, driver, band_hz, value, limit_value, reason)
           SELECT v.id, u.seq, u.check_name, u.driver, u.band_hz, u.value, u.limit_value, u.reason
           FROM v, unnest($12::int[], $13::text[], $14::text[], $15::float8[], $16::float8[],
             $17::float8[], $18::text[]) AS u(seq, check_name, driver, band_hz, value, limit_value, reason))
         SELECT id FROM v`;
      if (!options.beforeCommit) {
        return Number((await client.query(sql, params)).rows[0]!.id);
      }
      await client.query("BEGIN");
      try {
        const id = Number((await client.query(sql, params)).rows[0]!.id);
        await options.beforeCommit();
        await client.query("COMMIT");
        return id;
      } catch (e) {
        await client.query("ROLLBACK").catch(() => {});
        throw e;
      }
    },
    async history(serial: string): Promise<StoredVerdict[]> {
      const h = historyQuery(serial);
      const rows = (await client.query(h.text, h.params)).rows as unknown as VerdictRow[];
      const vs = await violationsOf(rows.map((r) => Number(r.id)));
      return rows.map((r) =>
        rowToVerdict(r, vs.filter((v) => Number(v.verdict_id) === Number(r.id)))
      );
    },
    async yieldOf(query: YieldQuery): Promise<YieldSummary> {
      const q = yieldQueries(query);
      const counts = (await client.query(q.counts.text, q.counts.params))
        .rows[0] as unknown as YieldCounts;
      const checks = (await client.query(q.checks.text, q.checks.params)).rows as unknown as {
        check_name: string;
        n: string;
      }[];
      return yieldFromCounts(counts, checks);
    },
    async checkConsistency(): Promise<ConsistencyReport> {
      const problems: string[] = [];
      const mismatched = (await client.query(
        `SELECT v.id, v.violation_count, COUNT(x.seq) AS n FROM verdicts v
         LEFT JOIN violations x ON x.verdict_id = v.id GROUP BY v.id
         HAVING COUNT(x.seq) != v.violation_count`,
      )).rows;
      for (const m of mismatched) {
        problems.push(
          `verdict ${m.id} has ${m.n} violation rows but violation_count ${m.violation_count}`,
        );
      }
      const counts = (await client.query(
        "SELECT (SELECT COUNT(*) FROM verdicts) AS v, (SELECT COUNT(*) FROM violations) AS x",
      )).rows[0]!;
      return {
        ok: problems.length === 0,
        verdicts: Number(counts.v),
        violations: Number(counts.x),
        problems,
      };
    },
    async close(): Promise<void> {
      await client.end();
    },
  };
}
