/**
 * A station process for the record-store tests:
 *   deno run -A _records_writer.ts <url> <station> <count>        write count verdicts, print "done"
 *   deno run -A _records_writer.ts <url> <station> hang           write one verdict, print
 *                                                                 "in-transaction" before the commit and wait to be killed
 * @module
 */
import { openRecords, type VerdictRecord } from "../../calibrate/records.ts";

export function sampleRecord(station: string, i: number): VerdictRecord {
  const passed = i % 3 !== 0;
  return {
    serial: `SN-${station}-${String(i).padStart(4, "0")}`,
    station,
    batch: "B1",
    createdAt: new Date(Date.UTC(2026, 10, 26, 10, 0, i)).toISOString(),
    model: "studio5",
    passed,
    limitsSha256: "a".repeat(64),
    bundleSha256: null,
    setSha256: null,
    metrics: { i, drivers: { woofer: { sensitivityDb: -8 + i / 100 } } },
    violations: passed ? [] : [
      {
        check: "sensitivity",
        driver: "woofer",
        value: -12,
        limit: -10,
        reason: "woofer is 4.0 dB too quiet",
      },
      {
        check: "frequency-response",
        driver: "woofer",
        band: 100,
        value: -20,
        limit: -15,
        reason: "low",
      },
      { check: "air-leak", driver: "woofer", value: 6, limit: 2, reason: "leak" },
    ],
  };
}

if (import.meta.main) {
  const [url, station, what] = Deno.args;
  const db = await openRecords(url!);
  if (what === "hang") {
    await db.insert(sampleRecord(station!, 9999), {
      beforeCommit: async () => {
        await Deno.stdout.write(new TextEncoder().encode("in-transaction\n"));
        // A pending timer keeps the event loop alive: a bare never-settling
        // promise would let Deno exit on its own before the SIGKILL lands.
        await new Promise(() => setInterval(() => {}, 1000)); // wait for SIGKILL
      },
    });
  } else {
    for (let i = 0; i < Number(what); i++) await db.insert(sampleRecord(station!, i));
    await db.close();
    console.log("done");
  }
}
