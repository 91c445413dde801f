// The papers' recipes as presets (`longconv train --preset NAME`), filled from their published
// configs. Every value that comes from a config carries a comment `// <key>: <value>` with the
// key and value as that config (or the file named before it) writes them; test/presets.test.ts
// checks each value against its comment. Explicit flags override a preset.
import type { ModelName, TaskName } from './args';

/** Training settings a preset fixes (the rest comes from the task, e.g. the vocabulary). */
export interface PresetValues {
  /** Epochs (trainer.max_epochs). */
  epochs: number;
  /** Examples per step on one device (loader.batch_size). */
  batch: number;
  /** Devices the paper trained on with that per-device batch (the effective batch is batch × devices). Default 1. */
  devices?: number;
  /** Residual blocks. */
  layers: number;
  /** Channels H. */
  dModel: number;
  /** Dropout of the blocks and layers. */
  dropout: number;
  /** One dropout mask per (example, channel), shared along the sequence (S4's tie_dropout, MultiresConv's Dropout1d). */
  tiedDropout: boolean;
  /** Normalise before each layer (and once after the last block). */
  prenorm: boolean;
  /** 'layer' or 'batch' normalisation over the channels. */
  norm: 'layer' | 'batch';
  /** Pooling over positions before the head. */
  pool: 'mean' | 'last';
  /** AdamW learning rate. */
  lr: number;
  /** AdamW weight decay. */
  weightDecay: number;
  /** Learning rate of the kernel/SSM parameters (no weight decay unless ssmWeightDecay), or 'main' for the main lr with weight decay (MultiresConv: one group). */
  ssmLr: number | 'main';
  /** Weight decay of the kernel/SSM parameters: 0 (default; S4's wd: 0.0) or 'main' (SGConv: its sub-kernels' _optim sets only their lr). */
  ssmWeightDecay?: 'main';
  /** Learning rate of S4's dt when it differs from ssmLr: 'main' = the main lr (S4's lr.dt: null), without weight decay. */
  dtLr?: 'main';
  /** S4/S4D's C at the SSM lr, with the main weight decay (a number as model.layer.lr sets every kernel parameter's lr, C's too). */
  cLr?: 'ssm';
  /** D with the main weight decay (the S4 repository's D is a plain parameter; longconv's group for D has none). */
  dWeightDecay?: 'main';
  /** Weight decay of biases, norms and D: 0 (the S4 repository's grouping) unless 'main' (every parameter decays: MultiresConv's one AdamW group, SGConv's ungrouped run). */
  normWeightDecay?: 0 | 'main';
  /** Linear warmup then cosine decay: warmup steps and total steps of the paper's schedule (the run keeps the warmup's share). */
  warmupSteps?: number;
  /** The paper's total steps (with warmupSteps). */
  totalSteps?: number;
  /** Warmup in epochs (MultiresConv's --warmup), when the schedule is given that way. */
  warmupEpochs?: number;
  /** Clip the gradients' global norm at this value; 0: no clipping. */
  gradientClip: number;
  /** The paper's seed. */
  seed: number;
  /** The longest sequence (dataset.l_max), for variable-length tasks. */
  maxLength?: number;
  /** The layer's own options (lc.nn layer option names). */
  layer: Record<string, unknown>;
}

/** A paper's recipe for one model on one task. */
export interface Preset {
  /** e.g. 's4-lra-listops'. */
  name: string;
  task: TaskName;
  model: ModelName;
  /** The published config: repository@commit and path (or script). */
  source: string;
  /** The test accuracy (%) the paper reports for this model on this task; null where it reports a failure (chance). */
  reported: number | null;
  /** Where that accuracy is printed. */
  reportedIn: string;
  values: PresetValues;
  /** What a run of this preset does differently from the published config, and why. */
  differences: string[];
}

const S4_REPO = 'state-spaces/s4@e757cef';
const SGCONV_REPO = 'ctlllll/SGConv@0c2b3ab (branch preview)';
const MULTIRES_REPO = 'thjashin/multires-conv@828089f';
// A difference from the published configs that every preset of the S4 and SGConv repositories shares.
const DROP_LAST = 'the last partial batch of an epoch trains too (the S4 repository\'s loader has drop_last: true)';
// The S4 repository's parameter groups (train.py with train.optimizer_param_grouping): AdamW
// decays D, a plain parameter, with optimizer.weight_decay (biases and norms do not decay).
const S4_PAPER = 'S4 paper (Gu et al., ICLR 2022, arXiv 2111.00396v3), LRA table (same numbers as the S4D paper\'s S4-LegS row)';
const S4D_PAPER = 'S4D paper (Gu et al., NeurIPS 2022, arXiv 2206.11893), LRA table, S4D-Lin row (average 78.39 with Path-X at chance)';
const SGCONV_PAPER = 'SGConv paper (Li et al. 2022, arXiv 2210.09298), Table 1 (LRA)';
const MULTIRES_PAPER = 'MultiresConv paper (Shi et al., ICML 2023, arXiv 2305.01638)';

