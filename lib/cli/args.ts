// Command-line flags of `longconv`: parsed strictly, validated before anything is written.
import { parseArgs } from 'util';
import { backendInfo } from '../backend';
import { FILE_TASKS, FileTaskName } from '../data/file_tasks';

/** Tasks with built-in data (no --data-dir). */
export const BUILTIN_TASKS = ['smnist', 'psmnist', 'listops', 'copy', 'recall'] as const;
/** Tasks read from the benchmarks' files in --data-dir. */
const FILE_TASK_NAMES = Object.keys(FILE_TASKS) as FileTaskName[];
export const TASKS = [...BUILTIN_TASKS, ...FILE_TASK_NAMES] as const;
const MODELS = ['s4d', 's4', 'sgconv', 'multires'] as const;
const DEVICES = ['cpu', 'cuda', 'auto'] as const;
export type TaskName = (typeof BUILTIN_TASKS)[number] | FileTaskName;
export type ModelName = (typeof MODELS)[number];

/** A usage error: printed as one line, exit code 2, nothing written. */
export class UsageError extends Error {}

/** `longconv train` flags; undefined = the preset's or the default value. */
export interface TrainArgs {
  task?: TaskName;
  model?: ModelName;
  preset?: string;
  dataDir?: string;
  device: (typeof DEVICES)[number];
  epochs?: number;
  batch?: number;
  accumulate?: number;
  dModel?: number;
  layers?: number;
  dState?: number;
  lr?: number;
  ssmLr?: number;
  weightDecay?: number;
  dropout?: number;
  gradientClip?: number;
  norm?: 'layer' | 'batch';
  prenorm?: boolean;
  bidirectional?: boolean;
  seed?: number;
  trainLimit?: number;
  valLimit?: number;
  testLimit?: number;
  valFraction?: number;
  length?: number;
  checkpointEvery?: number;
  out?: string;
  resume?: string;
  json: boolean;
  /** No progress bar or progress lines. */
  quiet: boolean;
  /** Seconds between progress lines when stderr is not a terminal. */
  progressSeconds: number;
  /** The flags given on the command line (names without --): what --resume checks. */
  given: string[];
}

/**
 * One flag of a command: the placeholder of its value (none for a switch), what it does, and
 * its default in words (model- and task-dependent defaults come from tasks.ts, see help.ts).
 */
export interface Flag {
  value?: string;
  help: string;
  default?: string;
}
export type Flags = Readonly<Record<string, Flag>>;

/** The flags of `longconv train`, in the order --help lists them. */
export const TRAIN_FLAGS: Flags = {
  preset: { value: 'NAME', help: "a paper's recipe (`longconv presets` lists them); the other flags override its values" },
  task: { value: 'NAME', help: `the task: ${TASKS.join(', ')}`, default: "smnist, or the preset's" },
  'data-dir': { value: 'DIR', help: "the folder of a file task's data; the README's benchmarks section says what each task reads" },
  model: { value: 'NAME', help: `the layer: ${MODELS.join(', ')}`, default: "s4d, or the preset's" },
  device: { value: 'cpu|cuda|auto', help: 'where to train', default: 'auto: CUDA when available, else the CPU' },
  epochs: { value: 'E', help: 'epochs to train; with --resume, the new total' },
  batch: { value: 'B', help: 'examples per optimizer step', default: "64, or the preset's" },
  accumulate: { value: 'N', help: 'split each step into N micro-batches: gradient accumulation, the same step in less memory', default: '1' },
  'd-model': { value: 'D', help: 'channels H of each block', default: "128, or the preset's" },
  layers: { value: 'N', help: 'residual blocks', default: "4, or the preset's" },
  'd-state': { value: 'N', help: 'state size of s4 and s4d layers', default: "64, or the preset's" },
  lr: { value: 'LR', help: 'AdamW learning rate' },
  'ssm-lr': { value: 'LR', help: 'learning rate of the kernel/SSM parameters, which get no weight decay' },
  'weight-decay': { value: 'WD', help: 'AdamW weight decay', default: "0.01, or the preset's" },
  dropout: { value: 'P', help: 'dropout probability', default: "0.1, or the preset's" },
  'grad-clip': { value: 'C', help: "clip the gradients' global norm at C; 0: no clipping", default: "1, or the preset's" },
  norm: { value: 'layer|batch', help: 'the normalisation of each block', default: "layer, or the preset's" },
  prenorm: { value: 'on|off', help: 'normalise before each block instead of after it', default: "off, or the preset's" },
  bidirectional: { value: 'on|off', help: 'layers see the sequence in both directions', default: "off, or the preset's" },
  seed: { value: 'S', help: 'seed of the weights, batch order and dropout masks', default: "0, or the preset's" },
  'train-limit': { value: 'N', help: 'use the first N training examples only', default: 'all' },
  'val-limit': { value: 'N', help: 'use the first N validation examples only', default: 'all' },
  'test-limit': { value: 'N', help: 'use the first N test examples only', default: 'all' },
  'val-fraction': { value: 'F', help: 'hold out this share of the training data for validation', default: 'built-in tasks validate on the test split' },
  length: { value: 'L', help: 'sequence length of listops, copy and recall; for variable-length file tasks, the longest sequence kept', default: 'listops 512, copy and recall 200' },
  'checkpoint-every': { value: 'STEPS', help: 'also save last.safetensors every STEPS steps within an epoch', default: '0, at epoch ends only' },
  out: { value: 'DIR', help: 'the run directory: config.json, metrics.jsonl, last/best.safetensors, result.json, curves.svg', default: 'runs/<task>-<model>-<timestamp>, or runs/<preset>-<timestamp> with --preset' },
  resume: { value: 'DIR', help: 'continue the run in DIR from its last checkpoint; only the flags --epochs, --data-dir, --checkpoint-every, --device, --json, --quiet, --progress-seconds may come with it' },
  json: { help: 'print one JSON object per line instead of text' },
  quiet: { help: 'no progress bar or progress lines' },
  'progress-seconds': { value: 'S', help: 'seconds between progress lines when stderr is not a terminal; a terminal gets a bar', default: '10' },
};

