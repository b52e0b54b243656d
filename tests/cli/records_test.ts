import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_run.ts";

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
