/**
 * Traceable line records: every verdict stored with the unit's serial, the
 * station, the time, the SHA-256 of the limits (and of the filter bundle and
 * measurement set, if any), the metrics as JSON, pass/fail and each
 * violation.
 *
 * Two back ends with one schema:
 * - SQLite through `node:sqlite` `DatabaseSync` (the default; a file in WAL
 *   mode with a busy timeout, so several stations can write at once);
 * - PostgreSQL through `npm:pg` for `postgres://…` URLs.
 *
 * Tables: `verdicts` (one row per verdict, with `violation_count`) and
 * `violations` (one row per violation). A verdict and its violations are
 * written in one transaction, so a station killed mid-write leaves either the
 * whole record or none of it; `checkConsistency()` verifies that every
 * verdict has exactly `violation_count` violation rows.
 *
 * @module
 */
import { InputError } from "../io/errors.ts";
import type { Violation } from "./verify.ts";

/** A verdict to store. */
export interface VerdictRecord {
  /** The unit's serial, non-empty. */
  readonly serial: string;
  /** Station name, non-empty. */
  readonly station: string;
  /** Production batch (lot) id, if any. */
  readonly batch?: string | null;
  /** ISO 8601 time of the verdict. */
  readonly createdAt: string;
  /** Model name, non-empty. */
  readonly model: string;
  /** The verdict; must be false when `violations` is non-empty. */
  readonly passed: boolean;
  /** SHA-256 (hex) of the limits the unit was judged with, non-empty. */
  readonly limitsSha256: string;
  /** SHA-256 (hex) of the unit's filter bundle, if any. */
  readonly bundleSha256?: string | null;
  /** SHA-256 of the measurement set's manifest, if measured from a file. */
  readonly setSha256?: string | null;
  /** The metrics as reported by `verifyUnit` (any JSON). */
  readonly metrics: unknown;
  /** The failed checks, in report order (empty for a pass). */
  readonly violations: readonly Violation[];
}

/** A stored verdict. */
export interface StoredVerdict extends VerdictRecord {
  /** Row id, increasing with insertion order. */
  readonly id: number;
}

/** Yield of a selection of verdicts. */
export interface YieldSummary {
  /** Verdicts in the selection. */
  readonly tested: number;
  /** Passing verdicts. */
  readonly passed: number;
  /** Failing verdicts. */
  readonly failed: number;
  /** Distinct serials. */
  readonly units: number;
  /** Units whose latest verdict is a pass, over units (first-pass and retests count once). */
  readonly finalYieldPercent: number;
  /** Passed verdicts over all verdicts. */
  readonly verdictYieldPercent: number;
  /** Number of violations per check name. */
  readonly violationsByCheck: Readonly<Record<string, number>>;
}

/** Which verdicts a yield covers. */
export interface YieldQuery {
  /** Only verdicts of this batch. Default all. */
  readonly batch?: string;
  /** ISO 8601 time; verdicts at or after it. */
  readonly since?: string;
  /** Only verdicts of this station. Default all. */
  readonly station?: string;
}

/** Options of {@linkcode RecordStore.insert}. */
export interface InsertOptions {
  /**
   * Called inside the transaction after every row is written and before the
   * commit — for fault-injection tests (kill a writer mid-transaction).
   */
  readonly beforeCommit?: () => Promise<void> | void;
}

/** Result of a consistency check. */
export interface ConsistencyReport {
  /** True when `problems` is empty. */
  readonly ok: boolean;
  /** Verdict rows in the store. */
  readonly verdicts: number;
  /** Violation rows in the store. */
  readonly violations: number;
  /** Plain-word problems (a verdict whose violation rows do not match its count, orphans, engine checks). */
  readonly problems: readonly string[];
}

/** A verdict store. */
export interface RecordStore {
  /** The back end. */
  readonly kind: "sqlite" | "postgres";
  /** Where it is (file path, or the URL without password). */
  readonly location: string;
  /** Store one verdict with its violations atomically. @returns The new id. */
  insert(record: VerdictRecord, options?: InsertOptions): Promise<number>;
  /** A unit's verdicts, oldest first. */
  history(serial: string): Promise<StoredVerdict[]>;
  /** The yield of the verdicts a query selects. */
  yieldOf(query: YieldQuery): Promise<YieldSummary>;
  /** The verdicts a query selects, oldest first (reports: yield over time, SPC). */
  verdicts(query: YieldQuery): Promise<StoredVerdict[]>;
  /** Check that every verdict has exactly its violations. */
  checkConsistency(): Promise<ConsistencyReport>;
  /** Release the connection; the store is unusable afterwards. */
  close(): Promise<void>;
}

