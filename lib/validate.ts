// Every argument check of the library, with one message template:
//
//     `${name}: expected ${what was expected}, got ${what was given}`
//
// A TypeError when the kind of value is wrong (not a tensor, not a number, not an integer, an
// unknown option or choice), a RangeError when a value of the right kind is out of range (a
// size, a shape, a bound). Nothing is coerced: '1' is not a number and 1.5 not an integer.
// Checks run before any memory is touched. (sharp's lib/is.js plays this part there.)
// An import cycle (tensor.ts checks its arguments here): Tensor is only read inside functions.
import { Device, Tensor } from './tensor';

/** The value as an error message shows it: `number 3`, `string x`, `an array`, `undefined`. */
export function describe(x: unknown): string {
  if (x === undefined) return 'undefined';
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'function') return 'a function';
  if (typeof x === 'symbol') return x.toString();
  if (typeof x === 'object') return `an object of class ${(x as object).constructor?.name ?? 'Object'}`;
  return `${typeof x} ${String(x)}`;
}

/** A shape as messages show it: [2,3,4]. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** The template's TypeError; `actual` is already in words (see describe). */
export function typeError(name: string, expected: string, actual: string): TypeError {
  return new TypeError(`${name}: expected ${expected}, got ${actual}`);
}

/** The template's RangeError; `actual` is already in words. */
export function rangeError(name: string, expected: string, actual: string): RangeError {
  return new RangeError(`${name}: expected ${expected}, got ${actual}`);
}

// ---- tensors ----

/** Throws TypeError unless x is a live (not disposed) Tensor. */
export function checkTensor(x: unknown, name: string): Tensor {
  if (!(x instanceof Tensor)) throw typeError(name, 'a Tensor', describe(x));
  if (x.isDisposed) throw typeError(name, 'a live Tensor', `a disposed one (shape ${fmtShape(x.shape)}, device '${x.device}')`);
  return x;
}

/** checkTensor for an optional argument: undefined and null give null. */
export function checkOptionalTensor(x: unknown, name: string): Tensor | null {
  return x === undefined || x === null ? null : checkTensor(x, name);
}

/** Throws RangeError unless t has one of the given ranks; `layouts` names the dimensions ('B,H,L'). */
export function checkRank(t: Tensor, name: string, layouts: string[]): void {
  const ranks = layouts.map((l) => l.split(',').length);
  if (!ranks.includes(t.shape.length)) {
    throw rangeError(name, `rank ${ranks.join(' or ')} (${layouts.map((l) => `[${l}]`).join(' or ')})`, `shape ${fmtShape(t.shape)}`);
  }
}

/** Throws RangeError unless t has at least `minRank` dimensions; `layout` names them ('...,L'). */
export function checkMinRank(t: Tensor, name: string, minRank: number, layout: string): void {
  if (t.shape.length < minRank) throw rangeError(name, `rank >= ${minRank} ([${layout}])`, `shape ${fmtShape(t.shape)}`);
}

/** Throws RangeError unless t.shape equals `expected`; `why` says where the expectation comes from. */
export function checkShape(t: Tensor, name: string, expected: readonly number[], why: string): void {
  const same = t.shape.length === expected.length && t.shape.every((d, i) => d === expected[i]);
  if (!same) throw rangeError(name, `shape ${fmtShape(expected)} (${why})`, fmtShape(t.shape));
}

/** Throws RangeError when a dimension of t is 0. */
export function checkNonEmpty(t: Tensor, name: string): void {
  if (t.shape.some((d) => d < 1)) throw rangeError(name, 'every dimension >= 1', `shape ${fmtShape(t.shape)}`);
}

/** Throws TypeError unless every given tensor sits on the device of the first one. */
export function checkSameDevice(named: [string, Tensor | undefined | null][]): void {
  const [firstName, first] = named[0];
  for (const [name, t] of named.slice(1)) {
    if (t && first && t.device !== first.device) throw typeError(name, `device '${first.device}' (the device of ${firstName})`, `'${t.device}'`);
  }
}

/** Throws TypeError unless t is on `device`; `whose` says whose device that is. */
export function checkDevice(t: Tensor, name: string, device: Device, whose: string): void {
  if (t.device !== device) throw typeError(name, `device '${device}' (${whose})`, `'${t.device}'`);
}

/** A tensor shape: an array of integers in [0, 2^53). */
export function checkShapeArray(shape: unknown, name: string): number[] {
  if (!Array.isArray(shape)) throw typeError(name, 'an array of non-negative integers', describe(shape));
  shape.forEach((d, i) => checkInteger(d, `${name}[${i}]`, { min: 0 }));
  return [...shape] as number[];
}

// ---- numbers ----

