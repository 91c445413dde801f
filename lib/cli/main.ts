// The `longconv` command: train, eval, info, bench.
import * as lc from '..';
import { parseEvalArgs, parseTrainArgs, UsageError } from './args';
import { evaluateCheckpoint, train } from './train';
import { benchCommand } from '../bench';

const USAGE = `usage: longconv <command> [flags]
  train --task smnist|psmnist|listops|copy|recall --model s4d|s4|sgconv|multires [--device cpu|cuda|auto]
        [--epochs E] [--batch B] [--d-model D] [--layers N] [--lr LR] [--weight-decay WD] [--dropout P]
        [--seed S] [--train-limit n] [--test-limit n] [--length L] [--out DIR] [--resume DIR] [--json]
  eval  --checkpoint DIR [--task T] [--device D] [--test-limit n] [--json]
  info
  bench [fftconv|rfft|cauchy|vandermonde|s4d-kernel|s4-kernel|sgconv-kernel|multires|layer|train-step|all ...]
        [--device cpu|cuda|auto] [--sizes L1,L2,...] [--batch B] [--heads H] [--state N] [--threads T1,T2,...]
        [--repeat R] [--warmup W] [--peers none|numpy|fftw|torch|all|LIST] [--python PATH] [--json] [--out DIR] [--svg FILE]`;

function info(): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const pkg = require('../../package.json');
  return { event: 'info', longconv: pkg.version, node: process.versions.node, napi: process.versions.napi, platform: `${process.platform}-${process.arch}`, threads: lc.getNumThreads(), backend: lc.backendInfo() };
}

function usageError(e: unknown): number {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`longconv: ${e.message}\n`);
  return 2;
}

/** Runs the CLI; returns the process exit code (2 for usage errors), a promise of it for bench. */
export function main(argv: string[]): number | Promise<number> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  const print = (event: Record<string, unknown>) => {
    if (json) process.stdout.write(JSON.stringify(event) + '\n');
    else if (event.event === 'epoch') console.log(`epoch ${event.epoch}: train loss ${(event.trainLoss as number).toFixed(4)} acc ${(100 * (event.trainAccuracy as number)).toFixed(2)}% | test loss ${(event.testLoss as number).toFixed(4)} acc ${(100 * (event.testAccuracy as number)).toFixed(2)}% | ${(event.sequencesPerSecond as number).toFixed(1)} seq/s`);
    else if (event.event === 'start') console.log(`training ${event.model} on ${event.task} (${event.device}, ${event.parameters} parameters, ${event.trainSize} train / ${event.testSize} test sequences) -> ${event.out}`);
    else if (event.event === 'done') console.log(`done: test accuracy ${(100 * (event.testAccuracy as number)).toFixed(2)}% (best ${(100 * (event.bestTestAccuracy as number)).toFixed(2)}%) in ${(event.seconds as number).toFixed(1)} s; checkpoints in ${event.out}`);
    else if (event.event === 'eval') console.log(`${event.model} on ${event.task}: test accuracy ${(100 * (event.testAccuracy as number)).toFixed(2)}% (loss ${(event.testLoss as number).toFixed(4)}, ${event.testSize} sequences)`);
    else console.log(JSON.stringify(event, null, 2));
  };
  try {
    switch (command) {
      case 'train':
        print(train(parseTrainArgs(rest), print));
        return 0;
      case 'eval':
        print(evaluateCheckpoint(parseEvalArgs(rest)));
        return 0;
      case 'bench':
        return benchCommand(rest).catch(usageError);
      case 'info':
        if (rest.filter((a) => a !== '--json').length) throw new UsageError(`info takes no flags but --json, got ${rest.join(' ')}`);
        print(info());
        return 0;
      case undefined:
      case '--help':
      case 'help':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}' (choose from train, eval, info, bench)`);
    }
  } catch (e) {
    return usageError(e);
  }
}
