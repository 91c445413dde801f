// Tasks, presets and flags for `longconv train`: what a run is (RunConfig, written to
// config.json) and the data it reads.
import * as data from '../data';
import { FILE_TASKS, FileTaskName } from '../data/file_tasks';
import { BUILTIN_TASKS, ModelName, TaskName, TrainArgs, UsageError } from './args';
import { findPreset, PRESETS } from './presets';

/** Everything needed to rebuild the run: written to config.json, read by --resume and eval. */
export interface RunConfig {
  task: TaskName;
  model: ModelName;
  /** The preset the run started from, if any (its values are already below). */
  preset?: string;
  /** The folder of a file task's data. */
  dataDir?: string;
  /** Sequence length (built-in tasks) or the longest sequence kept (variable-length file tasks). */
  length?: number;
  /** Part of the training data carved out for validation (tasks without a validation file). */
  valFraction?: number;
  epochs: number;
  /** Examples per optimizer step. */
  batch: number;
  /** Micro-batches per step (gradient accumulation): each holds about batch / accumulate examples. */
  accumulate: number;
  /** Save last.safetensors every this many steps within an epoch too (0: at epoch ends only). */
  checkpointEvery: number;
  dModel: number;
  layers: number;
  lr: number;
  /** Learning rate of the 'ssm' group (kernel/SSM parameters). */
  ssmLr: number;
  /** Weight decay of the 'ssm' group. */
  ssmWeightDecay: number;
  /** Learning rate of S4's dt (log_dt or inv_dt) when it differs from ssmLr. */
  dtLr?: number;
  /** Learning rate of S4/S4D's C when it differs from the main lr (its weight decay stays the main one). */
  cLr?: number;
  /** Weight decay of D when it differs from the 'noDecay' group's. */
  dWeightDecay?: number;
  weightDecay: number;
  /** Weight decay of the 'noDecay' group (biases, norms, D). */
  normWeightDecay: number;
  dropout: number;
  /** One dropout mask per (example, channel), shared along the sequence. */
  tiedDropout: boolean;
  /** Clip the gradients' global norm at this value; 0: no clipping. */
  gradientClip: number;
  seed: number;
  trainLimit?: number;
  valLimit?: number;
  testLimit?: number;
  /** Options of each layer (lc.nn layer constructors). */
  layer: Record<string, unknown>;
  prenorm: boolean;
  norm: 'layer' | 'batch';
  pool: 'mean' | 'last';
  /** Warmup as a share of all steps (presets: the paper's warmup / total steps). */
  warmupFraction?: number;
  /** Warmup in epochs (when a preset gives it so). */
  warmupEpochs?: number;
  /**
   * Where a resumed run changed --epochs: after `epoch` epochs and `step` steps, from
   * `epochsBefore` to `epochsAfter`. From there on the learning rate follows the schedule of the
   * new total (as if the run had started with --epochs epochsAfter).
   */
  resumes?: { epoch: number; step: number; epochsBefore: number; epochsAfter: number }[];
}

// Per model: the layer options and training recipe of its paper's sequential-image runs,
// scaled where a CPU would otherwise take hours (documented in the README).
const MODEL_DEFAULTS: Record<ModelName, { layer: Record<string, unknown>; lr: number; ssmLr: number; dropout: number; prenorm: boolean }> = {
  s4d: { layer: { type: 's4d', dState: 64, init: 'lin', disc: 'zoh' }, lr: 0.01, ssmLr: 0.001, dropout: 0.1, prenorm: false },
  s4: { layer: { type: 's4', dState: 64, rank: 1 }, lr: 0.01, ssmLr: 0.001, dropout: 0.1, prenorm: false },
  sgconv: { layer: { type: 'sgconv', kernelDim: 32, decay: 2, initScale: 0 }, lr: 0.01, ssmLr: 0.001, dropout: 0.1, prenorm: false },
  multires: { layer: { type: 'multires', kernelSize: 2 }, lr: 0.005, ssmLr: 0.001, dropout: 0.1, prenorm: false },
};

const TASK_EPOCHS: Record<TaskName, number> = {
  smnist: 10, psmnist: 10, listops: 20, copy: 20, recall: 20,
  scifar: 100, 'lra-listops': 40, 'lra-text': 32, 'lra-retrieval': 20, 'lra-image': 100, 'lra-pathfinder': 200, 'lra-pathx': 50, 'smnist-full': 100, custom: 20,
};

