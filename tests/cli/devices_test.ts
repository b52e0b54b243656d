/**
 * `deno task devices`: exit 2 with a clear message when there is no audio
 * server and no card; a listing of the JACK interface when a server runs.
 * The "no server" case points the probe at a JACK server name that does not
 * exist (JACK_DEFAULT_SERVER), so it never disturbs a running loopback. The
 * tests that need the JACK loopback (the listing, the real "servers stopped"
 * case) are in tests/measure/webaudio_test.ts, whose tests run one at a time.
 */
import assert from "node:assert/strict";
import { runCli } from "./_run.ts";

const hasAlsaCard = await Deno.stat("/dev/snd").then(() => true, () => false);

Deno.test({
  name: "devices exits 2 with no JACK server and no sound card, saying what to connect or start",
  ignore: hasAlsaCard,
  fn: async () => {
    const { code, stdout, stderr } = await runCli("devices.ts", [], {
      env: { JACK_DEFAULT_SERVER: "spatialcal-test-no-such-server" },
    });
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    assert.ok(
      stderr.includes(
        "Cannot list audio devices as no audio server runs and no sound card is present",
      ),
      stderr,
    );
    assert.ok(stderr.includes("Connect the audio interface"), stderr);
    assert.ok(stderr.includes("bash .ci/jack_loopback.sh start"), stderr);
    assert.ok(!stderr.includes("panicked") && !stderr.includes("Aborted"), stderr);
  },
});

Deno.test("devices rejects an unknown flag with exit 2", async () => {
  const { code, stderr } = await runCli("devices.ts", ["--channels", "8"]);
  assert.equal(code, 2);
  assert.ok(stderr.includes("devices: Unknown option '--channels'"), stderr);
});
