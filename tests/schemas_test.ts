/**
 * The JSON Schemas in schemas/ against real files the project writes and reads, with ajv
 * (npm:ajv, draft 2020-12, strict mode); and against the project's own validators: every field a
 * schema requires is also refused when missing by the code that reads the format.
 */
import assert from "node:assert/strict";
import Ajv2020 from "ajv/dist/2020.js";
import { join, withTempDir, writeTrueSet } from "./calibrate/_sets.ts";
import { validateManifest } from "../io/manifest.ts";
import { validateBundle, writeBundle } from "../calibrate/bundle.ts";
import { fitBundle } from "../calibrate/fit.ts";
import { computeLimits } from "../calibrate/golden.ts";
import { limitsContentSha256, limitsToJson, parseLimits } from "../calibrate/limits.ts";
import { parseRig } from "../measure/rig.ts";
import { parseCaptureList } from "../io/capture_list.ts";
import { synthUnit } from "./calibrate/_units.ts";
import { runCli } from "./cli/_run.ts";

const root = new URL("../", import.meta.url);
const readJson = async (path: string | URL) => JSON.parse(await Deno.readTextFile(path));

type Validate = ((data: unknown) => boolean) & { errors?: unknown };
async function compile(name: string): Promise<Validate> {
  // Strict mode (unknown keywords, ambiguous types are errors), except strictRequired, which
  // also flags the standard `if: {required: [...]}` / `not: {required: [...]}` idioms.
  const ajv = new (Ajv2020 as any)({ allErrors: true, strict: true, strictRequired: false });
  return ajv.compile(await readJson(new URL(`schemas/${name}.schema.json`, root)));
}

function accept(validate: Validate, data: unknown, what: string): void {
  assert.ok(validate(data), `${what}: ${JSON.stringify(validate.errors, null, 1)}`);
}

/**
 * Paths of every required field the schema names, followed through `properties`, `items`
 * (the first element of the document's array) and local `$ref`s, as far as `doc` has them.
 */
function requiredPaths(schema: any, doc: unknown, defs: any = schema.$defs): (string | number)[][] {
  const resolve = (s: any): any => (s?.$ref ? resolve(defs[s.$ref.replace("#/$defs/", "")]) : s);
  const paths: (string | number)[][] = [];
  const walk = (s: any, d: any, at: (string | number)[]) => {
    s = resolve(s);
    if (s === undefined || d === null || typeof d !== "object") return;
    if (Array.isArray(d)) {
      if (s.items && d.length > 0) walk(s.items, d[0], [...at, 0]);
      return;
    }
    for (const key of s.required ?? []) paths.push([...at, key]);
    for (const [key, sub] of Object.entries(s.properties ?? {})) {
      if (key in d) walk(sub, d[key], [...at, key]);
    }
    for (const part of s.allOf ?? []) walk(part, d, at);
  };
  walk(schema, doc, []);
  return paths;
}

function without(doc: unknown, path: (string | number)[]): any {
  const copy = structuredClone(doc) as any;
  let o = copy;
  for (const key of path.slice(0, -1)) o = o[key];
  delete o[path[path.length - 1]!];
  return copy;
}

/** Every required field of `schema`, removed from `doc`: the schema and `read` both refuse. */
async function agreeOnRequired(
  name: string,
  doc: unknown,
  read: (d: unknown) => unknown | Promise<unknown>,
): Promise<number> {
  const schema = await readJson(new URL(`schemas/${name}.schema.json`, root));
  const validate = await compile(name);
  const paths = requiredPaths(schema, doc);
  const accepted: string[] = [];
  for (const path of paths) {
    const broken = without(doc, path);
    assert.equal(validate(broken), false, `${name}: schema accepts a missing ${path.join(".")}`);
    let refused = false;
    try {
      await read(broken);
    } catch {
      refused = true;
    }
    if (!refused) accepted.push(path.join("."));
  }
  assert.deepEqual(accepted, [], `${name}: the reader accepts documents missing these`);
  return paths.length;
}

