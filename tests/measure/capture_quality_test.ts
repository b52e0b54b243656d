import assert from "node:assert/strict";
import { synchronizedSweep } from "../../measure/synchronized_sweep.ts";
import { detectDropouts, sweepLoudSpan } from "../../measure/capture_quality.ts";

const sweep = synchronizedSweep({
  startHz: 20,
  endHz: 20000,
  durationSeconds: 1,
  sampleRate: 48000,
  levelDbfs: -6,
});

Deno.test("sweepLoudSpan() starts and ends where the raised-cosine fades reach -20 dB (w = 0.1, 0.205 of each fade)", () => {
  const { startSamples, lengthSamples } = sweepLoudSpan(sweep);
  const fadeIn = Math.round(sweep.fadeInSeconds * sweep.sampleRate);
  const fadeOut = Math.round(sweep.fadeOutSeconds * sweep.sampleRate);
  // 0.5 − 0.5·cos(π·n/F) = 0.1 at n = F·acos(0.8)/π: the span starts at the first integer past it.
  assert.equal(startSamples, Math.ceil((fadeIn * Math.acos(0.8)) / Math.PI));
  const lastFromEnd = sweep.lengthSamples - startSamples - lengthSamples;
  assert.equal(lastFromEnd, Math.ceil((fadeOut * Math.acos(0.8)) / Math.PI));
  // Physics: outside the span the sweep never exceeds 0.1 of its amplitude; inside it does.
  const amplitude = Math.pow(10, -6 / 20);
  const outside = [
    ...sweep.samples.subarray(0, startSamples),
    ...sweep.samples.subarray(startSamples + lengthSamples),
  ];
  // 1e-12: the product of sine and window rounds in the last bits.
  assert.ok(Math.max(...outside.map(Math.abs)) <= 0.1 * amplitude + 1e-12);
  // Within one 20 Hz period (2400 samples) after its start the sweep exceeds 0.1 of its amplitude.
  const first = sweep.samples.subarray(startSamples, startSamples + 2400);
  assert.ok(Math.max(...Array.from(first, Math.abs)) > 0.1 * amplitude);
});

Deno.test("sweepLoudSpan() widens with the distance and covers the whole sweep without fades", () => {
  const at40 = sweepLoudSpan(sweep, 40);
  const at20 = sweepLoudSpan(sweep, 20);
  assert.ok(at40.startSamples < at20.startSamples && at40.lengthSamples > at20.lengthSamples);
  const noFades = synchronizedSweep({
    startHz: 20,
    endHz: 20000,
    durationSeconds: 1,
    sampleRate: 48000,
    fadeInSeconds: 0,
    fadeOutSeconds: 0,
  });
  assert.deepEqual(sweepLoudSpan(noFades), {
    startSamples: 0,
    lengthSamples: noFades.lengthSamples,
  });
});

Deno.test("sweepLoudSpan() rejects a distance that is not a positive finite number", () => {
  for (const withinDb of [0, -20, Number.NaN, Infinity]) {
    assert.throws(() => sweepLoudSpan(sweep, withinDb), {
      name: "RangeError",
      message:
        `Cannot find the loud part of the sweep as withinDb must be a finite number > 0: current value is ${withinDb}`,
    });
  }
});

Deno.test("detectDropouts() counts runs of at least 32 exact zeros inside its window only", () => {
  const x = new Float64Array(1000).fill(0.5);
  x.fill(0, 100, 131); // 31 zeros: not a dropout
  x.fill(0, 200, 232); // 32 zeros: the shortest dropout
  x.fill(0, 400, 500); // 100 zeros
  x.fill(0, 900, 1000); // outside the window below
  assert.deepEqual(detectDropouts(x, 0, 800), { count: 2, longestSamples: 100, firstIndex: 200 });
  // A window that starts inside a run counts only the part inside it.
  assert.deepEqual(detectDropouts(x, 450, 100), { count: 1, longestSamples: 50, firstIndex: 450 });
  // Negative starts and ends past the signal are clipped to it.
  assert.deepEqual(detectDropouts(x, -50, 2000), {
    count: 3,
    longestSamples: 100,
    firstIndex: 200,
  });
});

Deno.test("detectDropouts() reports a channel that is silent throughout as one run", () => {
  assert.deepEqual(detectDropouts(new Float64Array(500), 100, 300), {
    count: 1,
    longestSamples: 300,
    firstIndex: 100,
  });
});
