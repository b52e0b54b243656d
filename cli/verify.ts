/**
 * `deno task verify`: judge one unit against golden limits on the line;
 * exit 0 pass, 1 fail, 2 invalid input or measurement (retest).
 *
 * @module
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { sha256Hex, writeFileAtomically } from "../io/atomic.ts";
import { InputError } from "../io/errors.ts";
import { MEASUREMENT_SET_OUTPUT, type MeasurementSet, readMeasurementSet } from "../io/manifest.ts";
import {
  type Limits,
  readLimits,
  readUnitMeasurement,
  type UnitMeasurement,
  writeUnitMeasurement,
} from "../calibrate/limits.ts";
import { measureSimUnit } from "../calibrate/line_sim.ts";
import {
  DEFAULT_STATION,
  maxSimultaneousOutputs,
  measureStationUnit,
  stationForLimits,
  stationMethod,
} from "../calibrate/line_station.ts";
import type { AudioDevice } from "../measure/audio_device.ts";
import { openDevice, parseStationDevice, refuseOtherBackendFlags } from "./_devices.ts";
import { openRecords, type RecordStore, sqlitePathOf } from "../calibrate/records.ts";
import {
  checkBundlePrediction,
  checkLimitsSetup,
  invalidToJunit,
  recomputeBundleDeviation,
  verdictToJunit,
  verifyUnit,
} from "../calibrate/verify.ts";
import {
  FILTER_BUNDLE_OUTPUT,
  type FilterBundle,
  type FilterBundleDraft,
  readBundle,
  writeBundle,
} from "../calibrate/bundle.ts";
import { evaluateBundle } from "../calibrate/evaluate.ts";
import { checkSignature, readSigningKey, readTrustedKey } from "../calibrate/signature.ts";
import {
  correctBundleFilters,
  estimateUnitSet,
  referenceFolders,
  stationCorrections,
} from "../calibrate/line_fit.ts";
import { fitBundle } from "../calibrate/fit.ts";
import type { SimDefects } from "../sim/sim_device.ts";
import {
  booleanFlag,
  checkOutputWritable,
  checkPaths,
  type FlagPath,
  listFlag,
  numberFlag,
  parseFlags,
  runCommand,
  stringFlag,
  UsageError,
} from "./_common.ts";
import { MAX_JSON_BYTES, readRegularTextFile } from "../io/read_file.ts";

const HELP = `
deno task verify --in SET --limits LIMITS [options]
deno task verify --device sim:MODEL --serial S --limits LIMITS [options]
deno task verify --device webaudio[:NAME] --rig RIG --serial S --limits LIMITS [options]

Checks one unit against golden limits (deno task golden): sensitivity,
polarity, frequency response, THD, rub & buzz, dead and swapped drivers, air
leak. Prints the verdict and the reason for each failure in plain words, and
stores the verdict (serial, station, time, limits and bundle SHA-256,
metrics, violations) in the record database.

Exit codes: 0 pass, 1 fail, 2 invalid input or a measurement that cannot be
judged (too noisy, clipped, silent, another model or sample rate, a driver
missing, a corrupt limits file): retest; nothing is recorded for it.

Order: flags, output paths and the record database are checked before
anything is measured; once judged, the --junit report is written, then the
verdict is recorded, then printed. If anything fails after the report was
written (the database refuses the record, say), the report is rewritten as
invalid (retest) and the exit code is 2 or 3: the line never acts on a
verdict that was not recorded.

  --in SET             measurement set folder (reference-mic captures)
  --device sim:MODEL   measure first: simulated unit in an anechoic test box,
                       all drivers in one multiple-sweep pass (Majdak 2007)
  --device webaudio[:NAME]
                       measure first: the real unit through the audio interface
                       (NAME overrides the rig's interface.name), one synchronized
                       sweep per driver (the interface plays at most 2 outputs at
                       once), with the limits' sweep and level. The station's mic
                       is fixed and never moved: the limits' mic position is
                       recorded as the unit's. The model is the rig's device.model;
                       another model than the limits', or limits made with another
                       sweep method (e.g. by sim:MODEL), exit 2 before measuring
  --rig FILE           with webaudio: the rig file (channel map, levels, loopback)
  --limits FILE        limits file (required)
  --serial S           the unit's serial (required with --device; with --in it
                       must match the set's)
  --station ID         station id for the record (default: host name)
  --batch ID           production batch (lot) for the record
  --bundle FOLDER      the unit's filter bundle (deno task fit): its files' hashes are checked,
                       its bundle.json SHA-256 is recorded, and the separation its filters give
                       (recomputed on the set it was fitted from, never the stored prediction)
                       must stay within --max-ctc-deviation-db of the target (else the unit fails)
  --bundle-set SET     the set the bundle was fitted from (default: its source.measurementSet;
                       its manifest must have the bundle's source.sha256)
  --trust PUBKEY       accept only limits (and a --bundle) signed by this public key
                       (deno task keys; repeat for several keys): unsigned or wrongly signed
                       ones exit 2, naming the file, before anything is measured
  --max-ctc-deviation-db DB  allowed worst-band deviation of that prediction (default 3)
  --fit-from REF       per-unit filters on the line: REF/lab is a reference unit's full lab set
                       (binaural + arc), REF/station the same unit measured on this station
                       (verify --out), REF/bundle (optional) its bundle fitted on REF/lab. For a
                       unit that passes, each driver's deviation from the reference unit at the
                       station mic (smoothed magnitude, minimum phase, and delay) is applied to
                       the reference unit's lab responses (the estimated plant, the bundle's
                       source); with REF/bundle its filters are divided by those corrections
                       (milliseconds), without it the fit runs on the estimated plant (seconds).
                       The bundle's SHA-256 is recorded with the verdict (a failed unit gets no
                       bundle). With --trust, REF/bundle must be signed too. Needs --bundle-out
  --bundle-out DIR     with --fit-from: the bundle folder to write
  --plant-out SET      with --fit-from: where the estimated lab set is kept (the bundle's
                       source; default DIR-plant)
  --sign KEY           with --fit-from: sign the bundle with the lab's private key (deno task keys)
  --db URL             record database: sqlite:<path>, a path, or postgres://…
                       (default sqlite:spatialcal-records.db)
  --no-record          do not store the verdict
  --json               print the full verdict as JSON on stdout
  --junit FILE         also write a JUnit XML report; an existing JUnit report there is
                       replaced (the line rewrites one file per unit), never any
                       other file (not even with --force)
  --out SET            with --device: save the measurement as a set
  --force              replace an existing --out set (only a measurement set spatialcal
                       wrote, holding only the files its manifest lists)
  --sim-defects JSON   with --device sim: defects of the simulated unit, e.g.
                       '{"drivers":{"woofer":{"dead":true}}}' or '{"wiring":[1,0,2,3,4]}'
  --sim-noise-dbfs DB  with --device sim: input noise level (default -90)
  --sim-level-dbfs DB  with --device sim: stimulus level (default: the limits' sweep level, else ${DEFAULT_STATION.levelDbfs})
`;

await runCommand(HELP, async (args) => {
  const v = parseFlags("verify", args, {
    in: { type: "string" },
    device: { type: "string" },
    rig: { type: "string" },
    limits: { type: "string" },
    serial: { type: "string" },
    station: { type: "string" },
    batch: { type: "string" },
    bundle: { type: "string" },
    "bundle-set": { type: "string" },
    trust: { type: "string", multiple: true },
    "max-ctc-deviation-db": { type: "string" },
    "fit-from": { type: "string" },
    "bundle-out": { type: "string" },
    "plant-out": { type: "string" },
    sign: { type: "string" },
    db: { type: "string" },
    "no-record": { type: "boolean" },
    json: { type: "boolean" },
    junit: { type: "string" },
    out: { type: "string" },
    force: { type: "boolean" },
    "sim-defects": { type: "string" },
    "sim-noise-dbfs": { type: "string" },
    "sim-level-dbfs": { type: "string" },
  });
  const inPath = stringFlag(v, "in");
  const device = stringFlag(v, "device");
  if ((inPath === undefined) === (device === undefined)) {
    throw new UsageError(
      "verify: give exactly one of --in SET or --device sim:MODEL|webaudio[:NAME] (see --help)",
    );
  }
  const limitsPath = stringFlag(v, "limits", true);
  const station = stringFlag(v, "station") ?? hostname();
  const junit = stringFlag(v, "junit");
  const serialFlag = stringFlag(v, "serial");
  const out = stringFlag(v, "out");
  const bundle = stringFlag(v, "bundle");
  const force = booleanFlag(v, "force");
  const record = !booleanFlag(v, "no-record");
  const dbUrl = stringFlag(v, "db") ?? "sqlite:spatialcal-records.db";
  // Cheap checks first: nothing is measured or read before the flags and paths are sound.
  let model: string | undefined;
  let defects: SimDefects | undefined;
  const spec = device === undefined ? undefined : parseStationDevice(device);
  const rig = stringFlag(v, "rig");
  if (spec !== undefined) {
    refuseOtherBackendFlags(v, device!, spec.backend, {
      rig: "webaudio",
      "sim-defects": "sim",
      "sim-noise-dbfs": "sim",
      "sim-level-dbfs": "sim",
    });
    if (spec.backend === "webaudio" && rig === undefined) {
      throw new UsageError(
        "verify: --device webaudio needs --rig FILE (the channel map of the station; see --help)",
      );
    }
    if (spec.backend === "sim") model = spec.model;
    if (serialFlag === undefined) throw new UsageError("verify: --device needs --serial S");
    const defectsText = stringFlag(v, "sim-defects");
    if (defectsText !== undefined) {
      try {
        defects = JSON.parse(defectsText) as SimDefects;
      } catch {
        throw new UsageError(
          `Cannot use --sim-defects as it must be JSON: current value is ${defectsText}`,
        );
      }
    }
  } else if (out !== undefined) {
    throw new UsageError(
      "verify: --out saves a measurement, so it goes with --device (see --help)",
    );
  } else if (rig !== undefined) {
    throw new UsageError("verify: --rig goes with --device webaudio, not --in (see --help)");
  }
  const noise = numberFlag(v, "sim-noise-dbfs");
  const level = numberFlag(v, "sim-level-dbfs");
  const maxDeviationDb = numberFlag(v, "max-ctc-deviation-db", 3);
  const inputs: FlagPath[] = [{ flag: "--limits", path: limitsPath }];
  if (inPath !== undefined) inputs.push({ flag: "--in", path: inPath });
  if (rig !== undefined) inputs.push({ flag: "--rig", path: rig });
  if (bundle !== undefined) inputs.push({ flag: "--bundle", path: bundle });
  const bundleSet = stringFlag(v, "bundle-set");
  if (bundleSet !== undefined) {
    if (bundle === undefined) throw new UsageError("verify: --bundle-set goes with --bundle");
    inputs.push({ flag: "--bundle-set", path: bundleSet });
  }
  const fitFrom = stringFlag(v, "fit-from");
  const bundleOut = stringFlag(v, "bundle-out");
  const signPath = stringFlag(v, "sign");
  let plantOut = stringFlag(v, "plant-out");
  if (fitFrom !== undefined) {
    if (bundleOut === undefined) throw new UsageError("verify: --fit-from needs --bundle-out DIR");
    if (bundle !== undefined) {
      throw new UsageError("verify: give --bundle (check a fitted bundle) or --fit-from, not both");
    }
    plantOut ??= `${bundleOut.replace(/[\/]+$/, "")}-plant`;
    const ref = referenceFolders(fitFrom);
    inputs.push({ flag: "--fit-from", path: ref.lab }, { flag: "--fit-from", path: ref.station });
    if (signPath !== undefined) inputs.push({ flag: "--sign", path: signPath });
  } else {
    for (const flag of ["bundle-out", "plant-out", "sign"]) {
      if (stringFlag(v, flag) !== undefined) {
        throw new UsageError(`verify: --${flag} goes with --fit-from REF (see --help)`);
      }
    }
  }
  const dbPath = record ? sqlitePathOf(dbUrl) : undefined;
  if (dbPath !== undefined) inputs.push({ flag: "--db", path: dbPath });
  const outputs: FlagPath[] = [];
  if (out !== undefined) outputs.push({ flag: "--out", path: out });
  if (junit !== undefined) outputs.push({ flag: "--junit", path: junit });
  if (bundleOut !== undefined && plantOut !== undefined) {
    outputs.push({ flag: "--bundle-out", path: bundleOut }, {
      flag: "--plant-out",
      path: plantOut,
    });
  }
  await checkPaths({ inputs, outputs });
  if (bundleOut !== undefined && plantOut !== undefined) {
    await checkOutputWritable("--bundle-out", bundleOut, {
      force,
      kind: "folder",
      own: FILTER_BUNDLE_OUTPUT,
    });
    await checkOutputWritable("--plant-out", plantOut, {
      force,
      kind: "folder",
      own: MEASUREMENT_SET_OUTPUT,
    });
  }
  const signer = signPath === undefined ? undefined : await readSigningKey(signPath);
  const reference = fitFrom === undefined ? undefined : referenceFolders(fitFrom);
  if (out !== undefined) {
    await checkOutputWritable("--out", out, { force, kind: "folder", own: MEASUREMENT_SET_OUTPUT });
  }
  if (junit !== undefined) {
    await checkOutputWritable("--junit", junit, {
      force,
      replaceable: isJunitReport,
      own: {
        description: "a JUnit XML report",
        problem: async (path) =>
          (await isJunitReport(path))
            ? undefined
            : "it does not start with <?xml and hold a <testsuite> element",
      },
    });
  }
  const trustPaths = listFlag(v, "trust");
  for (const path of trustPaths) inputs.push({ flag: "--trust", path });
  const trusted = await Promise.all(trustPaths.map(readTrustedKey));
  const started = performance.now();
  const timestamp = new Date().toISOString();
  let serialForReport = serialFlag ?? inPath ?? "unknown";
  let db: RecordStore | undefined;
  try {
    // Opened before measuring so that a bad --db fails in milliseconds, not after the capture.
    if (record) db = await openRecords(dbUrl);
    const limits: Limits = await readLimits(limitsPath);
    if (trusted.length > 0) await checkSignature(limits, trusted, `limits "${limitsPath}"`);
    // Limits without the station setup could judge no unit: refused before anything is measured.
    checkLimitsSetup(limits, { limitsFile: limitsPath, serial: serialForReport });
    // A bundle is checked before measuring too: an untrusted one wastes no capture.
    const loaded = bundle === undefined ? undefined : await readBundle(bundle);
    // The reference is read before measuring: a bad REF wastes no capture.
    const referenceLab = reference === undefined
      ? undefined
      : await readMeasurementSet(reference.lab);
    const referenceStation = reference === undefined
      ? undefined
      : await readUnitMeasurement(reference.station);
    // REF/bundle, when present: the reference's own bundle, fitted on REF/lab (the fast path).
    const referenceBundle = reference === undefined || !(await exists(reference.bundle))
      ? undefined
      : await readBundle(reference.bundle);
    if (referenceBundle !== undefined && referenceLab !== undefined) {
      const labSha = await sha256Hex(await Deno.readFile(join(reference!.lab, "manifest.json")));
      if (referenceBundle.bundle.source.sha256 !== labSha) {
        throw new InputError(
          `Cannot fit on the line from "${fitFrom}" as its bundle was not fitted from its lab set: bundle source.sha256 is ${referenceBundle.bundle.source.sha256}, lab/manifest.json has ${labSha}`,
          {
            file: join(reference!.bundle, "bundle.json"),
            field: "source.sha256",
            value: referenceBundle.bundle.source.sha256,
          },
        );
      }
      if (trusted.length > 0) {
        await checkSignature(referenceBundle.bundle, trusted, `bundle "${reference!.bundle}"`);
      }
    }
    if (loaded !== undefined && trusted.length > 0) {
      await checkSignature(loaded.bundle, trusted, `bundle "${bundle}"`);
    }
    let unit: UnitMeasurement;
    if (inPath !== undefined) {
      unit = await readUnitMeasurement(inPath);
      serialForReport = unit.serial;
      if (serialFlag !== undefined && serialFlag !== unit.serial) {
        throw new InputError(
          `Cannot verify "${inPath}" as --serial ${serialFlag} differs from the set's device.serial ${unit.serial}`,
          { file: inPath, field: "device.serial", value: unit.serial },
        );
      }
    } else if (spec?.backend === "webaudio") {
      const station = stationForLimits(limits);
      const hardware: AudioDevice = await openDevice(device!, {
        serial: serialFlag!,
        sampleRate: station.sampleRate,
        mic: "reference",
        rig,
      });
      try {
        // Refused before anything is played: another model, or limits made with another method.
        if (hardware.model !== limits.model) {
          throw new InputError(
            `Cannot verify ${serialFlag} as the limits "${limitsPath}" are for model "${limits.model}" but the rig's device.model is "${hardware.model}": use the limits made for this model`,
            { file: limitsPath, field: "model", value: limits.model },
          );
        }
        // The station takes position, band, duration and level from the limits; only the method
        // follows from the device.
        const method = stationMethod(hardware);
        const limitsMethod = limits.setup?.sweep?.method;
        if (limitsMethod !== undefined && limitsMethod !== method) {
          throw new InputError(
            `Cannot verify ${serialFlag} as the limits "${limitsPath}" were made with ${limitsMethod} sweeps but this station measures ${hardware.outputs.length} drivers with ${method} sweeps (it plays at most ${
              maxSimultaneousOutputs(hardware)
            } outputs at once): make the limits with golden --device ${device} on this station`,
            { file: limitsPath, field: "setup.sweep.method", value: limitsMethod },
          );
        }
        const captured = await measureStationUnit(hardware, station, serialFlag!, hardware.model);
        unit = captured.unit;
        console.error(
          `verify: measured ${serialFlag} (${hardware.model}) with ${captured.method} sweeps in ${
            captured.captureSeconds.toFixed(2)
          } s of capture`,
        );
        if (out !== undefined) {
          await writeUnitMeasurement(out, unit, {
            rig: { backend: "webaudio", description: hardware.description },
            force,
          });
          unit = await readUnitMeasurement(out);
        }
      } finally {
        await hardware.close();
      }
    } else {
      // Measure as the golden units were measured (the limits carry the station setup).
      const station = stationForLimits(limits);
      const station0 = level === undefined ? station : { ...station, levelDbfs: level };
      const captured = await measureSimUnit({
        model: model!,
        serial: serialFlag!,
        station: station0,
        ...(defects ? { defects } : {}),
        ...(noise === undefined ? {} : { noiseLevelDbfs: noise }),
      });
      unit = captured.unit;
      console.error(
        `verify: measured ${serialFlag} in one pass of ${
          captured.captureSeconds.toFixed(2)
        } s (sequential sweeps: ${captured.sequentialSeconds.toFixed(2)} s)`,
      );
      if (out !== undefined) {
        await writeUnitMeasurement(out, unit, {
          rig: { backend: "sim", description: "line station: anechoic test box, reference mic" },
          force,
        });
        unit = await readUnitMeasurement(out);
      }
    }
    const measured = verifyUnit(unit, limits, { limitsFile: limitsPath });
    let verdict = measured;
    let bundleSha256: string | null = null;
    if (bundle !== undefined && loaded !== undefined) {
      // readBundle refused a bundle whose files do not match their hashes (exit 2).
      const ctc = checkBundlePrediction(loaded.bundle, unit, {
        bundleFile: bundle,
        maxDeviationDb,
        deviationDb: await recomputeBundleDeviation(
          loaded,
          await readBundleSource(bundle, bundleSet ?? loaded.bundle.source.measurementSet),
        ),
      });
      verdict = {
        ...measured,
        passed: measured.passed && ctc.length === 0,
        violations: [...measured.violations, ...ctc],
      };
      bundleSha256 = await sha256Hex(await Deno.readFile(join(bundle, "bundle.json")));
    }
    if (referenceLab !== undefined && referenceStation !== undefined && measured.passed) {
      // Per-unit filters on the line: only for a unit that passed (see --help).
      const estimate = await estimateUnitSet(referenceLab, referenceStation, unit, plantOut!, {
        force,
      });
      const t = performance.now();
      let fitted: { bundle: FilterBundleDraft; filters: Record<string, Float64Array[]> };
      let how: string;
      if (referenceBundle !== undefined) {
        // Fast path: the reference's filters divided by the unit's corrections.
        const drivers = referenceBundle.bundle.device.drivers;
        const corrections = stationCorrections(referenceStation, unit, drivers);
        const filters = correctBundleFilters(referenceBundle.filters, drivers, corrections);
        const ms = performance.now() - t;
        const plantSha = await sha256Hex(await Deno.readFile(join(plantOut!, "manifest.json")));
        const { files: _f, sha256: _s, signature: _g, ...rest } = referenceBundle.bundle;
        const draft: FilterBundleDraft = {
          ...rest,
          device: { ...rest.device, serial: unit.serial },
          source: { measurementSet: plantOut!, sha256: plantSha },
          design: {
            ...rest.design,
            lineFit: {
              method: "reference filters divided by station corrections",
              reference: { bundle: reference!.bundle, sha256: referenceBundle.bundle.sha256 },
            },
          },
        };
        const evaluation = await evaluateBundle(draft as FilterBundle, filters, estimate.set);
        fitted = {
          bundle: {
            ...draft,
            predicted: {
              note: "corrected reference filters applied to the estimated plant",
              ...evaluation.summary,
            },
          },
          filters,
        };
        how = `${
          Math.round(estimate.computeMs + ms)
        } ms: corrections applied to the reference bundle`;
      } else {
        const fit = await fitBundle(estimate.set);
        fitted = fit;
        how = `${Math.round(estimate.computeMs)} ms + fit ${Math.round(performance.now() - t)} ms`;
      }
      await writeBundle(bundleOut!, fitted.bundle, fitted.filters, {
        force,
        ...(signer ? { signer } : {}),
      });
      bundleSha256 = await sha256Hex(await Deno.readFile(join(bundleOut!, "bundle.json")));
      console.error(
        `verify: fitted ${unit.serial}'s filters on the line (estimate ${
          estimate.corrections.map((c) =>
            `${c.driver} ${c.levelDb >= 0 ? "+" : ""}${c.levelDb.toFixed(2)} dB`
          ).join(", ")
        }; compute ${how}) → ${bundleOut}${signer ? ` signed by ${signer.keyId}` : ""}`,
      );
    }
    const timeSeconds = (performance.now() - started) / 1000;
    // The report first, the record last: see "Order" in --help.
    if (junit !== undefined) {
      await writeFileAtomically(
        junit,
        new TextEncoder().encode(verdictToJunit(verdict, { station, timestamp, timeSeconds })),
      );
    }
    if (db !== undefined) {
      await db.insert({
        serial: verdict.serial,
        station,
        batch: stringFlag(v, "batch") ?? null,
        createdAt: timestamp,
        model: verdict.model,
        passed: verdict.passed,
        limitsSha256: verdict.limitsSha256,
        bundleSha256,
        setSha256: unit.source?.sha256 ?? null,
        metrics: verdict.metrics,
        violations: verdict.violations,
      });
    }
    if (booleanFlag(v, "json")) {
      console.log(
        JSON.stringify({ ...verdict, station, createdAt: timestamp, bundleSha256 }, null, 2),
      );
    } else {
      console.log(`${verdict.passed ? "PASS" : "FAIL"} ${verdict.serial} (${verdict.model})`);
      for (const x of verdict.violations) console.log(`  - ${x.reason}`);
    }
    for (const w of verdict.warnings) console.error(`warning: ${w}`);
    return verdict.passed ? 0 : 1;
  } catch (error) {
    if (booleanFlag(v, "json") && error instanceof InputError) {
      console.log(JSON.stringify(
        { passed: null, invalid: true, serial: serialForReport, reason: error.message },
        null,
        2,
      ));
    }
    if (junit !== undefined) {
      // Any failure, ours or the input's, leaves an invalid (retest) report, never a stale
      // verdict of the previous unit or one that was not recorded.
      const reason = error instanceof Error ? error.message : String(error);
      await writeFileAtomically(
        junit,
        new TextEncoder().encode(invalidToJunit(serialForReport, reason, { station, timestamp })),
      ).catch(() => {});
    }
    throw error;
  } finally {
    await db?.close();
  }
});

/** The set a bundle was fitted from, or an error saying the check needs it. */
async function readBundleSource(bundle: string, path: string): Promise<MeasurementSet> {
  try {
    return await readMeasurementSet(path);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new InputError(
      `Cannot check bundle "${bundle}" as its separation is recomputed from its filters on the set it was fitted from, "${path}", which cannot be read (${error.message}): give it with --bundle-set`,
      { file: path, field: "source.measurementSet", value: path, cause: error },
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Whether `path` holds a JUnit XML report (`<?xml` first, a `<testsuite` element). */
async function isJunitReport(path: string): Promise<boolean> {
  try {
    // A regular file only: a FIFO or device at the --junit path must not block or grow.
    const text = await readRegularTextFile(path, {
      what: "JUnit report",
      maxBytes: MAX_JSON_BYTES,
    });
    return text.trimStart().startsWith("<?xml") && text.includes("<testsuite");
  } catch {
    return false;
  }
}