Deno.test("every schema compiles in ajv's strict mode (draft 2020-12)", async () => {
  const names = [...Deno.readDirSync(new URL("schemas/", root))].map((e) => e.name).sort();
  assert.deepEqual(names, [
    "capture-list.schema.json",
    "filter-bundle.schema.json",
    "limits.schema.json",
    "measurement-set.schema.json",
    "rig.schema.json",
  ]);
  for (const n of names) await compile(n.replace(".schema.json", ""));
});

Deno.test("manifests written by measure (sim), by the test sets and by import validate; required fields agree with validateManifest", async () => {
  await withTempDir(async (dir) => {
    const validate = await compile("measurement-set");
    const set = await writeTrueSet(join(dir, "true"), { arcStepDeg: 90 });
    const trueManifest = await readJson(join(dir, "true", "manifest.json"));
    accept(validate, trueManifest, "writeTrueSet manifest");
    const m = await runCli("measure.ts", [
      "--device",
      "sim:soundbar2",
      "--serial",
      "SIM-000001",
      "--mic",
      "reference",
      "--azimuth",
      "30",
      "--duration-seconds",
      "0.5",
      "--keep-harmonics",
      "--out",
      join(dir, "measured"),
    ]);
    assert.equal(m.code, 0, m.stderr);
    const measured = await readJson(join(dir, "measured", "manifest.json"));
    accept(validate, measured, "measure --device sim manifest");
    assert.ok(measured.sweep && measured.captures[0].harmonics && measured.captures[0].snrDb);
    // An imported set with a calibrated mic (mics[].calibration, fullScaleLevelDbSpl).
    const ir = new Float64Array(64);
    ir[3] = 0.5;
    const { writeWav } = await import("../io/wav.ts");
    await writeWav(join(dir, "ir.wav"), { sampleRate: 44100, channels: [ir] });
    await Deno.writeTextFile(join(dir, "mic.txt"), "20 0\n20000 0\n");
    await Deno.writeTextFile(
      join(dir, "list.csv"),
      "file,driver,mic,role,azimuth_deg,elevation_deg,distance_m,head_yaw_deg,kind,mic_sensitivity_dbfs,mic_response_file\n" +
        "ir.wav,d1,ref,reference,0,0,1,10,ir,-30,mic.txt\n",
    );
    const r = await runCli("import.ts", [
      "--captures",
      join(dir, "list.csv"),
      "--out",
      join(dir, "imported"),
      "--model",
      "m",
      "--serial",
      "s",
      "--sample-rate",
      "48000",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const imported = await readJson(join(dir, "imported", "manifest.json"));
    accept(validate, imported, "import manifest");
    assert.equal(imported.mics[0].calibration.sensitivityDbfs, -30);
    // Not just anything passes.
    assert.equal(validate({ ...imported, version: 2 }), false);
    assert.equal(
      validate(
        structuredClone({ ...imported, captures: [{ ...imported.captures[0], ir: "../x.wav" }] }),
      ),
      false,
    );
    assert.equal(validate({ ...imported, mics: [{ id: "ref", role: "listener" }] }), false);
    const count = await agreeOnRequired("measurement-set", measured, (d) => validateManifest(d));
    assert.ok(count >= 15, `${count} required paths`);
    await agreeOnRequired("measurement-set", imported, (d) => validateManifest(d));
    assert.equal(set.manifest.captures.length > 0, true);
  });
});

Deno.test("bundle.json written by fit validates; required fields agree with validateBundle", async () => {
  await withTempDir(async (dir) => {
    const set = await writeTrueSet(join(dir, "set"));
    for (const upmix of ["lrc", "none"] as const) {
      const fit = await fitBundle(set, { taps: 256, beamformer: "matrix", upmix });
      await writeBundle(join(dir, `b-${upmix}`), fit.bundle, fit.filters);
      const bundle = await readJson(join(dir, `b-${upmix}`, "bundle.json"));
      accept(await compile("filter-bundle"), bundle, `bundle (upmix ${upmix})`);
      const count = await agreeOnRequired("filter-bundle", bundle, (d) => validateBundle(d));
      assert.ok(count >= 12);
    }
    const validate = await compile("filter-bundle");
    const bundle = await readJson(join(dir, "b-lrc", "bundle.json"));
    assert.equal(validate({ ...bundle, inputs: ["left", "right"] }), false); // upmix needs center
    assert.equal(validate({ ...bundle, files: { "filters/left.wav": "abc" } }), false);
  });
});

Deno.test("limits written by golden validate; required fields agree with parseLimits", async () => {
  const limits = await computeLimits(Array.from({ length: 4 }, (_, i) => synthUnit(100 + i)));
  const json = JSON.parse(limitsToJson(limits));
  accept(await compile("limits"), json, "limits");
  // The reader is given a file whose sha256 matches its (broken) content, so that it must
  // refuse the missing field itself, not the edit.
  const count = await agreeOnRequired("limits", json, async (d: any) => {
    if ("sha256" in d) {
      const { sha256: _, ...rest } = d;
      d.sha256 = await limitsContentSha256(rest);
    }
    return await parseLimits(JSON.stringify(d), "limits.json");
  });
  assert.ok(count >= 25, `${count} required paths`);
});

Deno.test("rig files (fixtures/jack and the README's example) validate; required fields agree with parseRig", async () => {
  const validate = await compile("rig");
  const readme = await Deno.readTextFile(new URL("README.md", root));
  const block = /```json\n(\{\n\s+"format": "spatialcal\.rig"[\s\S]*?)\n```/.exec(readme)?.[1];
  assert.ok(block, "README shows a rig file");
  const rigs = [
    await readJson(new URL("fixtures/jack/rig.json", root)),
    await readJson(new URL("fixtures/jack/rig_swapped.json", root)),
    JSON.parse(block),
  ];
  for (const [i, rig] of rigs.entries()) {
    accept(validate, rig, `rig ${i}`);
    parseRig(rig);
    await agreeOnRequired("rig", rig, (d) => parseRig(d));
  }
  const both = { ...rigs[0], digitalReference: { converterLatencySamples: 10 } };
  assert.equal(validate(both), false);
  assert.throws(() => parseRig(both));
});

Deno.test("a JSON capture list validates; required fields agree with parseCaptureList", async () => {
  const list = {
    format: "spatialcal.capture-list",
    version: 1,
    captures: [{
      file: "wav/a.wav",
      channel: 2,
      driver: "mid-left",
      driver_kind: "midrange",
      mic: "ear-left",
      role: "ear-left",
      azimuth_deg: 0,
      elevation_deg: 0,
      distance_m: 2,
      head_yaw_deg: 10,
      kind: "recording",
      mic_sensitivity_dbfs: -30,
      mic_response_file: "mic.txt",
    }],
  };
  const validate = await compile("capture-list");
  accept(validate, list, "capture list");
  parseCaptureList(JSON.stringify(list), "l.json");
  const count = await agreeOnRequired(
    "capture-list",
    list,
    (d) => parseCaptureList(JSON.stringify(d), "l.json"),
  );
  assert.equal(count, 11);
  const extra = structuredClone(list) as any;
  extra.captures[0].azimuth = 1;
  assert.equal(validate(extra), false);
  assert.throws(() => parseCaptureList(JSON.stringify(extra), "l.json"), /azimuth is not a field/);
});

Deno.test("the README's Formats section names every field the manifest schema requires", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", root));
  const start = readme.indexOf("- **Measurement set** (a folder");
  const text = readme.slice(start, readme.indexOf("- **Filter bundle**", start));
  const names = new Set<string>();
  const walk = (s: any) => {
    if (s === null || typeof s !== "object") return;
    for (const r of s.required ?? []) names.add(r);
    for (const v of Object.values(s)) walk(v);
  };
  walk(await readJson(new URL("schemas/measurement-set.schema.json", root)));
  assert.ok(names.size >= 20, `${names.size} names`);
  const missing = [...names].filter((n) => !new RegExp(`\\b${n}\\b`).test(text));
  assert.deepEqual(missing, []);
});
