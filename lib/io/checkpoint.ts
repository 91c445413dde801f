// Checkpoints: a module's state dict in one safetensors file and, optionally, the optimizer's
// state in a second one next to it (`path + '.optim.safetensors'`).
import * as fs from 'fs';
import { Module } from '../nn/module';
import { AdamW, AdamWState } from '../optim/adamw';
import { dispose, Tensor } from '../tensor';
import { checkFilePath, checkOptions, describe, typeError } from '../validate';
import { loadTensors, saveTensors } from './safetensors';

/** Options of {@link save}. */
export interface SaveOptions {
  /** Also save this optimizer's state (moments and step) to `path + '.optim.safetensors'`. */
  optimizer?: AdamW;
  /** Strings stored in the module file's `__metadata__`. */
  metadata?: Record<string, string>;
}

/** Options of {@link load}. */
export interface LoadOptions {
  /** Also restore this optimizer's state from `path + '.optim.safetensors'`. */
  optimizer?: AdamW;
}

/** Where io.save puts the optimizer state of the checkpoint at `path`. */
export function optimizerPath(path: string): string {
  return `${checkFilePath(path)}.optim.safetensors`;
}

// Optimizer files hold m and v of each parameter as `m.<name>` and `v.<name>`, and the step
// count in the metadata.
const OPTIMIZER_FORMAT = 'longconv.AdamW';

/**
 * Saves `module.stateDict()` (parameters and buffers, by dotted name) to `path`, and with
 * `optimizer` its state to `path + '.optim.safetensors'`.
 * @throws TypeError for a non-module, an optimizer of another module or bad metadata.
 */
export function save(path: string, module: Module, options?: SaveOptions): void {
  if (!(module instanceof Module)) throw typeError('module', 'an nn.Module', describe(module));
  const opts = checkOptions<SaveOptions>(options, 'io.save options', ['optimizer', 'metadata']);
  const optimizer = checkOptimizer(opts.optimizer, module, 'io.save');
  saveTensors(path, module.stateDict(), opts.metadata);
  if (!optimizer) return;
  const state = optimizer.stateDict();
  const tensors: Record<string, Tensor> = {};
  for (const name of Object.keys(state.m)) {
    tensors[`m.${name}`] = state.m[name];
    tensors[`v.${name}`] = state.v[name];
  }
  saveTensors(optimizerPath(path), tensors, { format: OPTIMIZER_FORMAT, step: String(state.step) });
}

/**
 * Loads a checkpoint written by io.save into `module` (and `optimizer`). Both files are read and
 * every name and shape is checked before anything is written, so a mismatched checkpoint
 * changes nothing.
 * @returns the module file's metadata
 * @throws RangeError naming the missing, unexpected or mis-shaped tensors; Error for a file that
 *   is not valid safetensors or an optimizer file not written by io.save; TypeError for bad
 *   arguments.
 */
export function load(path: string, module: Module, options?: LoadOptions): Record<string, string> {
  if (!(module instanceof Module)) throw typeError('module', 'an nn.Module', describe(module));
  const opts = checkOptions<LoadOptions>(options, 'io.load options', ['optimizer']);
  const optimizer = checkOptimizer(opts.optimizer, module, 'io.load');
  const weights = loadTensors(path);
  let moments: Record<string, Tensor> = {};
  try {
    let state: AdamWState | undefined;
    if (optimizer) {
      const file = optimizerPath(path);
      if (!fs.existsSync(file)) throw new Error(`io.load: no optimizer state at '${file}'`);
      const loaded = loadTensors(file);
      moments = loaded.tensors;
      state = optimizerState(loaded.tensors, loaded.metadata, file);
      try {
        optimizer.checkStateDict(state);
      } catch (e) {
        if (e instanceof RangeError) throw new RangeError(`io.load: the optimizer state in '${file}' does not fit the module: ${e.message}`);
        throw e;
      }
    }
    module.loadStateDict(weights.tensors);
    if (optimizer && state) optimizer.loadStateDict(state);
    return weights.metadata;
  } finally {
    dispose(Object.values(weights.tensors));
    dispose(Object.values(moments));
  }
}

function checkOptimizer(optimizer: unknown, module: Module, fn: string): AdamW | undefined {
  if (optimizer === undefined) return undefined;
  if (!(optimizer instanceof AdamW)) throw typeError(`${fn} options.optimizer`, 'an optim.AdamW', describe(optimizer));
  if (optimizer.module !== module) throw typeError(`${fn} options.optimizer`, 'the optimizer of this module', 'the optimizer trains another module');
  return optimizer;
}

/** The AdamWState of an optimizer file's tensors and metadata. */
function optimizerState(tensors: Record<string, Tensor>, metadata: Record<string, string>, file: string): AdamWState {
  const step = Number(metadata.step);
  if (metadata.format !== OPTIMIZER_FORMAT || !/^\d+$/.test(metadata.step ?? '') || !Number.isSafeInteger(step)) {
    throw new Error(`io.load: '${file}' is not an optimizer state written by io.save (metadata ${JSON.stringify(metadata)})`);
  }
  const moments = (prefix: string) =>
    Object.fromEntries(Object.entries(tensors).filter(([key]) => key.startsWith(prefix)).map(([key, t]) => [key.slice(prefix.length), t]));
  const unexpected = Object.keys(tensors).filter((key) => !key.startsWith('m.') && !key.startsWith('v.'));
  if (unexpected.length) throw new RangeError(`io.load: '${file}' holds tensors that are not moments: ${unexpected.map((k) => `'${k}'`).join(', ')}`);
  return { step, m: moments('m.'), v: moments('v.') };
}
