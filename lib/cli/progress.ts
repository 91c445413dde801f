// Progress of a training epoch on stderr: a bar on a terminal; elsewhere (CI, `| tee`, nohup, a
// log file) one line every few seconds, so a long run is never silent; nothing with --json or
// --quiet.
import { SingleBar } from 'cli-progress';

export interface EpochProgress {
  /** Examples done so far (and the running loss, accuracy and rate). */
  update(done: number, loss: number, accuracy: number, rate: number): void;
  stop(): void;
}

/** How progress is shown: 'bar' (a terminal), 'lines' every `seconds`, or 'none'. */
export function progressMode(opts: { json: boolean; quiet: boolean }, stream: { isTTY?: boolean } = process.stderr): 'bar' | 'lines' | 'none' {
  if (opts.json || opts.quiet) return 'none';
  return stream.isTTY ? 'bar' : 'lines';
}

/**
 * The progress of epoch `epoch` of `epochs` over `total` examples, starting at `done` (a
 * resumed epoch). Lines read `epoch 2/5: 3200/9000 (35.6%) | loss 0.4123 | acc 87.10% | 512.3 seq/s`.
 */
export function epochProgress(mode: 'bar' | 'lines' | 'none', epoch: number, epochs: number, total: number, done: number, seconds: number, stream: NodeJS.WritableStream = process.stderr): EpochProgress {
  if (mode === 'bar') {
    const bar = new SingleBar({ format: `epoch ${epoch}/${epochs} [{bar}] {value}/{total} | loss {loss} | acc {acc}% | {rate} seq/s`, hideCursor: true, clearOnComplete: false, stream });
    bar.start(total, done, { loss: '-', acc: '-', rate: '-' });
    return {
      update: (n, loss, accuracy, rate) => bar.update(n, { loss: loss.toFixed(4), acc: (100 * accuracy).toFixed(1), rate: rate.toFixed(1) }),
      stop: () => bar.stop(),
    };
  }
  if (mode === 'none') return { update: () => undefined, stop: () => undefined };
  let last = Date.now();
  return {
    update: (n, loss, accuracy, rate) => {
      const now = Date.now();
      if (now - last < seconds * 1000 || n >= total) return; // the epoch's own line follows its end
      last = now;
      stream.write(`epoch ${epoch}/${epochs}: ${n}/${total} (${((100 * n) / total).toFixed(1)}%) | loss ${loss.toFixed(4)} | acc ${(100 * accuracy).toFixed(2)}% | ${rate.toFixed(1)} seq/s\n`);
    },
    stop: () => undefined,
  };
}
