import { describe } from '../errors';

/** Validates an options bag: an object (or undefined) holding only the known keys. */
export function checkOptions<T extends object>(opts: unknown, name: string, known: readonly string[]): Partial<T> {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`${name}: expected an options object, got ${describe(opts)}`);
  }
  for (const key of Object.keys(opts)) {
    if (!known.includes(key)) throw new TypeError(`${name}: unknown option '${key}' (expected one of ${known.join(', ')})`);
  }
  return opts as Partial<T>;
}