// The S4 repository's LRA configs (configs/experiment/lra/s4-<name>.yaml); S4D runs them with
// the diagonal kernel (configs/model/layer/s4d.yaml: mode: diag, init: diag-lin).
type S4Lra = { file: string; task: TaskName; s4: number; s4d: number | null; values: PresetValues };
const S4_LRA: S4Lra[] = [
  {
    file: 'configs/experiment/lra/s4-listops.yaml', task: 'lra-listops', s4: 59.6, s4d: 60.52,
    values: {
      epochs: 40, // trainer.max_epochs: 40
      batch: 32, // loader.batch_size: 32
      layers: 6, // model.n_layers: 6
      dModel: 256, // model.d_model: 256
      dropout: 0, // model.dropout: 0.
      tiedDropout: false, // (model.dropout is 0)
      prenorm: false, // model.prenorm: false
      norm: 'batch', // model.norm: batch
      pool: 'mean', // decoder.mode: pool
      lr: 0.01, // optimizer.lr: 0.01
      weightDecay: 0.05, // optimizer.weight_decay: 0.05
      ssmLr: 0.001, // model.layer.lr.A: 0.001
      dtLr: 'main', // model.layer.lr.dt: null
      dWeightDecay: 'main', // (D is a plain parameter: train.py decays it with optimizer.weight_decay)
      warmupSteps: 12000, // scheduler.num_warmup_steps: 12000
      totalSteps: 120000, // scheduler.num_training_steps: 120000
      seed: 3333, // train.seed: 3333
      gradientClip: 0, // configs/trainer/default.yaml gradient_clip_val: null
      maxLength: 2048, // configs/dataset/listops.yaml l_max: 2048
      layer: {
        dState: 4, // model.layer.d_state: 4
        dtMin: 0.001, // model.layer.dt_min: 0.001
        dtMax: 0.1, // model.layer.dt_max: 0.1
        bidirectional: true, // model.layer.bidirectional: true
        dtTransform: 'softplus', // configs/model/layer/s4.yaml dt_transform: softplus
        nSsm: 1, // model.layer.n_ssm: 1
      },
    },
  },
  {
    file: 'configs/experiment/lra/s4-imdb.yaml', task: 'lra-text', s4: 86.82, s4d: 86.97,
    values: {
      epochs: 32, // trainer.max_epochs: 32
      batch: 16, // loader.batch_size: 16
      layers: 6, // model.n_layers: 6
      dModel: 256, // model.d_model: 256
      dropout: 0, // model.dropout: 0.0
      tiedDropout: false, // (model.dropout is 0)
      prenorm: true, // model.prenorm: true
      norm: 'batch', // model.norm: batch
      pool: 'mean', // decoder.mode: pool
      lr: 0.01, // optimizer.lr: 0.01
      weightDecay: 0.05, // optimizer.weight_decay: 0.05
      ssmLr: 0.001, // model.layer.lr.A: 0.001
      dtLr: 'main', // model.layer.lr.dt: null
      dWeightDecay: 'main', // (D is a plain parameter: train.py decays it with optimizer.weight_decay)
      warmupSteps: 5000, // scheduler.num_warmup_steps: 5000
      totalSteps: 50000, // scheduler.num_training_steps: 50000
      seed: 3333, // train.seed: 3333
      gradientClip: 0, // configs/trainer/default.yaml gradient_clip_val: null
      maxLength: 4096, // dataset.l_max: 4096
      layer: {
        dState: 4, // model.layer.d_state: 4
        dtMin: 0.001, // model.layer.dt_min: 0.001
        dtMax: 0.1, // model.layer.dt_max: 0.1
        bidirectional: true, // model.layer.bidirectional: true
        dtTransform: 'softplus', // configs/model/layer/s4.yaml dt_transform: softplus
        nSsm: 1, // model.layer.n_ssm: 1
      },
    },
  },
  {
    file: 'configs/experiment/lra/s4-aan.yaml', task: 'lra-retrieval', s4: 90.9, s4d: 90.96,
    values: {
      epochs: 20, // trainer.max_epochs: 20
      batch: 64, // loader.batch_size: 64
      layers: 6, // model.n_layers: 6
      dModel: 256, // model.d_model: 256
      dropout: 0, // model.dropout: 0.
      tiedDropout: false, // (model.dropout is 0)
      prenorm: true, // model.prenorm: true
      norm: 'batch', // model.norm: batch
      pool: 'mean', // decoder.mode: pool
      lr: 0.01, // optimizer.lr: 0.01
      weightDecay: 0.05, // optimizer.weight_decay: 0.05
      ssmLr: 0.001, // model.layer.lr.A: 0.001
      dtLr: 'main', // model.layer.lr.dt: null
      dWeightDecay: 'main', // (D is a plain parameter: train.py decays it with optimizer.weight_decay)
      warmupSteps: 5000, // scheduler.num_warmup_steps: 5000
      totalSteps: 50000, // scheduler.num_training_steps: 50000
      seed: 3333, // train.seed: 3333
      gradientClip: 0, // configs/trainer/default.yaml gradient_clip_val: null
      maxLength: 4000, // configs/dataset/aan.yaml l_max: 4000
      layer: {
        dState: 4, // model.layer.d_state: 4
        dtMin: 0.001, // model.layer.dt_min: 0.001
        dtMax: 0.1, // model.layer.dt_max: 0.1
        bidirectional: true, // model.layer.bidirectional: true
        dtTransform: 'softplus', // configs/model/layer/s4.yaml dt_transform: softplus
        nSsm: 1, // model.layer.n_ssm: 1
      },
    },
  },
  {
    file: 'configs/experiment/lra/s4-cifar.yaml', task: 'lra-image', s4: 88.65, s4d: 87.93,
    values: {
      epochs: 200, // trainer.max_epochs: 200
      batch: 50, // loader.batch_size: 50
      layers: 6, // model.n_layers: 6
      dModel: 512, // model.d_model: 512
      dropout: 0.1, // model.dropout: 0.1
      tiedDropout: true, // model.tie_dropout: true
      prenorm: false, // model.prenorm: false
      norm: 'batch', // model.norm: batch
      pool: 'mean', // configs/pipeline/cifar.yaml mode: pool
      lr: 0.01, // optimizer.lr: 0.01
      weightDecay: 0.05, // optimizer.weight_decay: 0.05
      ssmLr: 0.001, // model.layer.lr: 0.001
      cLr: 'ssm', // (model.layer.lr is a number: the kernel registers C with it too)
      dWeightDecay: 'main', // (D is a plain parameter: train.py decays it with optimizer.weight_decay)
      warmupSteps: 18000, // scheduler.num_warmup_steps: 18000
      totalSteps: 180000, // scheduler.num_training_steps: 180000
      seed: 2222, // train.seed: 2222
      gradientClip: 0, // configs/trainer/default.yaml gradient_clip_val: null
      layer: {
        dState: 64, // model.layer.d_state: 64
        dtMin: 0.001, // model.layer.dt_min: 0.001
        dtMax: 0.1, // model.layer.dt_max: 0.1
        bidirectional: true, // model.layer.bidirectional: true
        dtTransform: 'softplus', // configs/model/layer/s4.yaml dt_transform: softplus
        nSsm: 1, // model.layer.n_ssm: 1
      },
    },
  },
  {
    file: 'configs/experiment/lra/s4-pathfinder.yaml', task: 'lra-pathfinder', s4: 94.2, s4d: 93.96,
    values: {
      epochs: 200, // trainer.max_epochs: 200
      batch: 64, // loader.batch_size: 64
      layers: 6, // model.n_layers: 6
      dModel: 256, // model.d_model: 256
      dropout: 0, // model.dropout: 0.0
      tiedDropout: false, // (model.dropout is 0)
      prenorm: true, // model.prenorm: true
      norm: 'batch', // model.norm: batch
      pool: 'mean', // decoder.mode: pool
      lr: 0.004, // optimizer.lr: 0.004
      weightDecay: 0.05, // optimizer.weight_decay: 0.05
      ssmLr: 0.001, // model.layer.lr: 0.001
      cLr: 'ssm', // (model.layer.lr is a number: the kernel registers C with it too)
      dWeightDecay: 'main', // (D is a plain parameter: train.py decays it with optimizer.weight_decay)
      warmupSteps: 50000, // scheduler.num_warmup_steps: 50000
      totalSteps: 500000, // scheduler.num_training_steps: 500000
      seed: 3333, // train.seed: 3333
      gradientClip: 0, // configs/trainer/default.yaml gradient_clip_val: null
      layer: {
        dState: 64, // model.layer.d_state: 64
        dtMin: 0.001, // model.layer.dt_min: 0.001
        dtMax: 0.1, // model.layer.dt_max: 0.1
        bidirectional: true, // model.layer.bidirectional: true
        dtTransform: 'softplus', // configs/model/layer/s4.yaml dt_transform: softplus
        // model.layer.n_ssm: null, i.e. H: every feature its own SSM (nSsm's default)
      },
    },
  },
  {
    file: 'configs/experiment/lra/s4-pathx.yaml', task: 'lra-pathx', s4: 96.35, s4d: null,
    values: {
      epochs: 50, // trainer.max_epochs: 50
      batch: 16, // loader.batch_size: 16
      layers: 6, // model.n_layers: 6
      dModel: 256, // model.d_model: 256
      dropout: 0, // model.dropout: 0.
      tiedDropout: false, // (model.dropout is 0)
      prenorm: true, // model.prenorm: true
      norm: 'batch', // model.norm: batch
      pool: 'mean', // configs/pipeline/cifar.yaml mode: pool
      lr: 0.001, // optimizer.lr: 0.001
      weightDecay: 0.05, // optimizer.weight_decay: 0.05
      ssmLr: 0.001, // model.layer.lr: 0.001
      cLr: 'ssm', // (model.layer.lr is a number: the kernel registers C with it too)
      dWeightDecay: 'main', // (D is a plain parameter: train.py decays it with optimizer.weight_decay)
      warmupSteps: 50000, // scheduler.num_warmup_steps: 50000
      totalSteps: 500000, // scheduler.num_training_steps: 500000
      seed: 3333, // train.seed: 3333
      gradientClip: 0, // configs/trainer/default.yaml gradient_clip_val: null
      layer: {
        dState: 64, // model.layer.d_state: 64
        dtMin: 0.0001, // model.layer.dt_min: 0.0001
        dtMax: 0.1, // model.layer.dt_max: 0.1
        bidirectional: true, // model.layer.bidirectional: true
        dtTransform: 'softplus', // configs/model/layer/s4.yaml dt_transform: softplus
        // model.layer.n_ssm: null, i.e. H: every feature its own SSM (nSsm's default)
      },
    },
  },
];