/** One row as both back ends return it (snake_case columns). */
export interface VerdictRow {
  /** Row id (PostgreSQL BIGSERIAL comes back as a string). */
  id: number | string;
  /** {@linkcode VerdictRecord.serial}. */
  serial: string;
  /** {@linkcode VerdictRecord.station}. */
  station: string;
  /** {@linkcode VerdictRecord.batch}; null when none. */
  batch: string | null;
  /** Verdict time: ISO 8601 text (SQLite) or a Date (PostgreSQL TIMESTAMPTZ). */
  created_at: string | Date;
  /** {@linkcode VerdictRecord.model}. */
  model: string;
  /** Pass: 0/1 (SQLite) or a boolean (PostgreSQL). */
  passed: number | boolean;
  /** {@linkcode VerdictRecord.limitsSha256}. */
  limits_sha256: string;
  /** {@linkcode VerdictRecord.bundleSha256}; null when none. */
  bundle_sha256: string | null;
  /** {@linkcode VerdictRecord.setSha256}; null when none. */
  set_sha256: string | null;
  /** Number of violation rows this verdict owns. */
  violation_count: number | string;
  /** {@linkcode VerdictRecord.metrics} as JSON text. */
  metrics_json: string;
}

/** One violation row. */
export interface ViolationRow {
  /** Id of the owning verdict row. */
  verdict_id: number | string;
  /** 0-based index in the verdict's `violations`. */
  seq: number | string;
  /** {@linkcode Violation.check}. */
  check_name: string;
  /** {@linkcode Violation.driver}. */
  driver: string;
  /** {@linkcode Violation.band} in Hz; null when the check is not per band. */
  band_hz: number | null;
  /** {@linkcode Violation.value}. */
  value: number;
  /** {@linkcode Violation.limit}. */
  limit_value: number;
  /** {@linkcode Violation.reason}. */
  reason: string;
}

/** Check a record before it is written. @throws {TypeError} naming the field. */
export function checkRecord(record: VerdictRecord): void {
  const fail = (field: string, rule: string, value: unknown): never => {
    throw new TypeError(
      `Cannot store verdict as ${field} ${rule}: current value is ${JSON.stringify(value)}`,
    );
  };
  for (const field of ["serial", "station", "model", "limitsSha256", "createdAt"] as const) {
    if (typeof record[field] !== "string" || record[field] === "") {
      fail(field, "must be a non-empty string", record[field]);
    }
  }
  if (Number.isNaN(Date.parse(record.createdAt))) {
    fail("createdAt", "must be an ISO 8601 time", record.createdAt);
  }
  if (typeof record.passed !== "boolean") fail("passed", "must be a boolean", record.passed);
  if (record.passed && record.violations.length > 0) {
    fail("passed", "must be false when there are violations", record.passed);
  }
}

/** Rebuild a stored verdict from its rows. */
export function rowToVerdict(row: VerdictRow, violations: readonly ViolationRow[]): StoredVerdict {
  const created = row.created_at instanceof Date
    ? row.created_at.toISOString()
    : new Date(row.created_at).toISOString();
  return {
    id: Number(row.id),
    serial: row.serial,
    station: row.station,
    batch: row.batch,
    createdAt: created,
    model: row.model,
    passed: row.passed === true || row.passed === 1,
    limitsSha256: row.limits_sha256,
    bundleSha256: row.bundle_sha256,
    setSha256: row.set_sha256,
    metrics: JSON.parse(row.metrics_json),
    violations: [...violations]
      .sort((a, b) => Number(a.seq) - Number(b.seq))
      .map((v) => ({
        check: v.check_name as Violation["check"],
        driver: v.driver,
        ...(v.band_hz === null ? {} : { band: Number(v.band_hz) }),
        value: Number(v.value),
        limit: Number(v.limit_value),
        reason: v.reason,
      })),
  };
}

/** Yield summary from the selected rows (`serial`, `passed`, `created_at`, `id`) and violation checks. */
export function summarizeYield(
  rows: readonly { serial: string; passed: number | boolean; id: number | string }[],
  checks: readonly string[],
): YieldSummary {
  const latest = new Map<string, { id: number; passed: boolean }>();
  let passed = 0;
  for (const r of rows) {
    const ok = r.passed === true || r.passed === 1;
    if (ok) passed++;
    const id = Number(r.id);
    const prev = latest.get(r.serial);
    if (!prev || id > prev.id) latest.set(r.serial, { id, passed: ok });
  }
  const units = latest.size;
  const finalPass = [...latest.values()].filter((x) => x.passed).length;
  const violationsByCheck: Record<string, number> = {};
  for (const c of checks) violationsByCheck[c] = (violationsByCheck[c] ?? 0) + 1;
  return {
    tested: rows.length,
    passed,
    failed: rows.length - passed,
    units,
    finalYieldPercent: units === 0 ? 0 : (100 * finalPass) / units,
    verdictYieldPercent: rows.length === 0 ? 0 : (100 * passed) / rows.length,
    violationsByCheck,
  };
}

/** Counts a back end aggregates for a yield (numbers or numeric strings, as drivers return them). */
export interface YieldCounts {
  /** Verdicts selected. */
  readonly tested: number | string;
  /** Passing verdicts selected. */
  readonly passed: number | string;
  /** Distinct serials selected. */
  readonly units: number | string;
  /** Serials whose latest selected verdict passed. */
  readonly final_passed: number | string;
}

