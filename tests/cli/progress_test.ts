import assert from "node:assert/strict";
import { formatEta, progressReporter } from "../../cli/_common.ts";

Deno.test("formatEta(): time left from the pace so far, empty before the first item and at the end", () => {
  assert.equal(formatEta(1000, 0, 10), "");
  assert.equal(formatEta(1000, 1, 10), "ETA 9 s"); // 1 s per item, 9 left
  assert.equal(formatEta(30000, 1, 10), "ETA 4 min 30 s");
  assert.equal(formatEta(5000, 10, 10), "");
});

Deno.test("progressReporter(): a redrawn bar with ETA on a terminal, plain lines in a log", () => {
  const tty: string[] = [];
  const onTty = progressReporter("measure", { isTerminal: true, write: (s) => tty.push(s) });
  onTty(1, 4, "mid-left");
  onTty(4, 4, "woofer");
  assert.match(tty[0]!, /^\rmeasure \[#{8}-{22}\] 1\/4 ETA \d+ s mid-left/);
  assert.equal(tty.at(-1), "\n"); // the finished bar is left on its own line
  const log: string[] = [];
  const onLog = progressReporter("line-sim", { isTerminal: false, write: (s) => log.push(s) });
  onLog(1, 3, "u1"); // within 5 s of the start: nothing
  onLog(3, 3, "u3");
  assert.deepEqual(log, ["line-sim: 3/3\n"]);
  assert.ok(log.every((l) => !l.includes("\r")));
});