/** The defaults of `longconv train` flags that depend on the task or the model, in words (--help). */
export function trainDefaults(): Record<string, string> {
  const byValue = <K extends string>(values: Record<K, number>) => {
    const groups = new Map<number, K[]>();
    (Object.keys(values) as K[]).forEach((k) => groups.set(values[k], [...(groups.get(values[k]) ?? []), k]));
    return [...groups].map(([value, keys]) => `${keys.join('/')} ${value}`).join(', ');
  };
  const lr = Object.fromEntries(Object.entries(MODEL_DEFAULTS).map(([m, d]) => [m, d.lr])) as Record<ModelName, number>;
  const ssmLr = [...new Set(Object.values(MODEL_DEFAULTS).map((d) => d.ssmLr))];
  return {
    epochs: `per task: ${byValue(TASK_EPOCHS)}; or the preset's`,
    lr: `per model: ${byValue(lr)}; or the preset's`,
    'ssm-lr': `the smaller of --lr and ${ssmLr.join('/')}; or the preset's`,
  };
}

/** Whether the task reads files from --data-dir. */
function isFileTask(task: TaskName): task is FileTaskName {
  return Object.prototype.hasOwnProperty.call(FILE_TASKS, task);
}

/** The run's settings: the model's defaults, then the preset's values, then the flags. */
export function runConfig(args: Omit<TrainArgs, 'quiet' | 'progressSeconds' | 'given'>): RunConfig {
  const preset = args.preset === undefined ? undefined : findPreset(args.preset);
  if (args.preset !== undefined && !preset) throw new UsageError(`unknown preset '${args.preset}' (choose from ${PRESETS.map((p) => p.name).join(', ')}; longconv presets lists them)`);
  const task = args.task ?? preset?.task ?? 'smnist';
  const model = args.model ?? preset?.model ?? 's4d';
  const m = MODEL_DEFAULTS[model];
  const v = preset && preset.model === model ? preset.values : undefined;
  if (preset && preset.model !== model) throw new UsageError(`--model ${model}: preset ${preset.name} is a ${preset.model} recipe (choose a ${model} preset or drop --model)`);
  checkData(task, args);

  const lr = args.lr ?? v?.lr ?? m.lr;
  const tiedToMain = v?.ssmLr === 'main';
  const ssmLr = args.ssmLr ?? (tiedToMain ? lr : (v?.ssmLr as number | undefined) ?? Math.min(lr, m.ssmLr));
  const weightDecay = args.weightDecay ?? v?.weightDecay ?? 0.01;
  const layer: Record<string, unknown> = { ...m.layer, ...v?.layer };
  if (args.dState !== undefined) {
    if (model !== 's4' && model !== 's4d') throw new UsageError(`--d-state: only s4 and s4d layers have a state size (model ${model})`);
    layer.dState = args.dState;
  }
  if (args.bidirectional !== undefined) layer.bidirectional = args.bidirectional;
  const config: RunConfig = {
    task,
    model,
    preset: preset?.name,
    dataDir: args.dataDir,
    length: args.length ?? (isFileTask(task) && FILE_TASKS[task].variableLength ? v?.maxLength : undefined),
    valFraction: args.valFraction,
    epochs: args.epochs ?? v?.epochs ?? TASK_EPOCHS[task],
    batch: args.batch ?? (v ? v.batch * (v.devices ?? 1) : 64),
    accumulate: args.accumulate ?? 1,
    checkpointEvery: args.checkpointEvery ?? 0,
    dModel: args.dModel ?? v?.dModel ?? 128,
    layers: args.layers ?? v?.layers ?? 4,
    lr,
    ssmLr,
    ssmWeightDecay: tiedToMain || v?.ssmWeightDecay === 'main' ? weightDecay : 0,
    dtLr: v?.dtLr === 'main' ? lr : undefined,
    cLr: v?.cLr === 'ssm' ? ssmLr : undefined,
    dWeightDecay: v?.dWeightDecay === 'main' ? weightDecay : undefined,
    weightDecay,
    normWeightDecay: v?.normWeightDecay === 'main' ? weightDecay : 0,
    dropout: args.dropout ?? v?.dropout ?? m.dropout,
    tiedDropout: v?.tiedDropout ?? false,
    gradientClip: args.gradientClip ?? v?.gradientClip ?? 1,
    seed: args.seed ?? v?.seed ?? 0,
    trainLimit: args.trainLimit,
    valLimit: args.valLimit,
    testLimit: args.testLimit,
    layer,
    prenorm: args.prenorm ?? v?.prenorm ?? m.prenorm,
    norm: args.norm ?? v?.norm ?? 'layer',
    pool: v?.pool ?? 'mean',
    warmupFraction: v?.warmupSteps !== undefined && v.totalSteps !== undefined ? v.warmupSteps / v.totalSteps : undefined,
    warmupEpochs: v?.warmupEpochs,
  };
  if (config.accumulate > config.batch) throw new UsageError(`--accumulate ${config.accumulate}: more micro-batches than examples per step (--batch ${config.batch})`);
  return config;
}

