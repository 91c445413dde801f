// Argument checks shared by every op: each error names the argument, what was expected and
// what was given, and is thrown before any memory is touched.
import type { Tensor } from './tensor';

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return `an object of class ${(x as object).constructor?.name ?? 'Object'}`;
  return `${typeof x} ${String(x)}`;
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Throws TypeError unless x is a live Tensor. */
export function checkTensor(x: unknown, name: string, TensorClass: new (...a: never[]) => Tensor): Tensor {
  if (!(x instanceof TensorClass)) throw new TypeError(`${name}: expected a Tensor, got ${describe(x)}`);
  const t = x as Tensor;
  if (t.isDisposed) throw new TypeError(`${name}: the tensor was disposed (shape ${fmtShape(t.shape)}, device '${t.device}')`);
  return t;
}

/** Throws RangeError unless t has one of the given ranks; `layouts` names the dimensions. */
export function checkRank(t: Tensor, name: string, layouts: string[]): void {
  const ok = layouts.some((l) => l.split(',').length === t.shape.length);
  if (!ok) {
    const want = layouts.map((l) => `[${l}]`).join(' or ');
    throw new RangeError(`${name}: expected rank ${layouts.map((l) => l.split(',').length).join(' or ')} (${want}), got shape ${fmtShape(t.shape)}`);
  }
}

/** Throws RangeError unless t.shape equals `expected`; `what` says where the expectation comes from. */
export function checkShape(t: Tensor, name: string, expected: readonly number[], what: string): void {
  const same = t.shape.length === expected.length && t.shape.every((d, i) => d === expected[i]);
  if (!same) throw new RangeError(`${name}: expected shape ${fmtShape(expected)} (${what}), got ${fmtShape(t.shape)}`);
}

/** Throws TypeError unless every tensor sits on the device of the first one. */
export function checkSameDevice(named: [string, Tensor | undefined | null][]): void {
  const [firstName, first] = named[0];
  for (const [name, t] of named.slice(1)) {
    if (t && t.device !== first!.device) {
      throw new TypeError(`${name}: expected device '${first!.device}' (the device of ${firstName}), got '${t.device}'`);
    }
  }
}

export function checkPositiveInt(x: unknown, name: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x)) throw new TypeError(`${name}: expected an integer, got ${describe(x)}`);
  if (x < 1) throw new RangeError(`${name}: expected an integer >= 1, got ${x}`);
  return x;
}

/**
 * An Error with a `code`, for failures that are not about an argument's type or range: the
 * caller can tell them apart by code (Node's convention), e.g. ERR_LONGCONV_OUT_OF_MEMORY.
 */
export function codedError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** Out of memory, as native allocations report it (code ERR_LONGCONV_OUT_OF_MEMORY). */
export function outOfMemory(message: string): Error & { code: string } {
  return codedError('ERR_LONGCONV_OUT_OF_MEMORY', message);
}
