import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);

Deno.test("every `deno task <name>` the README shows exists in deno.json and answers --help", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", root));
  const tasks = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).tasks as Record<
    string,
    string
  >;
  const named = [...new Set([...readme.matchAll(/deno task ([a-z][a-z-]*)/g)].map((m) => m[1]!))];
  assert.ok(named.length >= 10, `only ${named.length} tasks named`);
  const missing = named.filter((t) => !(t in tasks));
  assert.deepEqual(missing, [], `README names tasks deno.json lacks: ${missing.join(", ")}`);
  for (const task of named) {
    const command = tasks[task]!;
    const script = /^deno run -A (\S+\.ts)$/.exec(command)?.[1];
    if (script === undefined) continue; // test, bench, ok, check: not commands with --help
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(script, root).pathname, "--help"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, `deno task ${task} --help exited ${out.code}`);
    assert.match(
      new TextDecoder().decode(out.stdout),
      new RegExp(`deno task ${task}`),
      `${task} --help names itself`,
    );
  }
});
