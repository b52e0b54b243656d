/**
 * Moving the mic between captures: a turntable command run through `sh -c`
 * ({@linkcode runTurntableCommand}, template filled by
 * {@linkcode turntableCommand}) or, without one, a prompt to the operator.
 *
 * @module
 */
import type { MicPosition } from "./audio_device.ts";
import { waitForOperator } from "./operator.ts";

/** A position as the operator reads it. */
export function formatPosition(p: MicPosition): string {
  return `azimuth ${p.azimuthDeg}°, elevation ${p.elevationDeg}°, distance ${p.distanceMeters} m` +
    (p.headYawDeg === undefined ? "" : `, head yaw ${p.headYawDeg}°`);
}

/** Ask the operator on stdin and wait for Enter; a closed stdin throws. */
export async function stdinPrompt(message: string): Promise<void> {
  if (!(await waitForOperator(message))) {
    throw new Error(
      `Cannot move the mic as stdin closed while waiting for the operator (${message})`,
    );
  }
}

/** Fill a turntable command template: `{azimuth}`, `{elevation}`, `{distance}`, `{headYaw}`. */
export function turntableCommand(template: string, position: MicPosition): string {
  return template
    .replaceAll("{azimuth}", String(position.azimuthDeg))
    .replaceAll("{elevation}", String(position.elevationDeg))
    .replaceAll("{distance}", String(position.distanceMeters))
    .replaceAll("{headYaw}", String(position.headYawDeg ?? 0));
}

/** Run a turntable command through `sh -c` and wait for it; non-zero exit throws. */
export async function runTurntableCommand(template: string, position: MicPosition): Promise<void> {
  const command = turntableCommand(template, position);
  const output = await new Deno.Command("sh", {
    args: ["-c", command],
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new Error(
      `Cannot move to ${
        formatPosition(position)
      } as the turntable command \`${command}\` exited with code ${output.code}${
        stderr === "" ? "" : `: ${stderr}`
      }`,
    );
  }
}
