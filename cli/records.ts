/**
 * `deno task records`: query the line's verdict records — a unit's history,
 * a batch's (or a period's) yield, and a consistency check.
 *
 * @module
 */
import { openRecords } from "../calibrate/records.ts";
import { booleanFlag, parseFlags, runCommand, stringFlag, UsageError } from "./_common.ts";

const HELP = `
deno task records --serial S [--db URL] [--json]
deno task records --batch B | --since TIME [--station ID] [--db URL] [--json]
deno task records --check [--db URL]

  --db URL        sqlite:<path>, a path, or postgres://… (default sqlite:spatialcal-records.db)
  --serial S      list the unit's verdicts, oldest first, with reasons
  --batch B       yield of a production batch
  --since TIME    yield of verdicts at or after an ISO 8601 time (with or without --batch)
  --station ID    restrict the yield to one station
  --check         check that every verdict has exactly its violations (exit 1 if not)
  --json          print JSON on stdout
`;

await runCommand(HELP, async (args) => {
  const v = parseFlags("records", args, {
    db: { type: "string" },
    serial: { type: "string" },
    batch: { type: "string" },
    since: { type: "string" },
    station: { type: "string" },
    check: { type: "boolean" },
    json: { type: "boolean" },
  });
  const serial = stringFlag(v, "serial");
  const batch = stringFlag(v, "batch");
  const since = stringFlag(v, "since");
  const station = stringFlag(v, "station");
  const check = booleanFlag(v, "check");
  const json = booleanFlag(v, "json");
  if (!serial && !batch && !since && !station && !check) {
    throw new UsageError(
      "records: give --serial, --batch, --since, --station or --check (see --help)",
    );
  }
  if (since !== undefined && Number.isNaN(Date.parse(since))) {
    throw new UsageError(
      `Cannot use --since as it must be an ISO 8601 time: current value is "${since}"`,
    );
  }
  const db = await openRecords(stringFlag(v, "db") ?? "sqlite:spatialcal-records.db", {
    mustExist: true,
  });
  try {
    if (check) {
      const report = await db.checkConsistency();
      console.log(
        json
          ? JSON.stringify(report, null, 2)
          : report.ok
          ? `consistent: ${report.verdicts} verdicts, ${report.violations} violations`
          : `INCONSISTENT:\n${report.problems.join("\n")}`,
      );
      return report.ok ? 0 : 1;
    }
    if (serial !== undefined) {
      const history = await db.history(serial);
      if (json) {
        console.log(JSON.stringify(history, null, 2));
      } else if (history.length === 0) {
        console.log(`${serial}: no verdicts in ${db.location}`);
      } else {
        for (const h of history) {
          console.log(
            `${h.createdAt}  ${h.passed ? "PASS" : "FAIL"}  station ${h.station}${
              h.batch ? `  batch ${h.batch}` : ""
            }  limits ${h.limitsSha256.slice(0, 12)}…${
              h.bundleSha256 ? `  bundle ${h.bundleSha256.slice(0, 12)}…` : ""
            }`,
          );
          for (const x of h.violations) console.log(`    - ${x.reason}`);
        }
      }
      return 0;
    }
    const y = await db.yieldOf({
      ...(batch === undefined ? {} : { batch }),
      ...(since === undefined ? {} : { since }),
      ...(station === undefined ? {} : { station }),
    });
    if (json) {
      console.log(JSON.stringify(y, null, 2));
    } else {
      const what = [
        batch && `batch ${batch}`,
        since && `since ${since}`,
        station && `station ${station}`,
      ]
        .filter(Boolean).join(", ");
      console.log(`${what}: ${y.tested} verdicts on ${y.units} units`);
      console.log(
        `  passed ${y.passed}, failed ${y.failed}; verdict yield ${
          y.verdictYieldPercent.toFixed(1)
        } %, final yield (latest verdict per unit) ${y.finalYieldPercent.toFixed(1)} %`,
      );
      for (const [c, n] of Object.entries(y.violationsByCheck).sort((a, b) => b[1] - a[1])) {
        console.log(`  ${c}: ${n} violations`);
      }
    }
    return 0;
  } finally {
    await db.close();
  }
});
