// Learning-rate schedules: functions of the step count giving the factor for setLrScale.
import { describe } from '../errors';
import { checkOptions } from '../ops/options';
import { checkNumber } from './check';

/** Options of {@link cosineSchedule}. */
export interface CosineScheduleOptions {
  /** Steps of linear warmup from 0 to 1 (0: none). */
  warmup: number;
  /** Step at which the cosine decay reaches minScale (total >= warmup, >= 1). */
  total: number;
  /** The factor after the decay. Default 0. */
  minScale?: number;
}

/**
 * Linear warmup then cosine decay, as transformers' get_cosine_schedule_with_warmup:
 *   step < warmup:  step / warmup;
 *   otherwise:      minScale + (1 − minScale) · (1 + cos(π · min(1, (step − warmup) / (total − warmup)))) / 2.
 * So scale(0) = 0 with a warmup, scale(warmup) = 1, and scale(step >= total) = minScale.
 * Use: `opt.setLrScale(schedule(opt.stepCount)); opt.step();`.
 * @throws TypeError for a missing or non-integer warmup/total, unknown options; RangeError for
 *   warmup < 0, total < 1, warmup > total or minScale outside [0, 1]. The returned function
 *   throws RangeError for a negative or non-finite step.
 */
export function cosineSchedule(options: CosineScheduleOptions): (step: number) => number {
  if (options === undefined) throw new TypeError('cosineSchedule options: expected {warmup, total, minScale?}, got undefined');
  const opts = checkOptions<CosineScheduleOptions>(options, 'cosineSchedule options', ['warmup', 'total', 'minScale']);
  const integer = (x: unknown, name: string, min: number): number => {
    if (!Number.isInteger(x)) throw new TypeError(`cosineSchedule options.${name}: expected an integer, got ${describe(x)}`);
    return checkNumber(x, `cosineSchedule options.${name}`, min);
  };
  const warmup = integer(opts.warmup, 'warmup', 0);
  const total = integer(opts.total, 'total', 1);
  if (warmup > total) throw new RangeError(`cosineSchedule options.warmup: expected <= total (${total}), got ${warmup}`);
  const minScale = opts.minScale ?? 0;
  if (!(checkNumber(minScale, 'cosineSchedule options.minScale', 0) <= 1)) {
    throw new RangeError(`cosineSchedule options.minScale: expected a number in [0, 1], got ${minScale}`);
  }
  return (step: number): number => {
    checkNumber(step, 'step', 0);
    if (step < warmup) return step / warmup;
    const progress = total === warmup ? 1 : Math.min(1, (step - warmup) / (total - warmup));
    return minScale + ((1 - minScale) * (1 + Math.cos(Math.PI * progress))) / 2;
  };
}
