import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { openRecords, type RecordStore } from "../../calibrate/records.ts";
import { InputError } from "../../io/errors.ts";
import { sampleRecord } from "./_records_writer.ts";

const WRITER = new URL("./_records_writer.ts", import.meta.url).pathname;
const PG_URL = Deno.env.get("SPATIALCAL_TEST_POSTGRES_URL");
const CI = Deno.env.get("CI");
const pgIgnore = !PG_URL && !CI;
if (pgIgnore) {
  console.error(
    "records_test: PostgreSQL tests skipped: SPATIALCAL_TEST_POSTGRES_URL is not set (start one with `bash .ci/postgres.sh start`)",
  );
}

async function writers(url: string, stations: string[], count: number): Promise<void> {
  const procs = stations.map((s) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", WRITER, url, s, String(count)],
      stdout: "piped",
      stderr: "piped",
    }).spawn()
  );
  const outs = await Promise.all(procs.map((p) => p.output()));
  outs.forEach((o, i) => {
    const err = new TextDecoder().decode(o.stderr);
    equal(o.code, 0, `writer ${stations[i]} failed: ${err}`);
  });
}

/** Start a writer that stops inside its transaction, and SIGKILL it there. */
async function killMidWrite(url: string, station: string): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", WRITER, url, station, "hang"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("in-transaction")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  ok(text.includes("in-transaction"), "the writer reached its transaction");
  child.kill("SIGKILL");
  const status = await child.status;
  equal(status.signal, "SIGKILL");
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  await child.stderr.cancel().catch(() => {});
}

async function roundTrip(db: RecordStore): Promise<void> {
  const a = sampleRecord("T", 3); // a fail with 3 violations
  const b = { ...sampleRecord("T", 4), serial: a.serial }; // a pass on retest
  await db.insert(a);
  await db.insert(b);
  const h = await db.history(a.serial);
  equal(h.length, 2);
  equal(h[0]!.passed, false);
  equal(h[0]!.violations.length, 3);
  deepEqual(h[0]!.violations[1], a.violations[1]);
  deepEqual(h[0]!.metrics, a.metrics);
  equal(h[0]!.createdAt, a.createdAt);
  equal(h[1]!.passed, true);
  // verdicts(): the selection oldest first, each with its violations (the report reads these).
  deepEqual(await db.verdicts({ batch: "B1" }), h);
  deepEqual(await db.verdicts({ batch: "no-such-batch" }), []);
  const y = await db.yieldOf({ batch: "B1" });
  ok(y.tested >= 2);
  const none = await db.yieldOf({ batch: "no-such-batch" });
  equal(none.tested, 0);
  await rejects(
    db.insert({ ...a, serial: "" }),
    (e: unknown) =>
      e instanceof TypeError &&
      e.message ===
        'Cannot store verdict as serial must be a non-empty string: current value is ""',
  );
  await rejects(
    db.insert({ ...a, passed: true }),
    (e: unknown) =>
      e instanceof TypeError &&
      e.message.includes("passed must be false when there are violations"),
  );
}

async function pgReset(url: string): Promise<void> {
  const db = await openRecords(url);
  await db.close();
  const pg = (await import("pg")).default as unknown as {
    Client: new (
      o: object,
    ) => { connect(): Promise<void>; query(q: string): Promise<unknown>; end(): Promise<void> };
  };
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query("TRUNCATE violations, verdicts RESTART IDENTITY");
  await c.end();
}

