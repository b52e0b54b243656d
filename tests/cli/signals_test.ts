/**
 * Issue 13, Build 6 and 7: Ctrl-C / SIGTERM during `measure` say what was
 * kept and how to resume (exit 130 / 143), and a simulated measurement
 * interrupted and resumed in a new process equals an uninterrupted one bit for
 * bit (the simulator's noise depends on the capture, not on a per-process
 * call counter).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../_temp.ts";
import { runCli } from "./_run.ts";

const MEASURE = new URL("../../cli/measure.ts", import.meta.url).pathname;

/** 2 drivers × 12 positions = 24 captures at the reference mic: a few seconds. */
function measureArgs(out: string): string[] {
  return [
    "--device",
    "sim:soundbar2",
    "--serial",
    "SIG-1",
    "--mic",
    "reference",
    "--arc",
    "-150:180:30",
    "--duration-seconds",
    "0.5",
    "--out",
    out,
  ];
}

/** Start `measure`, send `signal` once its journal has `afterDone` finished steps; return the outcome. */
async function interrupt(
  out: string,
  signal: "SIGINT" | "SIGTERM",
  afterDone: number,
): Promise<{ code: number; stderr: string; doneAtSignal: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MEASURE, ...measureArgs(out)],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let doneAtSignal = 0;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const journal = JSON.parse(await Deno.readTextFile(join(`${out}.partial`, "journal.json")));
      doneAtSignal = journal.done.length;
      if (doneAtSignal >= afterDone) break;
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) throw new Error("measure did not start within 60 s");
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill(signal);
  const result = await child.output();
  return { code: result.code, stderr: new TextDecoder().decode(result.stderr), doneAtSignal };
}

/** Every file under `root` (relative path → bytes). */
async function tree(root: string, rel = ""): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(join(root, rel))) {
    const path = join(rel, e.name);
    if (e.isDirectory) { for (const [k, v] of await tree(root, path)) out.set(k, v); }
    else out.set(path, await Deno.readFile(join(root, path)));
  }
  return out;
}

Deno.test("measure stopped by SIGINT exits 130, names <out>.partial and --resume; the resumed set equals an uninterrupted run bit for bit", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "set");
    const stopped = await interrupt(out, "SIGINT", 3);
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(
      stopped.stderr,
      new RegExp(
        `measure: stopped by SIGINT: \\d+ finished captures are kept in "${out}\\.partial"; run the same command with --resume`,
      ),
    );
    const kept = Number(/stopped by SIGINT: (\d+)/.exec(stopped.stderr)![1]);
    assert.ok(kept >= 3 && kept < 24, `kept ${kept} of 24`);
    const resumed = await runCli("measure.ts", [...measureArgs(out), "--resume"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`\\(${24 - kept} measured now, ${kept} resumed\\)`));

    const whole = join(dir, "whole");
    const uninterrupted = await runCli("measure.ts", measureArgs(whole));
    assert.equal(uninterrupted.code, 0, uninterrupted.stderr);
    const a = await tree(out);
    const b = await tree(whole);
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [path, bytes] of a) {
      if (path === "manifest.json") continue;
      // Compared byte by byte: assert.deepEqual's diff of two large arrays would take minutes.
      const other = b.get(path)!;
      const first = bytes.findIndex((x, i) => x !== other[i]);
      assert.ok(
        bytes.length === other.length && first < 0,
        `${path} differs between resumed and uninterrupted (first at byte ${first})`,
      );
    }
    const manifest = (bytes: Uint8Array) => {
      const m = JSON.parse(new TextDecoder().decode(bytes));
      delete m.createdAt; // when the session started: the only field allowed to differ
      return m;
    };
    assert.deepEqual(manifest(a.get("manifest.json")!), manifest(b.get("manifest.json")!));
  });
});

Deno.test("measure stopped by SIGTERM exits 143 and keeps a resumable <out>.partial", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "set");
    const stopped = await interrupt(out, "SIGTERM", 1);
    assert.equal(stopped.code, 143, stopped.stderr);
    assert.match(stopped.stderr, /stopped by SIGTERM: \d+ finished captures? (is|are) kept in/);
    const journal = JSON.parse(await Deno.readTextFile(join(`${out}.partial`, "journal.json")));
    assert.ok(journal.done.length >= 1);
    // Nothing half-written: every IR the journal lists is a complete, readable WAV.
    for (const c of journal.captures) {
      const info = await Deno.stat(join(`${out}.partial`, c.ir));
      assert.ok(info.size > 44, c.ir);
    }
  });
});
