// The `longconv` command: train, eval, presets, info, bench.
import * as lc from '..';
import { DataError } from '../data/files';
import { EVAL_FLAGS, Flags, parseEvalArgs, parseTrainArgs, TRAIN_FLAGS, UsageError } from './args';
import { runConfig, trainDefaults } from './tasks';
import { BENCH_FLAGS, parseBenchArgs, SUITES } from '../bench/options';
import { PRESETS } from './presets';
import { launchRank } from './ranks';
import { evaluateCheckpoint, train } from './train';
import { benchCommand } from '../bench';

/** The commands, what each does, and its flags (bench also takes suite names). */
const COMMANDS: Record<string, { summary: string; usage: string; flags: Flags }> = {
  train: {
    summary: 'train a model on a task; writes a run directory (default runs/<task>-<model>-<timestamp>)',
    usage: 'longconv train [flags]',
    flags: TRAIN_FLAGS,
  },
  eval: { summary: "score a run's best checkpoint on its task's test split", usage: 'longconv eval --checkpoint DIR [flags]', flags: EVAL_FLAGS },
  presets: { summary: "the papers' recipes: task, model, source config, reported accuracy", usage: 'longconv presets [--json]', flags: { json: { help: 'one JSON object per preset' } } },
  info: {
    summary: 'the loaded addon, the CPU kernels (threads, SIMD), CUDA and the cuFFT/cuBLAS found',
    usage: 'longconv info [--json]',
    flags: { json: { help: 'one JSON object' } },
  },
  bench: {
    summary: "time longconv's kernels beside numpy, FFTW and PyTorch",
    usage: `longconv bench [${SUITES.join('|')}|all ...] [flags]`,
    flags: BENCH_FLAGS,
  },
};

function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'usage: longconv <command> [flags]',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'longconv <command> --help lists its flags with their defaults. Examples:',
    '  longconv train --task smnist --model s4d --epochs 5 --d-model 64 --out runs/s4d',
    '  longconv train --resume runs/s4d --epochs 10',
    '  longconv eval --checkpoint runs/s4d',
  ].join('\n');
}

function commandHelp(name: string): string {
  const c = COMMANDS[name];
  const defaults: Record<string, string> = name === 'train' ? trainDefaults() : {};
  const flag = (f: string) => `--${f}${c.flags[f].value ? ` ${c.flags[f].value}` : ''}`;
  const width = Math.max(...Object.keys(c.flags).map((f) => flag(f).length));
  const lines = Object.entries(c.flags).map(([f, spec]) => {
    const fallback = spec.default ?? defaults[f];
    return `  ${flag(f).padEnd(width)}  ${spec.help}${fallback ? ` (default: ${fallback})` : ''}`;
  });
  return [`usage: ${c.usage}`, '', `${c.summary[0].toUpperCase()}${c.summary.slice(1)}.`, '', 'flags:', ...lines].join('\n');
}

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

// cufftGetVersion's 1000·major + 100·minor + patch and CUBLAS_VERSION's (and ncclGetVersion's, NCCL ≥ 2.9)
// 10000·major + 100·minor + patch.
const cufftVersion = (v: number) => `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 100)}.${v % 100}`;
const cublasVersion = (v: number) => `${Math.floor(v / 10000)}.${Math.floor((v % 10000) / 100)}.${v % 100}`;

function infoLines(event: Record<string, unknown>): string[] {
  const b = event.backend as lc.BackendInfo;
  return [`longconv ${event.longconv} · Node ${event.node} (N-API ${event.napi}) · ${event.platform}`, ...backendLines(b), ...distributedLines(b.distributed)];
}

// What lc.distributed (mpirun -np N longconv train) would load.
function distributedLines({ mpi, nccl }: lc.BackendInfo['distributed']): string[] {
  return [
    mpi.available ? `MPI (${mpi.abi}): ${mpi.version}: ${mpi.path}` : `MPI: not available: ${mpi.reason}`,
    nccl.available ? `NCCL ${cublasVersion(nccl.version ?? 0)}: ${nccl.path}` : `NCCL: not available: ${nccl.reason}`,
  ];
}