/**
 * A yield summary from counts aggregated in the database (the same figures
 * {@linkcode summarizeYield} computes from rows, without moving the rows).
 */
export function yieldFromCounts(
  counts: YieldCounts,
  checks: readonly { check_name: string; n: number | string }[],
): YieldSummary {
  const tested = Number(counts.tested);
  const passed = Number(counts.passed);
  const units = Number(counts.units);
  const violationsByCheck: Record<string, number> = {};
  // Most frequent first (a Pareto of failure reasons), then by name.
  const sorted = [...checks].sort((a, b) =>
    Number(b.n) - Number(a.n) || (a.check_name < b.check_name ? -1 : 1)
  );
  for (const c of sorted) {
    violationsByCheck[c.check_name] = Number(c.n);
  }
  return {
    tested,
    passed,
    failed: tested - passed,
    units,
    finalYieldPercent: units === 0 ? 0 : (100 * Number(counts.final_passed)) / units,
    verdictYieldPercent: tested === 0 ? 0 : (100 * passed) / tested,
    violationsByCheck,
  };
}

/** Options of {@linkcode openRecords}. */
export interface OpenRecordsOptions {
  /**
   * Refuse a SQLite file that does not exist yet instead of creating it (for
   * queries: a mistyped path must not look like an empty history). Default false.
   */
  readonly mustExist?: boolean;
}

/**
 * Open (and create if needed) a record store.
 *
 * @param url `sqlite:<path>`, a plain file path (SQLite), or
 *   `postgres://user@host:port/db` / `postgresql://…`.
 * @param options See {@linkcode OpenRecordsOptions}.
 * @returns The store; close it when done.
 * @throws {InputError} (field `"db"`) for an empty URL or an unsupported scheme.
 * @throws {InputError} (field `"db"`) when the database cannot be opened: a
 *   SQLite path that is a folder, not a database, corrupt, of another schema
 *   or in a missing folder; a PostgreSQL server that refuses or is unreachable.
 *
 * @example
 * ```ts ignore
 * import { openRecords } from "./records.ts";
 * const db = await openRecords("sqlite:line.db");
 * console.log(await db.yieldOf({ batch: "B42" }));
 * await db.close();
 * ```
 */
export async function openRecords(
  url: string,
  options: OpenRecordsOptions = {},
): Promise<RecordStore> {
  if (typeof url !== "string" || url === "") {
    throw new InputError(
      `Cannot open records as url must be a non-empty string: current value is ${
        JSON.stringify(url)
      }`,
      { file: undefined, field: "db", value: url },
    );
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const shown = redactPassword(url);
    let parsed = true;
    try {
      new URL(url);
    } catch {
      parsed = false;
    }
    if (!parsed) {
      throw new InputError(
        `Cannot open records as the PostgreSQL URL is malformed (postgres://user@host:port/database): current value is ${
          JSON.stringify(shown)
        }`,
        { file: undefined, field: "db", value: shown },
      );
    }
    const { openPostgresRecords } = await import("./_records_postgres.ts");
    try {
      return await openPostgresRecords(url);
    } catch (error) {
      throw new InputError(
        `Cannot open records at ${shown} as ${
          reasonOf(error)
        }: check the URL and that the server runs`,
        { file: undefined, field: "db", value: shown },
      );
    }
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (scheme) {
    throw new InputError(
      `Cannot open records as url must be sqlite:<path>, a file path or postgres://…: current value is ${
        JSON.stringify(url)
      }`,
      { file: undefined, field: "db", value: url },
    );
  }
  const path = sqlitePathOf(url)!;
  const bad = (why: string): never => {
    throw new InputError(`Cannot open records database "${path}" as ${why}`, {
      file: path,
      field: "db",
      value: url,
    });
  };
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) bad(reasonOf(error));
  }
  if (info?.isDirectory) bad("it is a folder, not a SQLite file");
  if (info === undefined && options.mustExist) {
    bad("the file does not exist (a query never creates a database; check --db)");
  }
  const { openSqliteRecords } = await import("./_records_sqlite.ts");
  try {
    return openSqliteRecords(path);
  } catch (error) {
    const why = reasonOf(error);
    if (/unable to open database file/i.test(why)) {
      bad("it cannot be created or opened there (missing or unwritable folder)");
    }
    if (/no such column|no such table|already exists/i.test(why)) {
      bad(`it holds another schema (${why}), not spatialcal records`);
    }
    return bad(`it is not a usable SQLite database (${why})`);
  }
}

/**
 * The SQLite file a `--db` URL names (`sqlite:<path>` or a plain path), or
 * `undefined` for a PostgreSQL URL: an input that outputs must not replace.
 */
export function sqlitePathOf(url: string | undefined): string | undefined {
  if (url === undefined || url === "" || /^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return undefined;
  return url.startsWith("sqlite:") ? url.slice("sqlite:".length) : url;
}

/** A URL with its password replaced by `***`, for messages. */
function redactPassword(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/, "$1***@");
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.includes(code)
      ? `${error.message} (${code})`
      : error.message;
  }
  return String(error);
}