/** Bounds of checkInteger and checkNumber; `min`/`max` are inclusive unless the *Exclusive flag says otherwise. */
export interface Bounds {
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

function range(b: Bounds, what: string): string {
  const lo = b.min === undefined ? null : `${b.minExclusive ? '>' : '>='} ${b.min}`;
  const hi = b.max === undefined ? null : `${b.maxExclusive ? '<' : '<='} ${b.max}`;
  if (lo && hi) return `${what} in ${b.minExclusive ? '(' : '['}${b.min}, ${b.max}${b.maxExclusive ? ')' : ']'}`;
  return [what, lo ?? hi].filter(Boolean).join(' ');
}

function inBounds(x: number, b: Bounds): boolean {
  if (b.min !== undefined && (b.minExclusive ? !(x > b.min) : !(x >= b.min))) return false;
  if (b.max !== undefined && (b.maxExclusive ? !(x < b.max) : !(x <= b.max))) return false;
  return true;
}

// The checks below take an optional `fallback`: the value of an omitted (undefined) argument.
// Only undefined means "omitted": null, like any other non-number, is an error.

/**
 * An integer (a number with no fractional part, below 2^53 in magnitude) within `bounds`.
 * @throws TypeError for anything else ('3', 1.5, NaN, null, undefined without a fallback);
 *   RangeError out of bounds.
 */
export function checkInteger(x: unknown, name: string, bounds: Bounds = {}, fallback?: number): number {
  if (x === undefined && fallback !== undefined) return fallback;
  if (typeof x !== 'number' || !Number.isInteger(x)) throw typeError(name, range(bounds, 'an integer'), describe(x));
  if (!Number.isSafeInteger(x)) throw rangeError(name, `${range(bounds, 'an integer')} (and below 2^53 in magnitude)`, String(x));
  if (!inBounds(x, bounds)) throw rangeError(name, range(bounds, 'an integer'), String(x));
  return x;
}

/** A function (the callbacks of tidy, noGrad, withBatchOffset). */
export function checkFunction(x: unknown, name: string): void {
  if (typeof x !== 'function') throw typeError(name, 'a function', describe(x));
}

/** An integer >= 1 (sizes, counts). */
export function checkPositiveInt(x: unknown, name: string, fallback?: number): number {
  return checkInteger(x, name, { min: 1 }, fallback);
}

/** An integer >= 0 (offsets, paddings). */
export function checkNonNegativeInt(x: unknown, name: string, fallback?: number): number {
  return checkInteger(x, name, { min: 0 }, fallback);
}

/**
 * A finite number within `bounds`.
 * @throws TypeError for a non-number or NaN; RangeError for ±Infinity or a value out of bounds.
 */
export function checkNumber(x: unknown, name: string, bounds: Bounds = {}, fallback?: number): number {
  if (x === undefined && fallback !== undefined) return fallback;
  const what = range(bounds, 'a finite number');
  if (typeof x !== 'number' || Number.isNaN(x)) throw typeError(name, what, describe(x));
  if (!Number.isFinite(x) || !inBounds(x, bounds)) throw rangeError(name, what, String(x));
  return x;
}

/** Any number, NaN and ±Infinity included (a fill value); only the type is checked. */
export function checkNumberValue(x: unknown, name: string): number {
  if (typeof x !== 'number') throw typeError(name, 'a number', describe(x));
  return x;
}

/** A dropout probability in [0, 1). */
export function checkProbability(p: unknown, name: string, fallback?: number): number {
  if (p === undefined && fallback !== undefined) return fallback;
  if (typeof p !== 'number' || Number.isNaN(p)) throw typeError(name, 'a probability in [0, 1)', describe(p));
  if (!(p >= 0 && p < 1)) throw rangeError(name, 'a probability in [0, 1)', String(p));
  return p;
}

/** A random seed: an integer in [0, 2^53). */
export function checkSeed(x: unknown, name: string, fallback?: number): number {
  return checkInteger(x, name, { min: 0 }, fallback);
}

/** An axis in [-rank, rank) as a non-negative one. */
export function checkAxis(axis: unknown, rank: number, name: string, fallback?: number): number {
  if (axis === undefined && fallback !== undefined) axis = fallback;
  if (typeof axis !== 'number' || !Number.isInteger(axis)) throw typeError(name, 'an integer axis', describe(axis));
  if (axis < -rank || axis >= rank) throw rangeError(name, `an axis in [${-rank}, ${rank - 1}] for rank ${rank}`, String(axis));
  return axis < 0 ? axis + rank : axis;
}

// ---- other values ----

/** A boolean; undefined gives `fallback` when one is given. */
export function checkBoolean(x: unknown, name: string, fallback?: boolean): boolean {
  if (x === undefined && fallback !== undefined) return fallback;
  if (typeof x !== 'boolean') throw typeError(name, 'a boolean', describe(x));
  return x;
}

function listChoices(choices: readonly unknown[]): string {
  const quoted = choices.map((c) => (typeof c === 'string' ? `'${c}'` : String(c)));
  return quoted.length < 2 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

/** One of `choices` (compared with ===); undefined gives `fallback` when one is given. */
export function checkOneOf<T>(x: unknown, name: string, choices: readonly T[], fallback?: T): T {
  if (x === undefined && fallback !== undefined) return fallback;
  if (!choices.includes(x as T)) throw typeError(name, listChoices(choices), describe(x));
  return x as T;
}

/** A file path: a non-empty string. */
export function checkFilePath(x: unknown, name = 'path'): string {
  if (typeof x !== 'string' || x === '') throw typeError(name, 'a file path (a non-empty string)', describe(x));
  return x;
}

/** A string (empty included); undefined gives `fallback` when one is given. */
export function checkString(x: unknown, name: string, fallback?: string): string {
  if (x === undefined && fallback !== undefined) return fallback;
  if (typeof x !== 'string') throw typeError(name, 'a string', describe(x));
  return x;
}

/** A plain object (not null, not an array); `what` describes it ('an object {Lambda, P, dt}'). */
export function checkObject(x: unknown, name: string, what = 'an object'): Record<string, unknown> {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) throw typeError(name, what, describe(x));
  return x as Record<string, unknown>;
}

/**
 * An options bag: undefined (no options) or an object whose keys are all in `known`. Returns
 * the object (an empty one for undefined); the values are checked by the caller.
 * @throws TypeError for a non-object or an unknown key.
 */
export function checkOptions<T extends object>(opts: unknown, name: string, known: readonly string[]): Partial<T> {
  if (opts === undefined) return {};
  const o = checkObject(opts, name, `an options object {${known.join(', ')}}`);
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) throw typeError(name, `only the options ${known.join(', ')}`, `unknown option '${key}'`);
  }
  return o as Partial<T>;
}

// ---- failures that are not about an argument ----

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
