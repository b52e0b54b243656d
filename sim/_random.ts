/**
 * Deterministic pseudo-random numbers for the simulator: a string hash (to
 * turn a serial number into a seed) and a small seeded generator.
 *
 * @module
 */

/**
 * 32-bit FNV-1a hash of a string's UTF-16 code units, then avalanche-mixed
 * (murmur3 finalizer), so that serials differing in one character give
 * unrelated seeds.
 */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A seeded generator: `uniform()` in [0, 1), `normal()` standard Gaussian. */
export interface Random {
  uniform(): number;
  normal(): number;
}

/**
 * Seeded generator (mulberry32 for uniforms, Box–Muller for Gaussians).
 * The same seed always gives the same sequence.
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  let spare: number | undefined;
  function uniform(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  function normal(): number {
    if (spare !== undefined) {
      const v = spare;
      spare = undefined;
      return v;
    }
    let u = uniform();
    while (u <= 1e-300) u = uniform();
    const v = uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }
  return { uniform, normal };
}