function backendLines(b: lc.BackendInfo): string[] {
  const { cuda } = b;
  const lines = [
    `addon: ${b.addon.path} (CUDA support compiled in: ${cuda.compiled ? 'yes' : 'no'})`,
    `CPU: ${b.cpu.threads} threads, ${b.cpu.simd} kernels`,
  ];
  if (!cuda.available) {
    lines.push(`CUDA: not available: ${cuda.reason}`);
    lines.push(`cuFFT, cuBLAS: not loaded (they are looked for once a CUDA device and driver are found)`);
    return lines;
  }
  const gib = ((cuda.memoryBytes ?? 0) / 2 ** 30).toFixed(1);
  lines.push(`CUDA: ${cuda.device} (compute capability ${cuda.computeCapability}, ${gib} GiB), driver supports CUDA ${cuda.driverVersion}, runtime ${cuda.runtimeVersion}`);
  lines.push(`cuFFT ${cufftVersion(cuda.cufftVersion ?? 0)}: ${cuda.cufftPath}`);
  lines.push(cuda.cublasAvailable ? `cuBLAS ${cuda.cublasVersion ? cublasVersion(cuda.cublasVersion) : '(version unknown)'}: ${cuda.cublasPath}` : `cuBLAS: not found: ${cuda.cublasReason} (matmul and linear cannot run on CUDA)`);
  return lines;
}

// Usage errors and missing or malformed data files: one line, exit code 2. Under an MPI
// launcher, an error before the ranks joined is every rank's (the same flags): rank 0 says it;
// one after is said by each rank that meets it, named (the exit code then aborts every rank).
function usageError(e: unknown): number {
  if (!(e instanceof UsageError || e instanceof DataError)) throw e;
  const world = lc.distributed.isInitialized() ? lc.distributed.getWorld() : null;
  if (world && world.size > 1) process.stderr.write(`longconv: rank ${world.rank}/${world.size}: ${e.message}\n`);
  else if (world || launchRank() === 0) process.stderr.write(`longconv: ${e.message}\n`);
  return 2;
}

const isHelp = (a: string) => a === '--help' || a === '-h';

// Flags alone, no run: for the commands that take only --json.
function checkJsonOnly(command: string, rest: string[]): void {
  const extra = rest.filter((a) => a !== '--json');
  if (extra.length) throw new UsageError(`${command} takes no flags but --json, got ${extra.join(' ')} (longconv ${command} --help)`);
}

/**
 * Checks a command line as `main` would run it, without running anything: null when it is
 * valid, else the one-line usage error. (The README's commands are checked with it.)
 */
export function parseCommandLine(argv: string[]): string | null {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || isHelp(command) || command === 'help' || rest.some(isHelp)) return null;
    switch (command) {
      case 'train': {
        const args = parseTrainArgs(rest);
        if (!args.resume) runConfig(args);
        return null;
      }
      case 'eval':
        parseEvalArgs(rest);
        return null;
      case 'bench':
        parseBenchArgs(rest);
        return null;
      case 'presets':
      case 'info':
        checkJsonOnly(command, rest);
        return null;
      default:
        throw new UsageError(unknownCommand(command));
    }
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
}

const unknownCommand = (command: string) => `unknown command '${command}' (choose from ${Object.keys(COMMANDS).join(', ')}; longconv --help)`;

/** Runs the CLI; returns the process exit code (2 for usage errors), a promise of it for train and bench. */
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
    else if (event.event === 'info') infoLines(event).forEach((line) => console.log(line));
    else console.log(JSON.stringify(event, null, 2));
  };
  // Data-parallel runs (mpirun -np N longconv train|eval): rank 0 speaks for all.
  const printOnRoot = (event: Record<string, unknown>) => {
    if (lc.distributed.getWorld().rank === 0) print(event);
  };
  try {
    if (command === undefined || isHelp(command) || command === 'help') {
      const topic = command === 'help' ? rest[0] : undefined;
      if (topic !== undefined && !(topic in COMMANDS)) throw new UsageError(unknownCommand(topic));
      console.log(topic ? commandHelp(topic) : overview());
      return command === undefined ? 2 : 0;
    }
    if (command in COMMANDS && rest.some(isHelp)) {
      console.log(commandHelp(command));
      return 0;
    }
    switch (command) {
      case 'train':
        return train(parseTrainArgs(rest), print).then((summary) => {
          printOnRoot(summary);
          return 0;
        }, usageError);
      case 'eval':
        printOnRoot(evaluateCheckpoint(parseEvalArgs(rest)));
        return 0;
      case 'presets':
        checkJsonOnly(command, rest);
        presetLines(json).forEach((line) => console.log(line));
        return 0;
      case 'bench':
        return benchCommand(rest).catch(usageError);
      case 'info':
        checkJsonOnly(command, rest);
        print(info());
        return 0;
      default:
        throw new UsageError(unknownCommand(command));
    }
  } catch (e) {
    return usageError(e);
  }
}