// The SGConv configs (configs/experiment/lra/gconv-lra-<name>.yaml): the S4 backbone with the
// GConv layer; unset scheduler warmups are configs/scheduler/cosine_warmup.yaml's 1000. Its
// configs/config.yaml sets no train.optimizer_param_grouping, so train.py decays every
// parameter with optimizer.weight_decay, the sub-kernels included (their _optim sets only lr).
type SgconvLra = { file: string; task: TaskName; reported: number; values: PresetValues };
const SGCONV_LRA: SgconvLra[] = [
  {
    file: 'configs/experiment/lra/gconv-lra-listops.yaml', task: 'lra-listops', reported: 61.45,
    values: {
      epochs: 40, // trainer.max_epochs: 40
      batch: 50, // loader.batch_size: 50
      layers: 8, // model.n_layers: 8
      dModel: 128, // model.d_model: 128
      dropout: 0, // model.dropout: 0.
      tiedDropout: false, // (model.dropout is 0)
      prenorm: false, // model.prenorm: false
      norm: 'batch', // model.norm: batch
      pool: 'mean', // decoder.mode: pool
      lr: 0.01, // optimizer.lr: 0.01
      weightDecay: 0.05, // optimizer.weight_decay: 0.05
      ssmLr: 0.001, // model.layer.lr: 0.001
      ssmWeightDecay: 'main', // (the sub-kernels' _optim sets only lr: optimizer.weight_decay applies)
      normWeightDecay: 'main', // (no train.optimizer_param_grouping: biases, norms and D decay)
      warmupSteps: 1000, // configs/scheduler/cosine_warmup.yaml num_warmup_steps: 1000
      totalSteps: 80000, // scheduler.num_training_steps: 80000
      seed: 2222, // train.seed: 2222
      gradientClip: 0, // configs/trainer/default.yaml gradient_clip_val: 0.0
      maxLength: 2048, // configs/dataset/listops.yaml l_max: 2048
      layer: {
        kernelDim: 1, // model.layer.kernel_dim: 1
        decay: 2, // model.layer.decay_max: 2
        bidirectional: true, // model.layer.bidirectional: true
        glu: true, // model.layer.postact: glu
        init: 'randn', // model.layer.mode: cat_randn
      },
    },
  },
  {
    file: 'configs/experiment/lra/gconv-lra-imdb.yaml', task: 'lra-text', reported: 89.2,
    values: {
      epochs: 32, // trainer.max_epochs: 32
      batch: 16, // loader.batch_size: 16
      layers: 6, // model.n_layers: 6
      dModel: 256, // model.d_model: 256
      dropout: 0, // model.dropout: 0.0
      tiedDropout: false, // (model.dropout is 0)
      prenorm: true, // model.prenorm: true
      norm: 'batch', // model.norm: batch
      pool: 'mean', // decoder.mode: pool
      lr: 0.01, // optimizer.lr: 0.01
      weightDecay: 0.05, // optimizer.weight_decay: 0.05
      ssmLr: 0.001, // model.layer.lr: 0.001
      ssmWeightDecay: 'main', // (the sub-kernels' _optim sets only lr: optimizer.weight_decay applies)
      normWeightDecay: 'main', // (no train.optimizer_param_grouping: biases, norms and D decay)
      warmupSteps: 1000, // configs/scheduler/cosine_warmup.yaml num_warmup_steps: 1000
      totalSteps: 50000, // scheduler.num_training_steps: 50000
      seed: 2222, // train.seed: 2222
      gradientClip: 0, // configs/trainer/default.yaml gradient_clip_val: 0.0
      maxLength: 4096, // dataset.l_max: 4096
      layer: {
        kernelDim: 2, // model.layer.kernel_dim: 2
        decay: 2, // model.layer.decay_max: 2
        bidirectional: true, // model.layer.bidirectional: true
        glu: true, // model.layer.postact: glu
        init: 'randn', // model.layer.mode: cat_randn
      },
    },
  },
  {
    file: 'configs/experiment/lra/gconv-lra-aan.yaml', task: 'lra-retrieval', reported: 91.11,
    values: {
      epochs: 20, // trainer.max_epochs: 20
      batch: 32, // loader.batch_size: 32
      devices: 2, // trainer.gpus: 2
      layers: 6, // model.n_layers: 6
      dModel: 256, // model.d_model: 256
      dropout: 0, // model.dropout: 0.
      tiedDropout: false, // (model.dropout is 0)
      prenorm: true, // model.prenorm: true
      norm: 'batch', // model.norm: batch
      pool: 'mean', // configs/pipeline/aan.yaml mode: pool
      lr: 0.01, // optimizer.lr: 0.01
      weightDecay: 0.05, // optimizer.weight_decay: 0.05
      ssmLr: 0.001, // model.layer.lr: 0.001
      ssmWeightDecay: 'main', // (the sub-kernels' _optim sets only lr: optimizer.weight_decay applies)
      normWeightDecay: 'main', // (no train.optimizer_param_grouping: biases, norms and D decay)
      warmupSteps: 2500, // scheduler.num_warmup_steps: 2500
      totalSteps: 50000, // scheduler.num_training_steps: 50000
      seed: 2222, // train.seed: 2222
      gradientClip: 0, // configs/trainer/default.yaml gradient_clip_val: 0.0
      maxLength: 4000, // configs/dataset/aan.yaml l_max: 4000
      layer: {
        kernelDim: 1, // model.layer.kernel_dim: 1
        decay: 2, // model.layer.decay_max: 2
        bidirectional: true, // model.layer.bidirectional: true
        glu: true, // model.layer.postact: glu
        init: 'randn', // model.layer.mode: cat_randn
      },
    },
  },
  {
    file: 'configs/experiment/lra/gconv-lra-cifar.yaml', task: 'lra-image', reported: 87.97,
    values: {
      epochs: 200, // trainer.max_epochs: 200
      batch: 50, // loader.batch_size: 50
      layers: 6, // model.n_layers: 6
      dModel: 512, // model.d_model: 512
      dropout: 0.2, // model.dropout: 0.2
      tiedDropout: true, // model.tie_dropout: true
      prenorm: false, // model.prenorm: false
      norm: 'layer', // model.norm: layer
      pool: 'mean', // configs/pipeline/cifar.yaml mode: pool
      lr: 0.01, // optimizer.lr: 0.01
      weightDecay: 0.05, // optimizer.weight_decay: 0.05
      ssmLr: 0.001, // model.layer.lr: 0.001
      ssmWeightDecay: 'main', // (the sub-kernels' _optim sets only lr: optimizer.weight_decay applies)
      normWeightDecay: 'main', // (no train.optimizer_param_grouping: biases, norms and D decay)
      warmupSteps: 1000, // configs/scheduler/cosine_warmup.yaml num_warmup_steps: 1000
      totalSteps: 200000, // scheduler.num_training_steps: 200000
      seed: 2222, // train.seed: 2222
      gradientClip: 0, // configs/trainer/default.yaml gradient_clip_val: 0.0
      layer: {
        kernelDim: 32, // model.layer.kernel_dim: 32
        decay: 1, // (model.layer.mode: cat_randn_learnable_fixed fixes the multiplier at 1)
        powerDecay: [1, 1], // model.layer.decay_min: 1, decay_max: 1
        bidirectional: true, // model.layer.bidirectional: true
        glu: true, // model.layer.postact: glu
        init: 'randn', // model.layer.mode: cat_randn_learnable_fixed
        lMax: 1024, // model.layer.l_max: 1024
      },
    },
  },
  {
    file: 'configs/experiment/lra/gconv-lra-pathfinder.yaml', task: 'lra-pathfinder', reported: 95.46,
    values: {
      epochs: 200, // trainer.max_epochs: 200
      batch: 64, // loader.batch_size: 64
      layers: 6, // model.n_layers: 6
      dModel: 256, // model.d_model: 256
      dropout: 0.2, // model.dropout: 0.2
      tiedDropout: false, // configs/model/base.yaml tie_dropout: false
      prenorm: true, // model.prenorm: true
      norm: 'batch', // model.norm: batch
      pool: 'last', // decoder.mode: last
      lr: 0.004, // optimizer.lr: 0.004
      weightDecay: 0.03, // optimizer.weight_decay: 0.03
      ssmLr: 0.001, // model.layer.lr: 0.001
      ssmWeightDecay: 'main', // (the sub-kernels' _optim sets only lr: optimizer.weight_decay applies)
      normWeightDecay: 'main', // (no train.optimizer_param_grouping: biases, norms and D decay)
      warmupSteps: 2500, // scheduler.num_warmup_steps: 2500
      totalSteps: 500000, // scheduler.num_training_steps: 500000
      seed: 2222, // train.seed: 2222
      gradientClip: 0, // configs/trainer/default.yaml gradient_clip_val: 0.0
      layer: {
        kernelDim: 32, // model.layer.kernel_dim: 32
        decay: 2, // model.layer.decay_max: 2
        bidirectional: true, // model.layer.bidirectional: true
        glu: true, // model.layer.postact: glu
        init: 'randn', // model.layer.mode: cat_randn
      },
    },
  },
  {
    file: 'configs/experiment/lra/gconv-lra-pathx.yaml', task: 'lra-pathx', reported: 97.83,
    values: {
      epochs: 50, // trainer.max_epochs: 50
      batch: 16, // loader.batch_size: 16
      devices: 4, // trainer.gpus: 4
      layers: 6, // model.n_layers: 6
      dModel: 256, // model.d_model: 256
      dropout: 0, // model.dropout: 0.0
      tiedDropout: false, // (model.dropout is 0)
      prenorm: true, // model.prenorm: true
      norm: 'batch', // model.norm: batch
      pool: 'mean', // configs/pipeline/cifar.yaml mode: pool
      lr: 0.004, // optimizer.lr: 0.004
      weightDecay: 0.03, // optimizer.weight_decay: 0.03
      ssmLr: 0.001, // model.layer.lr: 0.001
      ssmWeightDecay: 'main', // (the sub-kernels' _optim sets only lr: optimizer.weight_decay applies)
      normWeightDecay: 'main', // (no train.optimizer_param_grouping: biases, norms and D decay)
      warmupSteps: 10000, // scheduler.num_warmup_steps: 10000
      totalSteps: 125000, // scheduler.num_training_steps: 125000
      seed: 2222, // train.seed: 2222
      gradientClip: 0, // configs/trainer/default.yaml gradient_clip_val: 0.0
      layer: {
        kernelDim: 64, // model.layer.kernel_dim: 64
        decay: [1, 3], // model.layer.decay_min: 1, decay_max: 3
        initScale: 1, // model.layer.init_scale: 1
        bidirectional: true, // model.layer.bidirectional: true
        glu: true, // model.layer.postact: glu
        init: 'cos', // model.layer.mode: cat_cos
      },
    },
  },
];

