// Helpers shared by the S4, SGConv and MultiresConv layers: argument checks and seeded inits.
import { checkRank, checkShape, checkTensor, describe, fmtShape } from '../errors';
import { uniformGenerator } from '../random';
import { Device, Tensor, tensor } from '../tensor';

/**
 * The seed of a layer's i-th random draw: distinct per draw for a given layer seed, undefined
 * (the global generator, see lc.seed) when the layer has none.
 */
export function drawSeed(seed: number | undefined, i: number): number | undefined {
  return seed === undefined ? undefined : (seed + 0x9e3779b9 * (i + 1)) >>> 0;
}

/** A tensor of U(−bound, bound) samples drawn on the host (the same values on every device). */
export function uniformTensor(shape: number[], bound: number, seed: number | undefined): Tensor {
  const uniform = uniformGenerator(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = (2 * uniform() - 1) * bound;
  return tensor(values, shape);
}

/** Checks a layer's input x [B,H,L] against the layer's H and device; returns [B, H, L]. */
export function checkLayerInput(x: unknown, H: number, device: Device, layer: string): [number, number, number] {
  const t = checkTensor(x, 'x', Tensor);
  checkRank(t, 'x', ['B,H,L']);
  const [B, , L] = t.shape;
  checkShape(t, 'x', [B, H, L], `[B,H,L] with H = ${H}, the width of this ${layer}`);
  if (B < 1 || L < 1) throw new RangeError(`x: every dimension must be >= 1, got ${fmtShape(t.shape)}`);
  if (t.device !== device) throw new TypeError(`x: expected device '${device}' (the device of this ${layer}'s parameters), got '${t.device}'`);
  return [B, H, L];
}

/** Checks a dropout probability in [0, 1). */
export function checkProbability(p: unknown, name: string): number {
  if (typeof p !== 'number' || Number.isNaN(p)) throw new TypeError(`${name}: expected a number, got ${describe(p)}`);
  if (p < 0 || p >= 1) throw new RangeError(`${name}: expected a probability in [0, 1), got ${p}`);
  return p;
}

/** Checks a boolean option (undefined gives `fallback`). */
export function checkFlag(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name}: expected a boolean, got ${describe(value)}`);
  return value;
}

/** Checks an optional integer seed. */
export function checkSeed(seed: unknown): number | undefined {
  if (seed === undefined) return undefined;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new TypeError(`seed: expected an integer, got ${describe(seed)}`);
  return seed;
}

/** The module's own parameter or buffer `name` (looked up each time: to() replaces tensors). */
export function stateTensor(m: { stateDict(): Record<string, Tensor> }, name: string): Tensor {
  const t = m.stateDict()[name];
  if (!t) throw new Error(`internal: no parameter or buffer named '${name}'`);
  return t;
}
