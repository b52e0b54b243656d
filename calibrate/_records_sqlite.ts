/**
 * SQLite back end of the record store (`node:sqlite` `DatabaseSync`): WAL
 * journal, 30 s busy timeout, `BEGIN IMMEDIATE` transactions so concurrent
 * stations queue for the write lock instead of failing on an upgrade.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
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
  yieldFromCounts,
  type YieldQuery,
  type YieldSummary,
} from "./records.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS verdicts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  serial TEXT NOT NULL,
  station TEXT NOT NULL,
  batch TEXT,
  created_at TEXT NOT NULL,
  model TEXT NOT NULL,
  passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
  limits_sha256 TEXT NOT NULL,
  bundle_sha256 TEXT,
  set_sha256 TEXT,
  violation_count INTEGER NOT NULL,
  metrics_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS violations (
  verdict_id INTEGER NOT NULL REFERENCES verdicts(id),
  seq INTEGER NOT NULL,
  check_name TEXT NOT NULL,
  driver TEXT NOT NULL,
  band_hz REAL,
  value REAL NOT NULL,
  limit_value REAL NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (verdict_id, seq)
);
CREATE INDEX IF NOT EXISTS verdicts_serial ON verdicts(serial);
CREATE INDEX IF NOT EXISTS verdicts_batch ON verdicts(batch);
CREATE INDEX IF NOT EXISTS verdicts_created_at ON verdicts(created_at);
CREATE INDEX IF NOT EXISTS verdicts_station ON verdicts(station, created_at);
`;

/** Busy timeout in milliseconds: how long a writer waits for another station's lock. */
export const SQLITE_BUSY_TIMEOUT_MS = 30000;

