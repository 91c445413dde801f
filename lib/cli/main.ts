// The `longconv` command: train, eval, presets, info, bench.
import * as lc from '..';
import { DataError } from '../data/files';
import { MODELS, parseEvalArgs, parseTrainArgs, TASKS, UsageError } from './args';
import { PRESETS } from './presets';
import { evaluateCheckpoint, train } from './train';
import { benchCommand } from '../bench';

const USAGE = `usage: longconv <command> [flags]
  train [--preset NAME] [--task ${TASKS.join('|')}]
        [--data-dir DIR] [--model ${MODELS.join('|')}] [--device cpu|cuda|auto]
        [--epochs E] [--batch B] [--accumulate N] [--d-model D] [--layers N] [--d-state N]
        [--lr LR] [--ssm-lr LR] [--weight-decay WD] [--dropout P] [--grad-clip C] [--norm layer|batch]
        [--prenorm on|off] [--bidirectional on|off] [--seed S] [--train-limit n] [--val-limit n]
        [--test-limit n] [--val-fraction F] [--length L] [--checkpoint-every STEPS]
        [--out DIR] [--resume DIR] [--json]
  eval  --checkpoint DIR [--task T] [--data-dir DIR] [--device D] [--test-limit n] [--json]
  presets [--json]   the papers' recipes: task, model, source config, reported accuracy
  info [--json]
  bench [fftconv|rfft|cauchy|vandermonde|s4d-kernel|s4-kernel|sgconv-kernel|multires|layer|train-step|all ...]
        [--device cpu|cuda|auto] [--sizes L1,L2,...] [--batch B] [--heads H] [--state N] [--threads T1,T2,...]
        [--repeat R] [--warmup W] [--peers none|numpy|fftw|torch|all|LIST] [--python PATH] [--json] [--out DIR] [--svg FILE]`;

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

function presetLines(json: boolean): string[] {
  if (json) return PRESETS.map((p) => JSON.stringify({ event: 'preset', ...p }));
  const rows = PRESETS.map((p) => [p.name, p.task, p.model, p.reported === null ? 'fails (chance)' : `${p.reported}%`, p.source]);
  const width = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return [
    ...rows.map((r) => r.map((cell, c) => (c < r.length - 1 ? cell.padEnd(width[c]) : cell)).join('  ')),
    '',
    'reported accuracies: ' + [...new Set(PRESETS.map((p) => p.reportedIn))].join('; '),
  ];
}

function info(): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const pkg = require('../../package.json');
  return { event: 'info', longconv: pkg.version, node: process.versions.node, napi: process.versions.napi, platform: `${process.platform}-${process.arch}`, threads: lc.getNumThreads(), backend: lc.backendInfo() };
}

// Usage errors and missing or malformed data files: one line, exit code 2.
function usageError(e: unknown): number {
  if (!(e instanceof UsageError || e instanceof DataError)) throw e;
  process.stderr.write(`longconv: ${e.message}\n`);
  return 2;
}

/** Runs the CLI; returns the process exit code (2 for usage errors), a promise of it for bench. */
export function main(argv: string[]): number | Promise<number> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  const print = (event: Record<string, unknown>) => {
    if (json) process.stdout.write(JSON.stringify(event) + '\n');
    else if (event.event === 'epoch') console.log(`epoch ${event.epoch}: train loss ${(event.trainLoss as number).toFixed(4)} acc ${pct(event.trainAccuracy as number)} | validation loss ${(event.valLoss as number).toFixed(4)} acc ${pct(event.valAccuracy as number)} | ${(event.sequencesPerSecond as number).toFixed(1)} seq/s`);
    else if (event.event === 'start') console.log(`training ${event.model} on ${event.task}${event.preset ? ` (preset ${event.preset})` : ''} (${event.device}, ${event.parameters} parameters, ${event.trainSize} train / ${event.valSize} validation${event.valFrom === 'test' ? ' = test' : ''} / ${event.testSize} test sequences) -> ${event.out}`);
    else if (event.event === 'checkpoint') console.log(`checkpoint: epoch ${event.epoch}, step ${event.step}/${event.stepsPerEpoch}`);
    else if (event.event === 'done') console.log(`done: test accuracy ${pct(event.testAccuracy as number)} with the best validation epoch ${event.bestEpoch} (validation ${pct(event.bestValAccuracy as number)}) in ${(event.seconds as number).toFixed(1)} s; checkpoints in ${event.out}`);
    else if (event.event === 'eval') console.log(`${event.model} on ${event.task}: test accuracy ${pct(event.testAccuracy as number)} (loss ${(event.testLoss as number).toFixed(4)}, ${event.testSize} sequences)`);
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
      case 'presets':
        if (rest.filter((a) => a !== '--json').length) throw new UsageError(`presets takes no flags but --json, got ${rest.join(' ')}`);
        presetLines(json).forEach((line) => console.log(line));
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
        throw new UsageError(`unknown command '${command}' (choose from train, eval, presets, info, bench)`);
    }
  } catch (e) {
    return usageError(e);
  }
}
