// Timing for `longconv bench`: samples after warm-up (CPU: the wall clock; CUDA: events on the
// default stream after a synchronize), their median and 10th/90th percentiles, and the
// machine's bandwidth the achieved GB/s are compared with.
import type { Device } from '../tensor';
import { native } from '../native';
import * as lc from '..';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    cudaTimerStart(): void;
    cudaTimerStopMs(): number;
  }
}

/** How many samples to take: exactly `repeat` when given, else minSamples..maxSamples within about `budgetMs`. */
export interface SamplePlan {
  repeat?: number;
  warmup: number;
  budgetMs: number;
  minSamples: number;
  maxSamples: number;
}

/**
 * Each case is measured in ROUNDS rounds — longconv, then each peer, then longconv again —
 * so that a machine whose load changes during the run weighs on both sides alike. Over all
 * rounds: exactly --repeat samples, or else 3 to 12 within about 2 s per measurement.
 */
export const ROUNDS = 3;
const BUDGET_MS = 2000, MIN_SAMPLES = 3, MAX_SAMPLES = 12;

/** The sample plan of round `round` (0-based; warm-up in the first only). */
export function roundPlan(round: number, repeat: number | undefined, warmup: number): SamplePlan {
  const rounds = roundsFor(repeat);
  const share = (total: number) => Math.floor((total + round) / rounds); // shares sum to total
  return {
    repeat: repeat === undefined ? undefined : share(repeat),
    warmup: round === 0 ? warmup : 0,
    budgetMs: BUDGET_MS / rounds,
    minSamples: share(MIN_SAMPLES),
    maxSamples: share(MAX_SAMPLES),
  };
}

/** The number of rounds: ROUNDS, or fewer when --repeat asks for fewer samples. */
export function roundsFor(repeat: number | undefined): number {
  return Math.min(ROUNDS, repeat ?? ROUNDS);
}

/** Runs fn `warmup` times, then returns the milliseconds of each timed run. */
export function sampleMs(fn: () => void, device: Device, plan: SamplePlan): number[] {
  for (let i = 0; i < plan.warmup; i++) fn();
  const times: number[] = [];
  const start = process.hrtime.bigint();
  for (;;) {
    if (device === 'cuda') {
      lc.synchronize();
      native.cudaTimerStart();
      fn();
      times.push(native.cudaTimerStopMs());
    } else {
      const t0 = process.hrtime.bigint();
      fn();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    const done = plan.repeat !== undefined
      ? times.length >= plan.repeat
      : times.length >= plan.maxSamples || (times.length >= plan.minSamples && elapsed >= plan.budgetMs);
    if (done) return times;
  }
}

/** Median, 10th and 90th percentiles (linear interpolation between order statistics). */
export interface Summary {
  median: number;
  p10: number;
  p90: number;
  samples: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('summarize: no samples');
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => {
    const pos = q * (s.length - 1);
    const lo = Math.floor(pos);
    return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
  };
  return { median: at(0.5), p10: at(0.1), p90: at(0.9), samples: s.length };
}

/**
 * The bandwidth the achieved GB/s are a fraction of, in bytes/s. CUDA: the device's peak
 * (memory clock × bus width × 2, from its properties). CPU: measured here, now, at the current
 * thread count — the best of several runs of a scale over 64 MiB (one read and one write per
 * element, spread over the threads like every kernel), so it is what this machine streams
 * under its present load.
 */
export function machineBandwidth(device: Device): { bytesPerSecond: number | null; source: string } {
  if (device === 'cuda') {
    const peak = lc.backendInfo().cuda.peakBandwidthBytesPerSecond;
    return peak ? { bytesPerSecond: peak, source: 'peak from device properties' } : { bytesPerSecond: null, source: 'the device does not report its memory clock' };
  }
  const n = 16 << 20;
  const x = lc.zeros([n]);
  try {
    const times = sampleMs(() => lc.tidy(() => { lc.scale(x, 1.5); }), 'cpu', { repeat: 7, warmup: 2, budgetMs: 0, minSamples: 7, maxSamples: 7 });
    return { bytesPerSecond: (8 * n) / (Math.min(...times) / 1e3), source: 'copy, measured in this run' };
  } finally {
    x.dispose();
  }
}
