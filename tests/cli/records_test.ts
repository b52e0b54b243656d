import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_run.ts";
import { openRecords } from "../../calibrate/records.ts";
import { sampleRecord } from "../calibrate/_records_writer.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const run = (args: string[]) => runCli("records.ts", args, { cwd: ROOT });

Deno.test("deno task records: a database it cannot use exits 2 naming it; a mistyped path is not created", async () => {
  const dir = await Deno.makeTempDir();
  const typo = join(dir, "typo.db");
  const missing = await run(["--db", `sqlite:${typo}`, "--serial", "X"]);
  equal(missing.code, 2, missing.stderr);
  ok(missing.stderr.includes(`Cannot open records database "${typo}" as the file does not exist`));
  equal(await Deno.stat(typo).then(() => true, () => false), false);
  const wav = join(dir, "sweep.wav");
  await Deno.writeFile(wav, new Uint8Array(4096).fill(7));
  const notDb = await run(["--db", `sqlite:${wav}`, "--check"]);
  equal(notDb.code, 2, notDb.stderr);
  ok(notDb.stderr.includes("as it is not a usable SQLite database"), notDb.stderr);
  ok(!notDb.stderr.includes("    at "), "no stack trace");
  const folder = await run(["--db", dir, "--serial", "X"]);
  equal(folder.code, 2);
  ok(folder.stderr.includes("as it is a folder, not a SQLite file"), folder.stderr);
  const refused = await run(["--db", "postgres://nobody@127.0.0.1:1/db", "--serial", "X"]);
  equal(refused.code, 2, refused.stderr);
  ok(
    refused.stderr.includes("Cannot open records at postgres://nobody@127.0.0.1:1/db as"),
    refused.stderr,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno task records: a unit's history with reasons, a batch's yield, --check and --json", async () => {
  const dir = await Deno.makeTempDir();
  const url = `sqlite:${join(dir, "line.db")}`;
  const db = await openRecords(url);
  const fail = sampleRecord("L1-S3", 3); // fails with 3 violations
  await db.insert(fail);
  await db.insert({ ...sampleRecord("L1-S3", 4), serial: fail.serial }); // passes on retest
  await db.insert(sampleRecord("L1-S4", 5)); // another unit, passes
  await db.close();

  const history = await run(["--db", url, "--serial", fail.serial]);
  equal(history.code, 0, history.stderr);
  const lines = history.stdout.trim().split("\n");
  ok(
    lines[0]!.startsWith(`${fail.createdAt}  FAIL  station L1-S3  batch B1  limits aaaaaaaaaaaa…`),
    lines[0],
  );
  equal(lines.filter((l) => l.startsWith("    - ")).length, 3);
  ok(lines[1]!.includes(fail.violations[0]!.reason), history.stdout);
  ok(lines[4]!.includes("PASS  station L1-S3"), history.stdout);

  const y = await run(["--db", url, "--batch", "B1", "--json"]);
  equal(y.code, 0, y.stderr);
  const report = JSON.parse(y.stdout);
  equal(report.tested, 3);
  equal(report.units, 2);
  equal(report.failed, 1);
  equal(report.finalYieldPercent, 100);

  const none = await run(["--db", url, "--serial", "NO-SUCH"]);
  equal(none.code, 0);
  ok(none.stdout.includes("NO-SUCH: no verdicts in"), none.stdout);
  const check = await run(["--db", url, "--check"]);
  equal(check.code, 0, check.stderr);
  ok(check.stdout.includes("consistent: 3 verdicts, 3 violations"), check.stdout);
  await Deno.remove(dir, { recursive: true });
});
