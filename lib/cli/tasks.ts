// Tasks and models for `longconv train`: the datasets and paper-like defaults per model.
import * as data from '../data';
import type { ModelName, TaskName, TrainArgs } from './args';

export function loadTask(task: TaskName, length?: number): data.Dataset {
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

/** Everything needed to rebuild the run: written to config.json, read by --resume and eval. */
export interface RunConfig {
  task: TaskName;
  model: ModelName;
  length?: number;
  epochs: number;
  batch: number;
  dModel: number;
  layers: number;
  lr: number;
  ssmLr: number;
  weightDecay: number;
  dropout: number;
  seed: number;
  trainLimit?: number;
  testLimit?: number;
  /** Options of each layer (lc.nn layer constructors). */
  layer: Record<string, unknown>;
  prenorm: boolean;
}

// Per model: the layer options and training recipe of its paper's sequential-image runs,
// scaled where a CPU would otherwise take hours (documented in the README).
const MODEL_DEFAULTS: Record<ModelName, { layer: Record<string, unknown>; lr: number; ssmLr: number; dropout: number; prenorm: boolean }> = {
  s4d: { layer: { type: 's4d', dState: 64, init: 'lin', disc: 'zoh' }, lr: 0.01, ssmLr: 0.001, dropout: 0.1, prenorm: false },
  s4: { layer: { type: 's4', dState: 64, rank: 1 }, lr: 0.01, ssmLr: 0.001, dropout: 0.1, prenorm: false },
  sgconv: { layer: { type: 'sgconv', kernelDim: 32, decay: 2, initScale: 0 }, lr: 0.01, ssmLr: 0.001, dropout: 0.1, prenorm: false },
  multires: { layer: { type: 'multires', kernelSize: 2 }, lr: 0.005, ssmLr: 0.001, dropout: 0.1, prenorm: false },
};

const TASK_EPOCHS: Record<TaskName, number> = { smnist: 10, psmnist: 10, listops: 20, copy: 20, recall: 20 };

export function runConfig(args: TrainArgs): RunConfig {
  const m = MODEL_DEFAULTS[args.model];
  return {
    task: args.task,
    model: args.model,
    length: args.length,
    epochs: args.epochs ?? TASK_EPOCHS[args.task],
    batch: args.batch ?? 64,
    dModel: args.dModel ?? 128,
    layers: args.layers ?? 4,
    lr: args.lr ?? m.lr,
    ssmLr: Math.min(args.lr ?? m.ssmLr, m.ssmLr),
    weightDecay: args.weightDecay ?? 0.01,
    dropout: args.dropout ?? m.dropout,
    seed: args.seed,
    trainLimit: args.trainLimit,
    testLimit: args.testLimit,
    layer: { ...m.layer },
    prenorm: m.prenorm,
  };
}
