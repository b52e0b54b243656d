/** Run a `cli/` command in a subprocess; returns exit code, stdout and stderr. */
export async function runCli(
  script: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const url = new URL(`../../cli/${script}`, import.meta.url);
  // Without the INIT_CWD that `deno task test` sets: a command would take it as its caller's
  // folder (cli/_common.ts useCallersFolder); tests give paths and `cwd` themselves.
  const env = { ...Deno.env.toObject(), ...options.env };
  delete env.INIT_CWD;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", url.pathname, ...args],
    stdout: "piped",
    stderr: "piped",
    env,
    clearEnv: true,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Run a shell tool (sox, soxi, ...) and fail loudly if it fails. */
export async function tool(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (out.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}
