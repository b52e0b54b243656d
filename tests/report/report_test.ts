/**
 * `deno task report` end to end on inputs made with the virtual lab: a
 * studio5 set measured through `deno task measure` (binaural head and a
 * reference arc, harmonics kept), its bundle from `deno task fit`, and a line
 * database from `deno task line-sim`. The page is opened in headless Chromium.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../cli/_run.ts";
import { withTempDir } from "../_temp.ts";
import { dumpDom, screenshot } from "./_chromium.ts";
import { cropImage, decodePng, inkOf } from "./_png.ts";
import { readMeasurementSet } from "../../io/manifest.ts";
import { SPEED_OF_SOUND_MPS } from "../../dsp/constants.ts";

interface JsonNumber {
  id: string;
  label: string;
  value: number | null;
  unit: string;
}

interface PageCheck {
  errors: string[];
  plots: { id: string; ok: boolean; x: number; y: number; w: number; h: number }[];
  height: number;
}

async function ok(script: string, args: string[]): Promise<string> {
  const r = await runCli(script, args);
  assert.equal(r.code, 0, `${script} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Every (key, text) pair of the page's number cells. */
function pageNumbers(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/data-key="([^"]+)">([^<]*)</g)) out.set(m[1]!, m[2]!);
  return out;
}

Deno.test("report: a studio5 set + bundle + line database renders in Chromium with every plot drawn and the --json numbers on the page", async (t) => {
  await withTempDir(async (dir) => {
    const set = join(dir, "u1"), bundle = join(dir, "b1"), db = join(dir, "line.db");
    const limits = join(dir, "limits.json");
    await ok("measure.ts", [
      "--device",
      "sim:studio5",
      "--serial",
      "SIM-000123",
      "--mic",
      "binaural",
      "--azimuth",
      "0",
      "--distance",
      "2",
      "--keep-harmonics",
      "--duration-seconds",
      "1",
      "--out",
      set,
    ]);
    await ok("measure.ts", [
      "--device",
      "sim:studio5",
      "--serial",
      "SIM-000123",
      "--mic",
      "reference",
      "--arc",
      "-180:180:30",
      "--distance",
      "2",
      "--keep-harmonics",
      "--duration-seconds",
      "1",
      "--out",
      set,
      "--append",
    ]);
    await ok("fit.ts", ["--in", set, "--out", bundle]);
    const line = JSON.parse(
      await ok("line_sim.ts", [
        "--units",
        "12",
        "--defect-rate",
        "0.4",
        "--seed",
        "5",
        "--golden-units",
        "5",
        "--db",
        `sqlite:${db}`,
        "--limits-out",
        limits,
        "--batch",
        "B7",
        "--json",
      ]),
    );
    const out = join(dir, "report.html"), plotsDir = join(dir, "plots"), frdDir = join(dir, "frd");
    const json = JSON.parse(
      await ok("report.ts", [
        "--in",
        set,
        "--bundle",
        bundle,
        "--db",
        `sqlite:${db}`,
        "--batch",
        "B7",
        "--limits",
        limits,
        "--smoothing",
        "12",
        "--out",
        out,
        "--plots-dir",
        plotsDir,
        "--frd-dir",
        frdDir,
        "--json",
      ]),
    );
    const html = await Deno.readTextFile(out);
    const plots = json.plots as { id: string; section: string }[];
    const numbers = Object.values(json.numbers as Record<string, JsonNumber[]>).flat();

    await t.step("the page is self-contained: no external script, style, font or image", () => {
      assert.doesNotMatch(html, /<script[^>]+src=/i);
      assert.doesNotMatch(html, /<link\b/i);
      assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
      assert.doesNotMatch(html, /url\(\s*['"]?(https?:)?\/\//i);
      assert.doesNotMatch(html, /@import|@font-face/i);
      // Every plot is inline SVG.
      assert.equal((html.match(/<figure class="plot"/g) ?? []).length, plots.length);
      assert.equal((html.match(/<svg\b/g) ?? []).length, plots.length);
    });

    await t.step("every section's plots are there", () => {
      const ids = plots.map((p) => p.id);
      for (
        const id of [
          "set-magnitude",
          "set-phase",
          "set-group-delay",
          "set-impulse",
          "set-thd",
          "set-harmonics",
          "set-binaural",
          "set-polar-1000",
          "set-directivity-map",
          "bundle-filters",
          "bundle-separation",
          "bundle-beam-2000",
          "bundle-beam-map",
          "bundle-effort",
          "line-yield",
          "line-pareto",
          "line-spc-sensitivity",
          "line-cpk",
        ]
      ) assert.ok(ids.includes(id), `plot ${id} missing from ${ids.join(", ")}`);
      assert.match(html, /1\/12-octave smoothed/);
    });

    const { dom, log } = await dumpDom(out, dir);
    const check = JSON.parse(
      (dom.match(/<pre id="page-check" hidden="">([^<]*)<\/pre>/)?.[1] ?? "null")
        .replace(/&quot;/g, '"'),
    ) as PageCheck;

    await t.step("Chromium reports no console or page errors", () => {
      assert.deepEqual(check.errors, []);
      const consoleErrors = log.split("\n").filter((l) =>
        /CONSOLE|Uncaught|SyntaxError|TypeError|ReferenceError/.test(l)
      );
      assert.deepEqual(consoleErrors, []);
    });

    await t.step("the numbers on the page equal the --json output", () => {
      const shown = pageNumbers(dom);
      assert.equal(shown.size, numbers.length);
      for (const n of numbers) {
        assert.equal(shown.get(n.id), n.value === null ? "n/a" : String(n.value), n.id);
      }
    });

    await t.step("every plot is laid out and draws ink on a screenshot", async () => {
      assert.equal(check.plots.length, plots.length);
      assert.ok(check.plots.every((p) => p.ok), JSON.stringify(check.plots.filter((p) => !p.ok)));
      const img = decodePng(await screenshot(out, dir, 1280, check.height));
      assert.equal(img.width, 1280);
      // Control: the page's right margin (the body is at most 1240 px wide) is blank to this check.
      assert.ok(inkOf(cropImage(img, 1266, 0, 14, check.height)).inkFraction < 0.001);
      for (const p of check.plots) {
        assert.ok(p.y + p.h <= img.height, `${p.id} lies below the screenshot`);
        const { inkFraction, colours } = inkOf(cropImage(img, p.x, p.y, p.w, p.h));
        // A blank plot is white (ink 0, 1 colour); axes alone are ~1 %. Drawn data adds more.
        assert.ok(inkFraction > 0.02, `${p.id}: only ${(inkFraction * 100).toFixed(2)} % ink`);
        assert.ok(colours >= 8, `${p.id}: ${colours} colours`);
      }
    });

    await t.step(
      "numbers hold physical truths: onsets are flight times, THD matches measure's",
      async () => {
        const value = (id: string) => numbers.find((n) => n.id === id)?.value;
        // Tweeter at x = 0.09 m, z = 0.02 m; the mic 2 m out on axis.
        const tweeterMs = Math.hypot(2 - 0.09, 0.02) / SPEED_OF_SOUND_MPS * 1000;
        assert.ok(
          Math.abs(value("set.tweeter.onset-ms")! - tweeterMs) < 0.05,
          `${value("set.tweeter.onset-ms")} vs ${tweeterMs}`,
        );
        // mid-left (the device's left, the facing listener's right) is louder at the right ear,
        // mid-right mirrors it (±0.54 dB over 1–8 kHz from 2 m), the centred tweeter is even.
        assert.ok(value("set.mid-left.ear-difference-db")! < -0.2);
        assert.ok(
          Math.abs(
            value("set.mid-right.ear-difference-db")! + value("set.mid-left.ear-difference-db")!,
          ) < 0.05,
        );
        assert.ok(Math.abs(value("set.tweeter.ear-difference-db")!) < 0.05);
        // The headline THD is the figure measure wrote into the manifest.
        const m = (await readMeasurementSet(set)).manifest;
        for (const driver of ["mid-left", "tweeter", "woofer"]) {
          const c = m.captures.find((c) =>
            c.driver === driver && c.mic === "ref" && c.position.azimuthDeg === 0
          )!;
          assert.equal(value(`set.${driver}.thd-percent`), Math.round(c.thdPercent! * 100) / 100);
        }
        // The line section counts what line-sim stored.
        assert.equal(value("line.verdicts"), line.units);
        assert.equal(value("line.final-yield-percent"), Math.round(line.yieldPercent * 10) / 10);
      },
    );

    await t.step("--plots-dir holds an SVG and a non-blank PNG of every plot", async () => {
      for (const p of plots) {
        const svg = await Deno.readTextFile(join(plotsDir, `${p.id}.svg`));
        assert.match(svg, /^<\?xml[^>]*>\n<svg /);
        const png = decodePng(await Deno.readFile(join(plotsDir, `${p.id}.png`)));
        const width = Number(svg.match(/<svg[^>]*width="([\d.]+)"/)![1]);
        assert.equal(png.width, Math.round(2 * width), p.id);
        // Only the plot (no page title or caption): a sparse control chart inks ~1 %.
        const ink = inkOf(png);
        assert.ok(ink.inkFraction > 0.005 && ink.colours >= 8, `${p.id}: ${JSON.stringify(ink)}`);
      }
    });

    await t.step(
      "--frd-dir: one FRD per capture, equal to a direct DFT of the IR computed by numpy",
      async () => {
        const m = (await readMeasurementSet(set)).manifest;
        const names = [];
        for await (const e of Deno.readDir(frdDir)) names.push(e.name);
        assert.equal(names.length, m.captures.length);
        const c = m.captures.find((c) => c.driver === "mid-left" && c.mic === "ear-left")!;
        const frdName = c.ir.split("/").pop()!.replace(/\.wav$/, ".frd");
        const lines = (await Deno.readTextFile(join(frdDir, frdName))).split("\n")
          .filter((l) => l && !l.startsWith("*")).map((l) => l.split(" ").map(Number));
        const picks = lines.filter((_, i) =>
          i % 97 === 0 && lines[i]![0]! > 50 && lines[i]![0]! < 15000
        );
        const script = `
import sys, json, numpy as np
from scipy.io import wavfile
fs, h = wavfile.read(sys.argv[1]); h = h.astype(np.float64)
n = np.arange(len(h))
out = []
for f in json.loads(sys.argv[2]):
    H = np.sum(h * np.exp(-2j * np.pi * f * n / fs))
    out.append([20 * np.log10(abs(H)), float(np.degrees(np.angle(H)))])
print(json.dumps(out))`;
        const r = await new Deno.Command("/usr/bin/python3", {
          args: ["-c", script, join(set, c.ir), JSON.stringify(picks.map((l) => l[0]))],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
        const ref = JSON.parse(new TextDecoder().decode(r.stdout)) as [number, number][];
        picks.forEach((l, i) => {
          const [db, deg] = ref[i]!;
          // Linear interpolation between 65536-point FFT bins (0.73 Hz apart): far below 0.05 dB / 1°.
          assert.ok(Math.abs(l[1]! - db) < 0.05, `${l[0]} Hz: ${l[1]} dB vs numpy ${db}`);
          const dDeg = Math.abs(((l[2]! - deg + 540) % 360) - 180);
          assert.ok(dDeg < 1, `${l[0]} Hz: ${l[2]}° vs numpy ${deg}°`);
        });
        assert.ok(picks.length >= 8);
      },
    );
  });
});

Deno.test("report: another device (soundbar2, 2 drivers), a set alone: only the set section; bad flags exit 2", async () => {
  await withTempDir(async (dir) => {
    const set = join(dir, "s");
    await ok("measure.ts", [
      "--device",
      "sim:soundbar2",
      "--serial",
      "SB-1",
      "--mic",
      "reference",
      "--arc",
      "-180:180:30",
      "--distance",
      "1",
      "--duration-seconds",
      "0.5",
      "--out",
      set,
    ]);
    const out = join(dir, "r.html");
    const json = JSON.parse(await ok("report.ts", ["--in", set, "--out", out, "--json"]));
    assert.ok(json.plots.every((p: { section: string }) => p.section === "set"));
    assert.ok(
      !json.plots.some((p: { id: string }) => p.id === "set-thd"),
      "no harmonics, no THD plot",
    );
    const again = await runCli("report.ts", ["--in", set, "--out", out]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists: use --force/);
    const smoothing = await runCli("report.ts", [
      "--in",
      set,
      "--out",
      join(dir, "x.html"),
      "--smoothing",
      "5",
    ]);
    assert.equal(smoothing.code, 2);
    assert.match(smoothing.stderr, /--smoothing as it must be one of 1, 2, 3, 6, 12, 24, 48/);
    const since = await runCli("report.ts", [
      "--in",
      set,
      "--out",
      join(dir, "y.html"),
      "--since",
      "2026-01-01",
    ]);
    assert.equal(since.code, 2);
    assert.match(since.stderr, /without --db/);
  });
});

Deno.test("report page check: Chromium catches a page error and a plot that drew nothing", async () => {
  await withTempDir(async (dir) => {
    const { reportHtml } = await import("../../report/html.ts");
    const html = reportHtml("t", "m", [{
      id: "s",
      heading: "h",
      intro: "i",
      numbers: [],
      plots: [{
        id: "empty",
        section: "set",
        title: "an empty plot",
        explanation: "",
        spec: {},
        svg: '<svg width="0" height="0"></svg>',
      }],
    }]).replace("</body>", "<script>notDefinedAnywhere();</script></body>");
    const file = join(dir, "bad.html");
    await Deno.writeTextFile(file, html);
    const { dom } = await dumpDom(file, dir);
    const check = JSON.parse(
      dom.match(/<pre id="page-check" hidden="">([^<]*)<\/pre>/)![1]!.replace(/&quot;/g, '"'),
    ) as PageCheck;
    assert.equal(check.errors.length, 1);
    assert.match(check.errors[0]!, /notDefinedAnywhere is not defined/);
    assert.deepEqual(check.plots.map((p) => [p.id, p.ok]), [["empty", false]]);
  });
});
