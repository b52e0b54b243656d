import assert from "node:assert/strict";
import { InputError, inputError, inputFailure, showPlain } from "../../io/errors.ts";

Deno.test("inputError() reads 'Cannot <action> as <field> <rule>: current value is <value>' and keeps the facts", () => {
  const cause = new Error("underlying");
  const e = inputError({
    action: 'read limits "l.json"',
    file: "l.json",
    field: "bands[2].lowerHz",
    rule: "must be > 0",
    value: -5,
    cause,
  });
  assert.ok(e instanceof InputError);
  assert.equal(e.name, "InputError");
  assert.equal(
    e.message,
    'Cannot read limits "l.json" as bands[2].lowerHz must be > 0: current value is -5',
  );
  assert.deepEqual([e.file, e.field, e.value, e.cause], ["l.json", "bands[2].lowerHz", -5, cause]);
});

Deno.test("inputError() spells values as JSON by default and as plain text with showPlain", () => {
  const base = { action: "read x", file: undefined, field: "f", rule: "must be finite" };
  assert.match(inputError({ ...base, value: "a" }).message, /current value is "a"$/);
  assert.match(inputError({ ...base, value: NaN }).message, /current value is null$/);
  assert.match(
    inputError({ ...base, value: NaN, show: showPlain }).message,
    /current value is NaN$/,
  );
  assert.match(
    inputError({ ...base, value: "a", show: showPlain }).message,
    /current value is "a"$/,
  );
  assert.match(inputError({ ...base, value: undefined }).message, /current value is undefined$/);
  assert.equal(inputError({ ...base, value: 1 }).cause, undefined);
});

Deno.test("inputFailure() throws inputError() for one action and file", () => {
  const fail = inputFailure('read sweep parameters "s.json"', "s.json");
  assert.throws(() => fail("startHz", "must be > 0", -1), {
    name: "InputError",
    message: 'Cannot read sweep parameters "s.json" as startHz must be > 0: current value is -1',
    file: "s.json",
    field: "startHz",
    value: -1,
  });
});
