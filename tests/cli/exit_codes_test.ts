import assert from "node:assert/strict";
import { join } from "node:path";
import { isInputError } from "../../cli/_common.ts";
import { InputError } from "../../io/errors.ts";

const COMMON = new URL("../../cli/_common.ts", import.meta.url).href;

/** Run a tiny command whose main throws `throwing`; return its exit code and stderr. */
async function exitOf(throwing: string): Promise<{ code: number; stderr: string }> {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "cmd.ts");
    await Deno.writeTextFile(
      file,
      `import { runCommand } from ${JSON.stringify(COMMON)};
import { InputError } from ${JSON.stringify(new URL("../../io/errors.ts", import.meta.url).href)};
await runCommand("help", () => { ${throwing} });`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-lock", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a TypeError (a bug) exits 3 with the stack; InputError and RangeError (bad input) exit 2", async () => {
  const bug = await exitOf("const o: any = undefined; return o.x;");
  assert.equal(bug.code, 3);
  assert.match(bug.stderr, /internal error: TypeError/);
  const bad = await exitOf(
    'throw new InputError("Cannot read x as y must be z: current value is 1", { file: "x", field: "y", value: 1 });',
  );
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^error: Cannot read x as y must be z: current value is 1/m);
  const range = await exitOf(
    'throw new RangeError("Cannot do x as n must be > 0: current value is 0");',
  );
  assert.equal(range.code, 2);
});

Deno.test("isInputError() takes InputError and RangeError for the user's, TypeError and Error for ours", () => {
  assert.equal(isInputError(new InputError("m", { file: undefined, field: "f", value: 1 })), true);
  assert.equal(isInputError(new RangeError("m")), true);
  assert.equal(isInputError(new TypeError("m")), false);
  assert.equal(isInputError(new Error("m")), false);
});

Deno.test("records --db with an unsupported scheme is bad input: exit 2 naming the URL", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../cli/records.ts", import.meta.url).pathname,
      "--db",
      "mysql://x/y",
      "--serial",
      "X",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /^error: Cannot open records as url must be sqlite:<path>, a file path or postgres:\/\/…: current value is "mysql:\/\/x\/y"/m,
  );
});