/** What --resume accepts besides DIR: flags that do not change the model, the task or the data. */
export const RESUME_FLAGS = ['resume', 'epochs', 'data-dir', 'checkpoint-every', 'device', 'json', 'quiet', 'progress-seconds'] as const;

export const EVAL_FLAGS: Flags = {
  checkpoint: { value: 'DIR', help: 'a run directory written by longconv train (its best.safetensors, else last.safetensors)' },
  task: { value: 'NAME', help: 'score on another task with the same inputs and classes', default: "the run's task" },
  'data-dir': { value: 'DIR', help: "the task's data folder", default: "the run's" },
  device: { value: 'cpu|cuda|auto', help: 'where to evaluate', default: 'auto' },
  'test-limit': { value: 'N', help: 'use the first N test examples only', default: 'all' },
  json: { help: 'print one JSON object' },
};

/** The parseArgs options of a flag table. */
function parserOptions(flags: Flags): Record<string, { type: 'string' | 'boolean' }> {
  return Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, { type: f.value === undefined ? 'boolean' : 'string' }]));
}

// `--epochs -1` is a flag followed by a negative number, not two flags: joined as `--epochs=-1`
// so the value check can say what is wrong with it.
function joinNegativeValues(argv: string[], flags: Flags): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : '';
    if (flags[name]?.value !== undefined && /^-(\d|\.\d|Infinity)/.test(argv[i + 1] ?? '')) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

/**
 * Strict flag parsing: an unknown flag, a missing value or (unless allowed) a positional is a
 * UsageError. Returns the values by flag name and the positionals.
 */
export function parseCommand(argv: string[], flags: Flags, command: string, allowPositionals = false) {
  try {
    const { values, positionals } = parseArgs({ args: joinNegativeValues(argv, flags), options: parserOptions(flags), strict: true, allowPositionals });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (e) {
    const valid = Object.keys(flags).map((f) => `--${f}`).join(', ');
    throw new UsageError(`${(e as Error).message.split('\n')[0].replace(/\. To specify.*$/, '')} (valid flags for ${command}: ${valid}; longconv ${command} --help)`);
  }
}

function parse(argv: string[], flags: Flags, command: string) {
  return parseCommand(argv, flags, command).values;
}

/**
 * The device a --device value asks for here: 'cuda' needs a usable GPU (else a UsageError that
 * says why); 'auto' is CUDA when there is one, else the CPU.
 */
export function resolveDeviceFlag(device: (typeof DEVICES)[number]): 'cpu' | 'cuda' {
  const cuda = backendInfo().cuda;
  if (device === 'cuda' && !cuda.available) throw new UsageError(`--device cuda: CUDA is not available here: ${cuda.reason}; use --device cpu or auto`);
  return device === 'cpu' || !cuda.available ? 'cpu' : 'cuda';
}

export function choice<T extends string>(value: unknown, name: string, choices: readonly T[], fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || !choices.includes(value as T)) {
    throw new UsageError(`${value === undefined ? `missing --${name}` : `unknown ${name} '${value}'`} (choose from ${choices.join(', ')})`);
  }
  return value as T;
}

export function number(value: unknown, name: string, { integer = false, min = -Infinity, max = Infinity, exclusiveMin = false } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const bad = typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max || (exclusiveMin && n === min);
  if (bad) {
    const range = `${exclusiveMin ? '>' : '≥'} ${min}${max < Infinity ? ` and ≤ ${max}` : ''}`;
    throw new UsageError(`--${name}: expected ${integer ? 'an integer' : 'a number'} ${range}, got '${String(value)}'`);
  }
  return n;
}