// What configs/model/layer/s4d.yaml changes in the S4 layer: the diagonal kernel SSMKernelDiag,
// which trains B (registered with the SSM lr, like A).
const S4D_LAYER = {
  init: 'lin', // configs/model/layer/s4d.yaml init: diag-lin
  trainB: true, // (SSMKernelDiag registers B as a trained parameter)
};
// The LRA experiment configs also set model.layer.init: legs, which a Hydra run with
// model/layer=s4d would let override s4d.yaml's diag-lin; the S4D papers' LRA row is S4D-Lin.
const S4D_INIT = 'init is S4D-Lin (configs/model/layer/s4d.yaml init: diag-lin, the S4D paper\'s LRA row); composed by Hydra, the experiment\'s model.layer.init: legs would make it S4D-LegS';

const s4Presets: Preset[] = S4_LRA.flatMap(({ file, task, s4, s4d, values }) => [
  { name: `s4-${task}`, task, model: 's4' as const, source: `${S4_REPO} ${file}`, reported: s4, reportedIn: S4_PAPER, values, differences: [DROP_LAST] },
  {
    name: `s4d-${task}`, task, model: 's4d' as const, source: `${S4_REPO} ${file} with configs/model/layer/s4d.yaml`, reported: s4d, reportedIn: S4D_PAPER,
    values: { ...values, layer: { ...values.layer, ...S4D_LAYER } }, differences: [S4D_INIT, DROP_LAST],
  },
]);