Deno.test("SQLite records: a verdict and its violations round-trip; history and yield", async () => {
  const dir = await Deno.makeTempDir();
  const db = await openRecords(`sqlite:${join(dir, "line.db")}`);
  equal(db.kind, "sqlite");
  await roundTrip(db);
  const y = await db.yieldOf({ since: "2026-11-26T10:00:00Z" });
  deepEqual(y, {
    tested: 2,
    passed: 1,
    failed: 1,
    units: 1,
    finalYieldPercent: 100,
    verdictYieldPercent: 50,
    violationsByCheck: { "sensitivity": 1, "frequency-response": 1, "air-leak": 1 },
  });
  await db.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("SQLite records: four concurrent station processes lose no record", async () => {
  const dir = await Deno.makeTempDir();
  const url = `sqlite:${join(dir, "line.db")}`;
  await writers(url, ["S1", "S2", "S3", "S4"], 40);
  const db = await openRecords(url);
  const c = await db.checkConsistency();
  equal(c.verdicts, 160);
  // Every third record fails with 3 violations: i = 0, 3, …, 39 → 14 per station.
  equal(c.violations, 4 * 14 * 3);
  ok(c.ok, c.problems.join("; "));
  equal((await db.yieldOf({ station: "S3" })).tested, 40);
  await db.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("SQLite records: a writer killed mid-transaction leaves no partial record", async () => {
  const dir = await Deno.makeTempDir();
  const url = `sqlite:${join(dir, "line.db")}`;
  await writers(url, ["S1"], 3);
  await killMidWrite(url, "K");
  const db = await openRecords(url);
  const c = await db.checkConsistency();
  ok(c.ok, c.problems.join("; "));
  equal(c.verdicts, 3);
  equal((await db.history("SN-K-9999")).length, 0);
  await db.insert(sampleRecord("after", 1)); // the lock was released
  equal((await db.checkConsistency()).verdicts, 4);
  await db.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("openRecords() rejects an unsupported URL as bad input (InputError, exit 2)", async () => {
  await rejects(
    openRecords("mysql://x/y"),
    (e: unknown) =>
      e instanceof InputError &&
      e.message ===
        'Cannot open records as url must be sqlite:<path>, a file path or postgres://…: current value is "mysql://x/y"',
  );
  await rejects(openRecords(""), InputError);
});

Deno.test({
  name:
    "PostgreSQL records: round-trip, four concurrent stations lose no record, a killed writer leaves none",
  ignore: pgIgnore,
  async fn() {
    if (!PG_URL) {
      throw new Error(
        "CI is set but SPATIALCAL_TEST_POSTGRES_URL is not: run .ci/postgres.sh start",
      );
    }
    await pgReset(PG_URL);
    const db = await openRecords(PG_URL);
    equal(db.kind, "postgres");
    await roundTrip(db);
    await db.close();
    await pgReset(PG_URL);
    await writers(PG_URL, ["P1", "P2", "P3", "P4"], 40);
    await killMidWrite(PG_URL, "K");
    const db2 = await openRecords(PG_URL);
    const c = await db2.checkConsistency();
    ok(c.ok, c.problems.join("; "));
    equal(c.verdicts, 160);
    equal(c.violations, 4 * 14 * 3);
    equal((await db2.history("SN-K-9999")).length, 0);
    const y = await db2.yieldOf({ batch: "B1" });
    equal(y.tested, 160);
    equal(y.units, 160);
    await db2.close();
  },
});

Deno.test("openRecords() refuses a database it cannot use with InputError naming the path and why", async () => {
  const dir = await Deno.makeTempDir();
  const refuses = async (url: string, text: string, options = {}) => {
    await rejects(
      openRecords(url, options),
      (e: unknown) => e instanceof InputError && e.field === "db" && e.message.includes(text),
    );
  };
  await refuses(`sqlite:${dir}`, `Cannot open records database "${dir}" as it is a folder`);
  const notDb = join(dir, "not.db");
  await Deno.writeTextFile(notDb, "RIFF....WAVEfmt this is not a database at all".repeat(100));
  await refuses(`sqlite:${notDb}`, "as it is not a usable SQLite database (file is not a database");
  await refuses(
    `sqlite:${join(dir, "nodir", "r.db")}`,
    "as it cannot be created or opened there (missing or unwritable folder)",
  );
  // Another application's SQLite file with a "verdicts" table of its own.
  const other = join(dir, "other.db");
  const { DatabaseSync } = await import("node:sqlite");
  const o = new DatabaseSync(other);
  o.exec("CREATE TABLE verdicts (id INTEGER PRIMARY KEY, what TEXT)");
  o.close();
  await refuses(`sqlite:${other}`, "as it holds another schema");
  const missing = join(dir, "typo.db");
  await refuses(`sqlite:${missing}`, "as the file does not exist", { mustExist: true });
  equal(await Deno.stat(missing).then(() => true, () => false), false, "nothing created");
  await refuses(
    "postgres://nobody@127.0.0.1:1/db",
    "Cannot open records at postgres://nobody@127.0.0.1:1/db as",
  );
  await refuses("postgres://u:secret@::::/x", "the PostgreSQL URL is malformed");
  await rejects(
    openRecords("postgres://u:secret@::::/x"),
    (e: unknown) => e instanceof Error && !e.message.includes("secret"),
  );
  await Deno.remove(dir, { recursive: true });
});