function onOff(value: unknown, name: string): boolean | undefined {
  return value === undefined ? undefined : choice(value, name, ['on', 'off'] as const) === 'on';
}

/**
 * Parses `longconv train` flags (after the command name). With --resume, flags that would
 * change the model, the task or the data (all but RESUME_FLAGS) are refused by name.
 * @throws UsageError
 */
export function parseTrainArgs(argv: string[]): TrainArgs {
  const v = parse(argv, TRAIN_FLAGS, 'train');
  const given = Object.keys(v).filter((name) => v[name] !== undefined);
  const refused = given.filter((name) => !(RESUME_FLAGS as readonly string[]).includes(name));
  if (v.resume !== undefined && refused.length) {
    throw new UsageError(
      `--resume: ${refused.map((f) => `--${f}`).join(', ')} would change the run in '${String(v.resume)}' (its config.json); ` +
        `a resumed run takes only ${RESUME_FLAGS.filter((f) => f !== 'resume').map((f) => `--${f}`).join(', ')} (to change the rest, start a new run with --out)`,
    );
  }
  return {
    task: v.task === undefined ? undefined : choice(v.task, 'task', TASKS),
    model: v.model === undefined ? undefined : choice(v.model, 'model', MODELS),
    preset: v.preset as string | undefined,
    dataDir: v['data-dir'] as string | undefined,
    device: choice(v.device, 'device', DEVICES, 'auto'),
    epochs: number(v.epochs, 'epochs', { integer: true, min: 1 }),
    batch: number(v.batch, 'batch', { integer: true, min: 1 }),
    accumulate: number(v.accumulate, 'accumulate', { integer: true, min: 1 }),
    dModel: number(v['d-model'], 'd-model', { integer: true, min: 1 }),
    layers: number(v.layers, 'layers', { integer: true, min: 1 }),
    dState: number(v['d-state'], 'd-state', { integer: true, min: 1 }),
    lr: number(v.lr, 'lr', { min: 0, exclusiveMin: true }),
    ssmLr: number(v['ssm-lr'], 'ssm-lr', { min: 0 }),
    weightDecay: number(v['weight-decay'], 'weight-decay', { min: 0 }),
    dropout: number(v.dropout, 'dropout', { min: 0, max: 0.99 }),
    gradientClip: number(v['grad-clip'], 'grad-clip', { min: 0 }),
    norm: v.norm === undefined ? undefined : choice(v.norm, 'norm', ['layer', 'batch'] as const),
    prenorm: onOff(v.prenorm, 'prenorm'),
    bidirectional: onOff(v.bidirectional, 'bidirectional'),
    seed: number(v.seed, 'seed', { integer: true, min: 0 }),
    trainLimit: number(v['train-limit'], 'train-limit', { integer: true, min: 1 }),
    valLimit: number(v['val-limit'], 'val-limit', { integer: true, min: 1 }),
    testLimit: number(v['test-limit'], 'test-limit', { integer: true, min: 1 }),
    valFraction: number(v['val-fraction'], 'val-fraction', { min: 0, max: 0.9 }),
    length: number(v.length, 'length', { integer: true, min: 1 }),
    checkpointEvery: number(v['checkpoint-every'], 'checkpoint-every', { integer: true, min: 1 }),
    out: directory(v.out, 'out'),
    resume: directory(v.resume, 'resume'),
    json: !!v.json,
    quiet: !!v.quiet,
    progressSeconds: number(v['progress-seconds'], 'progress-seconds', { min: 0 }) ?? 10,
    given,
  };
}

function directory(value: unknown, name: string): string | undefined {
  if (value === '') throw new UsageError(`--${name}: expected a directory, got ''`);
  return value as string | undefined;
}

export interface EvalArgs {
  checkpoint: string;
  task?: TaskName;
  dataDir?: string;
  device: (typeof DEVICES)[number];
  testLimit?: number;
  json: boolean;
}

export function parseEvalArgs(argv: string[]): EvalArgs {
  const v = parse(argv, EVAL_FLAGS, 'eval');
  if (typeof v.checkpoint !== 'string') throw new UsageError('missing --checkpoint DIR (a directory written by longconv train --out)');
  return {
    checkpoint: v.checkpoint,
    task: v.task === undefined ? undefined : choice(v.task, 'task', TASKS),
    dataDir: v['data-dir'] as string | undefined,
    device: choice(v.device, 'device', DEVICES, 'auto'),
    testLimit: number(v['test-limit'], 'test-limit', { integer: true, min: 1 }),
    json: !!v.json,
  };
}
