// Learning-rate schedules: functions of the step count giving the factor for setLrScale.
import { checkInteger, checkNumber, checkObject, checkOptions, rangeError } from '../validate';

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
  checkObject(options, 'cosineSchedule options', 'an options object {warmup, total, minScale?}');
  const opts = checkOptions<CosineScheduleOptions>(options, 'cosineSchedule options', ['warmup', 'total', 'minScale']);
  const warmup = checkInteger(opts.warmup, 'cosineSchedule options.warmup', { min: 0 });
  const total = checkInteger(opts.total, 'cosineSchedule options.total', { min: 1 });
  if (warmup > total) throw rangeError('cosineSchedule options.warmup', `an integer <= total (${total})`, String(warmup));
  const minScale = checkNumber(opts.minScale, 'cosineSchedule options.minScale', { min: 0, max: 1 }, 0);
  return (step: number): number => {
    checkNumber(step, 'step', { min: 0 });
    if (step < warmup) return step / warmup;
    const progress = total === warmup ? 1 : Math.min(1, (step - warmup) / (total - warmup));
    return minScale + ((1 - minScale) * (1 + Math.cos(Math.PI * progress))) / 2;
  };
}
