// Command-line flags of `longconv`: parsed strictly, validated before anything is written.
import { parseArgs } from 'util';
import { FILE_TASKS, FileTaskName } from '../data/file_tasks';

/** Tasks with built-in data (no --data-dir). */
export const BUILTIN_TASKS = ['smnist', 'psmnist', 'listops', 'copy', 'recall'] as const;
/** Tasks read from the benchmarks' files in --data-dir. */
export const FILE_TASK_NAMES = Object.keys(FILE_TASKS) as FileTaskName[];
export const TASKS = [...BUILTIN_TASKS, ...FILE_TASK_NAMES] as const;
export const MODELS = ['s4d', 's4', 'sgconv', 'multires'] as const;
export const DEVICES = ['cpu', 'cuda', 'auto'] as const;
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
}

const trainFlags = {
  task: { type: 'string' }, model: { type: 'string' }, preset: { type: 'string' }, 'data-dir': { type: 'string' },
  device: { type: 'string' }, epochs: { type: 'string' }, batch: { type: 'string' }, accumulate: { type: 'string' },
  'd-model': { type: 'string' }, layers: { type: 'string' }, 'd-state': { type: 'string' }, lr: { type: 'string' },
  'ssm-lr': { type: 'string' }, 'weight-decay': { type: 'string' }, dropout: { type: 'string' }, 'grad-clip': { type: 'string' }, norm: { type: 'string' },
  prenorm: { type: 'string' }, bidirectional: { type: 'string' }, seed: { type: 'string' },
  'train-limit': { type: 'string' }, 'val-limit': { type: 'string' }, 'test-limit': { type: 'string' },
  'val-fraction': { type: 'string' }, length: { type: 'string' }, 'checkpoint-every': { type: 'string' },
  out: { type: 'string' }, resume: { type: 'string' }, json: { type: 'boolean' },
} as const;

const evalFlags = {
  checkpoint: { type: 'string' }, task: { type: 'string' }, 'data-dir': { type: 'string' }, device: { type: 'string' },
  'test-limit': { type: 'string' }, json: { type: 'boolean' },
} as const;

/** Strict flag parsing: an unknown flag, a missing value or (unless allowed) a positional is a UsageError. */
export function parseCommand<T extends Record<string, { type: 'string' | 'boolean' }>>(argv: string[], flags: T, command: string, allowPositionals = false) {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: flags, strict: true, allowPositionals });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (e) {
    const valid = Object.keys(flags).map((f) => `--${f}`).join(', ');
    throw new UsageError(`${(e as Error).message.split('\n')[0].replace(/\. To specify.*$/, '')} (valid flags for ${command}: ${valid})`);
  }
}

function parse<T extends Record<string, { type: 'string' | 'boolean' }>>(argv: string[], flags: T, command: string) {
  return parseCommand(argv, flags, command).values;
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
    const range = `${exclusiveMin ? '>' : '>='} ${min}${max < Infinity ? ` and <= ${max}` : ''}`;
    throw new UsageError(`--${name}: expected ${integer ? 'an integer' : 'a number'} ${range}, got '${String(value)}'`);
  }
  return n;
}

function onOff(value: unknown, name: string): boolean | undefined {
  return value === undefined ? undefined : choice(value, name, ['on', 'off'] as const) === 'on';
}

export function parseTrainArgs(argv: string[]): TrainArgs {
  const v = parse(argv, trainFlags, 'train');
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
    out: v.out as string | undefined,
    resume: v.resume as string | undefined,
    json: !!v.json,
  };
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
  const v = parse(argv, evalFlags, 'eval');
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
