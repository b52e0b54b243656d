import assert from "node:assert/strict";
import { parseCaptureList, parseCsv } from "../../io/capture_list.ts";
import { parseMicResponse } from "../../io/mic_response_file.ts";

const HEADER = "file,channel,driver,mic,role,azimuth_deg,elevation_deg,distance_m,kind";

Deno.test("parseCsv follows RFC 4180: quotes, doubled quotes, commas and line breaks in quotes, CRLF, BOM", () => {
  const rows = parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\r\n\r\n"two\nlines",  z \n');
  assert.deepEqual(rows, [
    { line: 1, fields: ["a", "b"] },
    { line: 2, fields: ["x, y", 'say "hi"'] },
    { line: 4, fields: ["two\nlines", "z"] },
  ]);
});

Deno.test("parseCaptureList reads CSV and JSON spellings of the same list alike, with defaults", () => {
  const csv = parseCaptureList(
    `${HEADER},head_yaw_deg\n"wav/a b.wav",,mid-left,ear-left,ear-left,-30,0,2,ir,15\n`,
    "lab/list.csv",
  );
  const json = parseCaptureList(
    JSON.stringify({
      format: "spatialcal.capture-list",
      version: 1,
      captures: [{
        file: "wav/a b.wav",
        driver: "mid-left",
        mic: "ear-left",
        role: "ear-left",
        azimuth_deg: -30,
        elevation_deg: 0,
        distance_m: 2,
        head_yaw_deg: 15,
        kind: "ir",
      }],
    }),
    "lab/list.json",
  );
  const expected = {
    file: "wav/a b.wav",
    channel: 1,
    driver: "mid-left",
    driverKind: "unknown",
    mic: "ear-left",
    role: "ear-left",
    azimuthDeg: -30,
    elevationDeg: 0,
    distanceMeters: 2,
    headYawDeg: 15,
    kind: "ir",
  };
  assert.deepEqual(csv.entries[0], { row: 2, ...expected });
  assert.deepEqual(json.entries[0], { row: 1, ...expected });
  assert.equal(csv.folder, "lab");
});

Deno.test("parseCaptureList refuses bad lists naming the file, row, column and value", () => {
  const cases: [string, string, string][] = [
    ["l.txt", "", 'Cannot read capture list "l.txt" as its name must end in ".csv" or ".json"'],
    ["l.csv", `${HEADER}\n`, 'Cannot read capture list "l.csv" as it lists no captures'],
    [
      "l.csv",
      `${HEADER}\na.wav,0,d,m,reference,0,0,2,ir\n`,
      'Cannot read capture list "l.csv" as row 2 channel must be a channel number >= 1: current value is "0"',
    ],
    [
      "l.csv",
      `${HEADER}\na.wav,1,d,m,reference,0,0,2,sofa\n`,
      'Cannot read capture list "l.csv" as row 2 kind must be one of ir, recording: current value is "sofa"',
    ],
    [
      "l.csv",
      `${HEADER}\na.wav,1,d,m,reference,0,0,-2,ir\n`,
      'Cannot read capture list "l.csv" as row 2 distance_m must be a positive number of meters: current value is "-2"',
    ],
    [
      "l.csv",
      `${HEADER}\na.wav,1,d,m,reference,0,0,2\n`,
      'Cannot read capture list "l.csv" as row 2 the number of fields must equal the header\'s (9): current value is 8',
    ],
    [
      "l.csv",
      `${HEADER}\na.wav,1,d,m,reference,0,0,2,ir\nb.wav,1,d,m,ear-left,0,0,2,ir\n`,
      'Cannot read capture list "l.csv" as row 3 role must match row 2\'s for mic "m" (reference): current value is "ear-left"',
    ],
    [
      "l.csv",
      `${HEADER}\na.wav,1,d.1,m,reference,0,0,2,ir\n`,
      'Cannot read capture list "l.csv" as row 2 driver must be an id of letters, digits, "-" and "_" starting with a letter or digit: current value is "d.1"',
    ],
    [
      "l.json",
      '{"format":"spatialcal.capture-list","version":1,"captures":[{"file":"a.wav","azimuth":0}]}',
      'Cannot read capture list "l.json" as captures[0] azimuth is not a field',
    ],
    [
      "l.json",
      '{"format":"spatialcal.capture-list","version":1,"captures":[{"file":"a.wav","driver":"d","mic":"m","role":"reference","azimuth_deg":"0","elevation_deg":0,"distance_m":2,"kind":"ir"}]}',
      'Cannot read capture list "l.json" as captures[0] azimuth_deg must be a finite number of degrees: current value is "0"',
    ],
  ];
  for (const [file, text, message] of cases) {
    assert.throws(() => parseCaptureList(text, file), (e: Error) => {
      assert.equal(e.name, "InputError");
      assert.ok(
        e.message.startsWith(message),
        `${e.message}\n  expected to start with\n${message}`,
      );
      return true;
    });
  }
});

Deno.test("parseMicResponse reads maker files: header lines skipped, tabs/commas/semicolons, optional phase", () => {
  const r = parseMicResponse(
    '"Sens Factor =-1.23dB, AGain =18dB, SERNO: 7001234"\n* comment\n20\t-0.50\n1000, 0.00\n20000;1.5\n',
    "umik.txt",
  );
  assert.deepEqual([...r.frequenciesHz], [20, 1000, 20000]);
  assert.deepEqual([...r.levelsDb], [-0.5, 0, 1.5]);
  assert.equal(r.phasesDeg, undefined);
  const p = parseMicResponse("10 0 5\n100 1 -3\n", "p.frd");
  assert.deepEqual([...p.phasesDeg!], [5, -3]);
  const bad: [string, RegExp][] = [
    [
      "20 0\n10 1\n",
      /line 2 must have a frequency above the previous point's \(20 Hz\): current value is 10/,
    ],
    [
      "20 0 1\n30 1\n",
      /line 2 must give a phase like every other point does: current value is "30 1"/,
    ],
    ["20 x\n", /line 1 must hold finite numbers: current value is "20 x"/],
    ["20 0\n", /must hold at least 2 points \(Hz dB \[phase\]\): current value is 1/],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => parseMicResponse(text, "m.txt"), message);
  }
});
