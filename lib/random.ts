// Seeded normal samples, drawn on the host so a seed gives the same values on every device.
import { checkFunction, checkInteger, checkSeed } from './validate';

let globalState = (Math.random() * 2 ** 32) >>> 0;

// The generator's 32-bit state of a seed in [0, 2^53): its low 32 bits, xor the high ones.
function stateOf(s: number): number {
  return ((s >>> 0) ^ Math.floor(s / 2 ** 32)) >>> 0;
}

/**
 * Seeds the global generator: what randn, the layers' initialisation and dropout masks use when
 * they are given no seed of their own.
 * @param s an integer in [0, 2^53)
 * @throws TypeError for a non-integer, RangeError for a negative one.
 */
export function seed(s: number): void {
  globalState = stateOf(checkSeed(s, 's'));
}

// mulberry32: a small, fast 32-bit generator with a full period, plenty for initialisation.
function mulberry32(state: { s: number }): () => number {
  return () => {
    let t = (state.s = (state.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let batchOffset = 0;

/**
 * Runs `fn` as the part of a larger batch that starts at sample `offset` (along axis 0): a
 * rank's share of a data-parallel batch, or a micro-batch of an accumulated one. Dropout then
 * gives each sample the mask it gets in the whole batch (masks hash an element's index in the
 * whole batch), so that splitting a batch changes no mask. Scopes nest; the offset is 0 outside.
 * @param offset an integer >= 0
 * @throws TypeError for a non-integer offset or a non-function fn, RangeError for a negative offset.
 */
export function withBatchOffset<T>(offset: number, fn: () => T): T {
  checkInteger(offset, 'offset', { min: 0 });
  checkFunction(fn, 'fn');
  const outer = batchOffset;
  batchOffset = offset;
  try {
    return fn();
  } finally {
    batchOffset = outer;
  }
}

/** The offset set by the innermost {@link withBatchOffset} (0 outside any). */
export function currentBatchOffset(): number {
  return batchOffset;
}

/** Uniform samples in [0, 1) from a (checked) seed, or from the global generator. */
export function uniformGenerator(seedValue?: number): () => number {
  if (seedValue !== undefined) return mulberry32({ s: stateOf(seedValue) });
  const state = { s: globalState };
  const next = mulberry32(state);
  return () => {
    const r = next();
    globalState = state.s;
    return r;
  };
}

/** n normal samples by Box-Muller. */
export function normalSamples(n: number, seedValue: number | undefined, mean: number, std: number): Float32Array {
  const uniform = uniformGenerator(seedValue);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - uniform(); // (0, 1]: log stays finite
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