/** Every preset, by name. */
export const PRESETS: Preset[] = [
  ...s4Presets,
  {
    name: 's4-scifar', task: 'scifar', model: 's4', source: `${S4_REPO} configs/experiment/cifar/s4-cifar.yaml`, reported: 91.13, reportedIn: 'S4 paper (Gu et al., ICLR 2022), sequential CIFAR table',
    differences: [DROP_LAST],
    values: {
      epochs: 200, // trainer.max_epochs: 200
      batch: 50, // loader.batch_size: 50
      layers: 6, // model.n_layers: 6
      dModel: 512, // model.d_model: 512
      dropout: 0.1, // model.dropout: 0.1
      tiedDropout: true, // model.tie_dropout: true
      prenorm: false, // model.prenorm: false
      norm: 'layer', // configs/model/base.yaml norm: layer
      pool: 'mean', // configs/pipeline/cifar.yaml mode: pool
      lr: 0.01, // optimizer.lr: 0.01
      weightDecay: 0.05, // optimizer.weight_decay: 0.05
      ssmLr: 0.001, // configs/model/layer/s4.yaml lr.A: 0.001
      dWeightDecay: 'main', // (D is a plain parameter: train.py decays it with optimizer.weight_decay)
      warmupSteps: 900, // scheduler.num_warmup_steps: 900
      totalSteps: 180000, // scheduler.num_training_steps: 180000
      seed: 2222, // train.seed: 2222
      gradientClip: 0, // configs/trainer/default.yaml gradient_clip_val: null
      layer: {
        dState: 64, // configs/model/layer/s4.yaml d_state: 64
        dtMin: 0.001, // configs/model/layer/s4.yaml dt_min: 0.001
        dtMax: 0.1, // configs/model/layer/s4.yaml dt_max: 0.1
        bidirectional: true, // model.layer.bidirectional: true
        dtTransform: 'softplus', // configs/model/layer/s4.yaml dt_transform: softplus
        nSsm: 2, // model.layer.n_ssm: 2
      },
    },
  },
  {
    name: 's4d-scifar', task: 'scifar', model: 's4d', source: `${S4_REPO} configs/experiment/cifar/s4d-minimal-cifar.yaml`, reported: 88, reportedIn: 'the S4 repository\'s README (models/s4/README.md: the minimal S4D reaches 88% on sequential CIFAR)',
    differences: [DROP_LAST],
    values: {
      epochs: 100, // trainer.max_epochs: 100
      batch: 50, // loader.batch_size: 50
      layers: 4, // model.n_layers: 4
      dModel: 128, // model.d_model: 128
      dropout: 0.1, // model.dropout: 0.1
      tiedDropout: true, // model.tie_dropout: true
      prenorm: false, // model.prenorm: false
      norm: 'layer', // configs/model/base.yaml norm: layer
      pool: 'mean', // configs/pipeline/cifar.yaml mode: pool
      lr: 0.01, // optimizer.lr: 0.01
      weightDecay: 0.01, // optimizer.weight_decay: 0.01
      ssmLr: 0.001, // model.layer.lr: 0.001
      dWeightDecay: 'main', // (models/s4/s4d.py's D is a plain parameter: train.py decays it with optimizer.weight_decay)
      warmupSteps: 1000, // configs/scheduler/cosine_warmup.yaml num_warmup_steps: 1000
      totalSteps: 90000, // scheduler.num_training_steps: 90000
      seed: 1111, // train.seed: 1111
      gradientClip: 0, // configs/trainer/default.yaml gradient_clip_val: null
      layer: {
        dState: 64, // model.layer.d_state: 64
        dtMin: 0.001, // configs/model/layer/s4d_example.yaml dt_min: 0.001
        dtMax: 0.1, // configs/model/layer/s4d_example.yaml dt_max: 0.1
        bidirectional: false, // (the minimal S4D is causal)
        init: 'lin', // (the minimal S4D is S4D-Lin)
        // (dt = exp(log_dt), one SSM per feature, B = 1: the minimal S4D, models/s4/s4d.py)
      },
    },
  },
  ...SGCONV_LRA.map(({ file, task, reported, values }) => ({
    name: `sgconv-${task}`, task, model: 'sgconv' as const, source: `${SGCONV_REPO} ${file}`, reported, reportedIn: SGCONV_PAPER, values,
    differences: [...(values.devices ? [`trainer.gpus: ${values.devices} with loader.batch_size ${values.batch} each: one device here with the batch of all (${values.devices * values.batch}); batch norm sees all of it`] : []), DROP_LAST],
  })),
  {
    name: 'multires-scifar', task: 'scifar', model: 'multires', source: `${MULTIRES_REPO} scripts/seq_cifar.sh (defaults: classification.py)`, reported: 93.15, reportedIn: `${MULTIRES_PAPER}, sequential CIFAR-10 table`,
    differences: ['the scifar task normalises by the S4 repository\'s std (0.247, 0.243, 0.261); classification.py uses (0.2023, 0.1994, 0.2010)'],
    values: {
      epochs: 250, // --epochs: 250
      batch: 50, // --batch_size: 50
      layers: 10, // --n_layers: 10
      dModel: 256, // --d_model: 256
      dropout: 0.25, // --dropout: 0.25
      tiedDropout: true, // (nn.Dropout1d)
      prenorm: false, // (post-norm blocks)
      norm: 'layer', // (--batchnorm not given)
      pool: 'mean', // (masked mean pooling)
      lr: 0.0045, // --lr: 0.0045
      weightDecay: 0.01, // classification.py --weight_decay: 0.01
      ssmLr: 'main', // (one AdamW group)
      normWeightDecay: 'main', // (one AdamW group)
      warmupEpochs: 0, // classification.py --warmup: 0
      seed: 1, // classification.py --seed: 1
      gradientClip: 0, // (classification.py does not clip)
      layer: {
        kernelSize: 2, // classification.py --kernel_size: 2
      },
    },
  },
  {
    name: 'multires-lra-listops', task: 'lra-listops', model: 'multires', source: `${MULTIRES_REPO} scripts/listops.sh (defaults: classification.py)`, reported: 62.75, reportedIn: `${MULTIRES_PAPER}, ListOps table`,
    differences: ['batches are padded to their longest row (classification.py pads every batch to 2,048, so batch norm also sees that padding)'],
    values: {
      epochs: 100, // --epochs: 100
      batch: 50, // --batch_size: 50
      layers: 10, // --n_layers: 10
      dModel: 128, // --d_model: 128
      dropout: 0.1, // --dropout: 0.1
      tiedDropout: true, // (nn.Dropout1d)
      prenorm: false, // (post-norm blocks)
      norm: 'batch', // (--batchnorm)
      pool: 'mean', // (masked mean pooling)
      lr: 0.003, // --lr: 0.003
      weightDecay: 0.03, // --weight_decay: 0.03
      ssmLr: 'main', // (one AdamW group)
      normWeightDecay: 'main', // (one AdamW group)
      warmupEpochs: 1, // --warmup: 1
      seed: 1, // classification.py --seed: 1
      gradientClip: 0, // (classification.py does not clip)
      maxLength: 2048, // dataloaders/lra.py l_max: 2048
      layer: {
        kernelSize: 4, // --kernel_size: 4
        independentSkipInit: true, // (--indep_res_init)
      },
    },
  },
];

/** The preset called `name`, or undefined. */
export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}
