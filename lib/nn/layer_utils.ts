// Helpers shared by every nn layer (layers.ts, S4D, S4, SGConv, MultiresConv, ResidualBlock,
// SequenceClassifier): the Layer base class, argument checks and seeded initialisation.
import { checkRank, checkShape, checkTensor, describe, fmtShape } from '../errors';
import { uniformGenerator } from '../random';
import { Device, Tensor, tensor } from '../tensor';
import { Module, ParameterGroup } from './module';

/**
 * A Module that looks its own parameters and buffers up by name, so that forward passes read
 * the current tensors (Module.to and replaceTensor swap them).
 */
export abstract class Layer extends Module {
  private readonly tensors = new Map<string, Tensor>();

  protected override registerParameter(name: string, t: Tensor, group: ParameterGroup = 'default'): Tensor {
    this.tensors.set(name, t);
    return super.registerParameter(name, t, group);
  }

  protected override registerBuffer(name: string, t: Tensor): Tensor {
    this.tensors.set(name, t);
    return super.registerBuffer(name, t);
  }

  protected override replaceTensor(name: string, t: Tensor): Tensor {
    const out = super.replaceTensor(name, t);
    this.tensors.set(name, t);
    return out;
  }

  /** The current tensor of this module's own parameter or buffer `name`. */
  protected own(name: string): Tensor {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`${this.constructor.name}: no parameter or buffer named '${name}'`);
    return t;
  }
}

// Two seed derivations are in use and both stay: each fixes the initial weights that a given
// layer seed gives, so switching a layer from one to the other would change them.

/**
 * A seed for each sub-initialiser, drawn from `seed` (or the global generator when omitted).
 * Used by layers.ts, S4D, ResidualBlock and SequenceClassifier (and for Dropout's masks).
 */
export function seedStream(seed: number | undefined): () => number {
  const uniform = uniformGenerator(seed);
  return () => Math.floor(uniform() * 2 ** 32);
}

/**
 * The seed of a layer's i-th random draw: distinct per draw for a given layer seed, undefined
 * (the global generator, see lc.seed) when the layer has none. Used by S4, SGConv, MultiresConv.
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

// Two input checks with different error wording (both pinned by the tests): checkInput names
// the layer ('S4D u: expected rank 3'), checkLayerInput uses the ops' wording ('x: expected
// rank 3 ([B,H,L])') and also checks the device and empty dimensions.

/**
 * Throws unless `x` is a live tensor of one of `ranks` whose size along `axis` is `size`.
 * @throws TypeError for a non-tensor or disposed x; RangeError naming `name` otherwise.
 */
export function checkInput(x: unknown, name: string, ranks: number[], axis: number, size: number, what: string): Tensor {
  const t = checkTensor(x, name, Tensor);
  if (!ranks.includes(t.shape.length)) throw new RangeError(`${name}: expected rank ${ranks.join(' or ')}, got shape ${fmtShape(t.shape)}`);
  const a = axis < 0 ? axis + t.shape.length : axis;
  if (t.shape[a] !== size) throw new RangeError(`${name}: expected size ${size} (${what}) along axis ${axis}, got shape ${fmtShape(t.shape)}`);
  return t;
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