// The data flags fit the task: --data-dir for file tasks only, --length and --val-fraction where they apply.
function checkData(task: TaskName, args: Pick<TrainArgs, 'dataDir' | 'length' | 'valFraction'>): void {
  if (!isFileTask(task)) {
    if (args.dataDir !== undefined) throw new UsageError(`--data-dir: task ${task} has built-in data (file tasks: ${Object.keys(FILE_TASKS).join(', ')})`);
    return;
  }
  const info = FILE_TASKS[task];
  if (args.dataDir === undefined) throw new UsageError(`missing --data-dir DIR: task ${task} reads ${info.files} from ${info.origin}`);
  if (args.length !== undefined && !info.variableLength) throw new UsageError(`--length: task ${task} has a fixed length (only ${fileTasksWhere((i) => i.variableLength)} take --length)`);
  if (args.valFraction !== undefined && !info.carvesValidation) throw new UsageError(`--val-fraction: task ${task} has its own validation split (only ${fileTasksWhere((i) => i.carvesValidation)} and the built-in tasks take --val-fraction)`);
}

function fileTasksWhere(test: (info: (typeof FILE_TASKS)[FileTaskName]) => boolean): string {
  return (Object.keys(FILE_TASKS) as FileTaskName[]).filter((t) => test(FILE_TASKS[t])).join(', ');
}

function builtinDataset(task: (typeof BUILTIN_TASKS)[number], length?: number): data.Dataset {
  switch (task) {
    case 'smnist':
      return data.mnistTask(false);
    case 'psmnist':
      return data.mnistTask(true);
    case 'listops':
      return data.listopsTask({ maxLength: length ?? 512 });
    case 'copy':
      return data.copyTask({ L: length ?? 200 });
    case 'recall':
      return data.recallTask({ L: length ?? 200 });
  }
}

/** The validation seed of built-in tasks when --val-fraction carves one from train. */
const BUILTIN_VAL_SEED = 42;

/**
 * Opens the run's task: built-in data, or the file task's index (rows stay on disk), with the
 * --*-limit flags applied.
 * @throws DataError (from lc.data) for a missing or malformed file.
 */
export function loadTask(config: Pick<RunConfig, 'task' | 'dataDir' | 'length' | 'valFraction' | 'trainLimit' | 'valLimit' | 'testLimit'>): data.Task {
  let task: data.Task;
  if (isFileTask(config.task)) {
    task = FILE_TASKS[config.task].open({ dataDir: config.dataDir!, maxLength: config.length, valFraction: config.valFraction });
  } else {
    task = data.datasetTask(builtinDataset(config.task as (typeof BUILTIN_TASKS)[number], config.length));
    if (config.valFraction) task = { ...task, ...data.splitValidation(task.train, config.valFraction, BUILTIN_VAL_SEED, task.test) };
  }
  return {
    ...task,
    train: data.limit(task.train, config.trainLimit),
    val: task.valFrom === 'test' ? data.limit(task.val, config.testLimit) : data.limit(task.val, config.valLimit),
    test: data.limit(task.test, config.testLimit),
  };
}

/** Fills the settings an older config.json lacks with their values at the time. */
export function withDefaults(config: Partial<RunConfig> & Pick<RunConfig, 'task' | 'model'>): RunConfig {
  return { accumulate: 1, checkpointEvery: 0, ssmWeightDecay: 0, normWeightDecay: 0, tiedDropout: false, gradientClip: 1, norm: 'layer', pool: 'mean', ...config } as RunConfig;
}