/** Open a SQLite record store at `path` (created if missing). */
export function openSqliteRecords(path: string): RecordStore {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(SCHEMA);
    db.exec("COMMIT");
  } catch (e) {
    db.exec("ROLLBACK");
    throw e;
  }
  const insertVerdict = db.prepare(
    `INSERT INTO verdicts (serial, station, batch, created_at, model, passed, limits_sha256,
       bundle_sha256, set_sha256, violation_count, metrics_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertViolation = db.prepare(
    `INSERT INTO violations (verdict_id, seq, check_name, driver, band_hz, value, limit_value, reason)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const violationsOf = (ids: number[]): ViolationRow[] =>
    ids.length === 0 ? [] : (db.prepare(
      `SELECT * FROM violations WHERE verdict_id IN (${ids.map(() => "?").join(",")})`,
    ).all(...ids) as unknown as ViolationRow[]);

  return {
    kind: "sqlite",
    location: path,
    async insert(record: VerdictRecord, options: InsertOptions = {}): Promise<number> {
      checkRecord(record);
      db.exec("BEGIN IMMEDIATE");
      try {
        const result = insertVerdict.run(
          record.serial,
          record.station,
          record.batch ?? null,
          new Date(record.createdAt).toISOString(), // one format, so text order is time order
          record.model,
          record.passed ? 1 : 0,
          record.limitsSha256,
          record.bundleSha256 ?? null,
          record.setSha256 ?? null,
          record.violations.length,
          JSON.stringify(record.metrics ?? null),
        );
        const id = Number(result.lastInsertRowid);
        record.violations.forEach((v, seq) => {
          insertViolation.run(
            id,
            seq,
            v.check,
            v.driver,
            v.band ?? null,
            v.value,
            v.limit,
            v.reason,
          );
        });
        if (options.beforeCommit) await options.beforeCommit();
        db.exec("COMMIT");
        return id;
      } catch (e) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw e;
      }
    },
    history(serial: string): Promise<StoredVerdict[]> {
      const rows = db.prepare("SELECT * FROM verdicts WHERE serial = ? ORDER BY id").all(
        serial,
      ) as unknown as VerdictRow[];
      const vs = violationsOf(rows.map((r) => Number(r.id)));
      return Promise.resolve(
        rows.map((r) => rowToVerdict(r, vs.filter((v) => Number(v.verdict_id) === Number(r.id)))),
      );
    },
    verdicts(query: YieldQuery): Promise<StoredVerdict[]> {
      const { clause, params } = whereOf(query);
      const rows = db.prepare(`SELECT * FROM verdicts ${clause} ORDER BY id`).all(
        ...params,
      ) as unknown as VerdictRow[];
      const vs = db.prepare(
        `SELECT * FROM violations WHERE verdict_id IN (SELECT id FROM verdicts ${clause}) ORDER BY verdict_id, seq`,
      ).all(...params) as unknown as ViolationRow[];
      const byId = new Map<number, ViolationRow[]>();
      for (const v of vs) {
        byId.set(Number(v.verdict_id), [...(byId.get(Number(v.verdict_id)) ?? []), v]);
      }
      return Promise.resolve(rows.map((r) => rowToVerdict(r, byId.get(Number(r.id)) ?? [])));
    },
    yieldOf(query: YieldQuery): Promise<YieldSummary> {
      const { clause, params } = whereOf(query);
      // Aggregated in SQL: the latest verdict per serial is the row with the
      // serial's largest id within the selection.
      const totals = db.prepare(
        `SELECT COUNT(*) AS tested, COALESCE(SUM(passed), 0) AS passed FROM verdicts ${clause}`,
      ).get(...params) as unknown as { tested: number; passed: number };
      const latest = db.prepare(
        `SELECT COUNT(*) AS units, COALESCE(SUM(v.passed), 0) AS final_passed FROM verdicts v
         JOIN (SELECT MAX(id) AS id FROM verdicts ${clause} GROUP BY serial) m ON v.id = m.id`,
      ).get(...params) as unknown as { units: number; final_passed: number };
      const checks = db.prepare(
        `SELECT check_name, COUNT(*) AS n FROM violations
         WHERE verdict_id IN (SELECT id FROM verdicts ${clause}) GROUP BY check_name`,
      ).all(...params) as unknown as { check_name: string; n: number }[];
      return Promise.resolve(yieldFromCounts({ ...totals, ...latest }, checks));
    },
    checkConsistency(): Promise<ConsistencyReport> {
      const problems: string[] = [];
      const integrity = db.prepare("PRAGMA integrity_check").all() as unknown as {
        integrity_check: string;
      }[];
      if (integrity[0]?.integrity_check !== "ok") {
        problems.push(`integrity_check: ${integrity.map((r) => r.integrity_check).join("; ")}`);
      }
      const mismatched = db.prepare(
        `SELECT v.id, v.violation_count, COUNT(x.seq) AS n FROM verdicts v
         LEFT JOIN violations x ON x.verdict_id = v.id GROUP BY v.id
         HAVING COUNT(x.seq) != v.violation_count`,
      ).all() as unknown as { id: number; violation_count: number; n: number }[];
      for (const m of mismatched) {
        problems.push(
          `verdict ${m.id} has ${m.n} violation rows but violation_count ${m.violation_count}`,
        );
      }
      const orphans = db.prepare(
        "SELECT COUNT(*) AS n FROM violations WHERE verdict_id NOT IN (SELECT id FROM verdicts)",
      ).get() as unknown as { n: number };
      if (orphans.n > 0) problems.push(`${orphans.n} violation rows belong to no verdict`);
      const counts = db.prepare(
        "SELECT (SELECT COUNT(*) FROM verdicts) AS v, (SELECT COUNT(*) FROM violations) AS x",
      ).get() as unknown as { v: number; x: number };
      return Promise.resolve({
        ok: problems.length === 0,
        verdicts: Number(counts.v),
        violations: Number(counts.x),
        problems,
      });
    },
    close(): Promise<void> {
      db.close();
      return Promise.resolve();
    },
  };
}

function whereOf(query: YieldQuery): { clause: string; params: string[] } {
  const where: string[] = [];
  const params: string[] = [];
  if (query.batch !== undefined) {
    where.push("batch = ?");
    params.push(query.batch);
  }
  if (query.since !== undefined) {
    where.push("created_at >= ?");
    params.push(new Date(query.since).toISOString());
  }
  if (query.station !== undefined) {
    where.push("station = ?");
    params.push(query.station);
  }
  return { clause: where.length ? `WHERE ${where.join(" AND ")}` : "", params };
}
