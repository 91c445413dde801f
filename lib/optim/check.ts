// Number checks shared by the optimizer, the schedules and clipping.
import { describe } from '../errors';

/**
 * Returns x when it is a finite number with min <= x (and x < maxExclusive when given).
 * @throws TypeError for a non-number, RangeError for a value out of range.
 */
export function checkNumber(x: unknown, name: string, min: number, maxExclusive?: number): number {
  if (typeof x !== 'number' || Number.isNaN(x)) throw new TypeError(`${name}: expected a number, got ${describe(x)}`);
  const inRange = Number.isFinite(x) && x >= min && (maxExclusive === undefined || x < maxExclusive);
  if (!inRange) {
    const range = maxExclusive === undefined ? `a finite number >= ${min}` : `a number in [${min}, ${maxExclusive})`;
    throw new RangeError(`${name}: expected ${range}, got ${x}`);
  }
  return x;
}
