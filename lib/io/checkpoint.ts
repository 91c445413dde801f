// Checkpoints: a module's state dict in one safetensors file and, with an optimizer, its state
// in a second file next to it, committed as one unit. The optimizer file is named by the digest
// of its contents (`<path>.optim.<id>.safetensors`: a new state gets a new name) and is written
// first; the module file, written last, names it and carries the same id. Renaming the module
// file into place is the commit: a kill before it leaves the previous checkpoint (whose
// optimizer file is untouched), after it the new one; the previous optimizer file is removed
// after the commit (or by the next save). Both writes are atomic and durable (lib/io/files.ts).
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as nodePath from 'path';
import { Module } from '../nn/module';
import { AdamW, AdamWState } from '../optim/adamw';
import { dispose, Tensor } from '../tensor';
import { checkFilePath, checkOptions, describe, typeError } from '../validate';
import { writeTarget } from './files';
import { CheckpointMismatchError } from './pytorch';
import { loadTensors, readMetadata, saveTensors } from './safetensors';
import { CheckpointError } from './torch_file';

/** Options of {@link save}. */
export interface SaveOptions {
  /** Also save this optimizer's state (moments and step), as one unit with the module's (see {@link save}). */
  optimizer?: AdamW;
  /** Strings stored in the module file's `__metadata__` (keys starting with 'longconv.' are reserved). */
  metadata?: Record<string, string>;
}

/** Options of {@link load}. */
export interface LoadOptions {
  /** Also restore this optimizer's state, which must have been saved with the module's. */
  optimizer?: AdamW;
}


// Metadata keys of the checkpoint itself, beside the user's.
const RESERVED = 'longconv.';
const ID_KEY = 'longconv.checkpoint'; // in both files: the save they come from
const OPTIMIZER_KEY = 'longconv.optimizer'; // in the module file: its optimizer file's name
// Optimizer files hold m and v of each parameter as `m.<name>` and `v.<name>`, the step count
// and the format in the metadata.
const OPTIMIZER_FORMAT = 'longconv.AdamW';

/**
 * The optimizer file of the checkpoint at `path` (read from its header), or undefined when the
 * checkpoint was saved without an optimizer.
 */
export function optimizerPath(path: string): string | undefined {
  const name = readMetadata(path)[OPTIMIZER_KEY];
  return name === undefined ? undefined : optimizerFileOf(path, name);
}

/**
 * Saves `module.stateDict()` (parameters and buffers, by dotted name) to `path`, and with
 * `optimizer` its state to a file next to it, as one unit: a kill or power loss at any moment
 * leaves the previous complete checkpoint or the new complete one, never the module of one save
 * with the optimizer state of another, and no temporary file once the next save is done. The
 * module file alone is an ordinary safetensors file of the state dict. A symbolic link at
 * `path` is followed (its target is updated).
 * @throws TypeError for a non-module, an optimizer of another module, bad or reserved metadata,
 *   or a path that is not a regular file; Error with code ERR_LONGCONV_OUT_OF_MEMORY when host
 *   memory for the copies runs out; file-system errors as thrown.
 */
export function save(path: string, module: Module, options?: SaveOptions): void {
  if (!(module instanceof Module)) throw typeError('module', 'an nn.Module', describe(module));
  const opts = checkOptions<SaveOptions>(options, 'io.save options', ['optimizer', 'metadata']);
  const optimizer = checkOptimizer(opts.optimizer, module, 'io.save');
  for (const key of Object.keys(opts.metadata ?? {})) {
    if (key.startsWith(RESERVED)) throw typeError(`io.save options.metadata['${key}']`, `a key not starting with '${RESERVED}' (reserved)`, `'${key}'`);
  }
  checkFilePath(path);
  const target = writeTarget(path);
  const own: Record<string, string> = {};
  let optimizerFile: string | undefined;
  if (optimizer) {
    const state = optimizer.stateDict();
    const tensors: Record<string, Tensor> = {};
    for (const name of Object.keys(state.m)) {
      tensors[`m.${name}`] = state.m[name];
      tensors[`v.${name}`] = state.v[name];
    }
    const id = digestOf(state.step, tensors);
    optimizerFile = `${target}.optim.${id}.safetensors`;
    saveTensors(optimizerFile, tensors, { format: OPTIMIZER_FORMAT, step: String(state.step), [ID_KEY]: id });
    Object.assign(own, { [ID_KEY]: id, [OPTIMIZER_KEY]: nodePath.basename(optimizerFile) });
  }
  saveTensors(target, module.stateDict(), { ...opts.metadata, ...own }); // the commit
  removeStaleFiles(target, optimizerFile);
}

// The id of an optimizer state: its digest (so identical runs write identical checkpoints).
function digestOf(step: number, tensors: Record<string, Tensor>): string {
  const hash = createHash('sha256').update(`step ${step}\n`);
  for (const [name, t] of Object.entries(tensors)) {
    const values = t.toFloat32Array();
    hash.update(`${name} ${t.shape.join(',')}\n`).update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex').slice(0, 16);
}

// Optimizer files of earlier saves to `target` (also from before ids, `<target>.optim.safetensors`)
// and temporary files of killed saves: none belongs to the checkpoint just committed.
function removeStaleFiles(target: string, keep: string | undefined): void {
  const dir = nodePath.dirname(target);
  const base = nodePath.basename(target);
  for (const entry of fs.readdirSync(dir)) {
    const stale = (entry.startsWith(`${base}.optim.`) && entry !== (keep && nodePath.basename(keep))) || entry === `${base}.tmp`;
    if (stale) fs.rmSync(nodePath.join(dir, entry), { force: true });
  }
}

/**
 * Loads a checkpoint written by io.save into `module` (and `optimizer`). Both files are read and
 * checked before anything is written, so a mismatched checkpoint changes nothing: every name and
 * shape, that the optimizer state was saved together with the module file, and that its moments
 * are finite (second moments non-negative).
 * @returns the module file's metadata (the strings given to io.save)
 * @throws RangeError naming the missing, unexpected or mis-shaped tensors; Error with code
 *   ERR_LONGCONV_CHECKPOINT_MISMATCH (a CheckpointMismatchError, a RangeError) when an optimizer
 *   state is asked for and the checkpoint has none, or the optimizer file belongs to another
 *   save; CheckpointError (code ERR_LONGCONV_CHECKPOINT) for an optimizer file io.save cannot
 *   have written (bad format or step, negative or non-finite moments); Error with code
 *   ERR_LONGCONV_INVALID_SAFETENSORS for a file that is not valid safetensors; TypeError for bad
 *   arguments or a path that is not a regular file.
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
      const loaded = loadOptimizerFile(path, weights.metadata);
      moments = loaded.tensors;
      state = optimizerState(loaded.tensors, loaded.metadata, loaded.file);
      try {
        optimizer.checkStateDict(state);
      } catch (e) {
        if (e instanceof RangeError) throw new RangeError(`io.load: the optimizer state in '${loaded.file}' does not fit the module: ${e.message}`);
        throw e;
      }
    }
    module.loadStateDict(weights.tensors);
    if (optimizer && state) optimizer.loadStateDict(state);
    return Object.fromEntries(Object.entries(weights.metadata).filter(([key]) => !key.startsWith(RESERVED)));
  } finally {
    dispose(Object.values(weights.tensors));
    dispose(Object.values(moments));
  }
}

function optimizerFileOf(path: string, name: string): string {
  if (nodePath.basename(name) !== name) throw new CheckpointError(`io.load: '${path}' names an optimizer file outside its directory ('${name}')`);
  return nodePath.join(nodePath.dirname(writeTarget(path)), name);
}

// The optimizer file that the module file at `path` (with `metadata`) was saved with, read and
// checked to come from the same save.
function loadOptimizerFile(path: string, metadata: Record<string, string>): { file: string; tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const name = metadata[OPTIMIZER_KEY];
  if (name === undefined) {
    const legacy = `${path}.optim.safetensors`;
    const why = fs.existsSync(legacy)
      ? `'${legacy}' was written by an older longconv without a checkpoint id, so nothing tells whether it belongs with the module file (load the module alone, without options.optimizer)`
      : 'it was saved without options.optimizer';
    throw new CheckpointMismatchError(`io.load: '${path}' holds no optimizer state: ${why}`);
  }
  const file = optimizerFileOf(path, name);
  if (!fs.existsSync(file)) throw new CheckpointMismatchError(`io.load: the optimizer state of '${path}' is missing ('${file}' does not exist; it must be copied along with the module file)`);
  const loaded = loadTensors(file);
  if (loaded.metadata[ID_KEY] !== metadata[ID_KEY]) {
    dispose(Object.values(loaded.tensors));
    throw new CheckpointMismatchError(`io.load: '${file}' belongs to another save than '${path}' (checkpoint ${JSON.stringify(loaded.metadata[ID_KEY] ?? null)}, the module file's is ${JSON.stringify(metadata[ID_KEY] ?? null)})`);
  }
  return { file, ...loaded };
}

function checkOptimizer(optimizer: unknown, module: Module, fn: string): AdamW | undefined {
  if (optimizer === undefined) return undefined;
  if (!(optimizer instanceof AdamW)) throw typeError(`${fn} options.optimizer`, 'an optim.AdamW', describe(optimizer));
  if (optimizer.module !== module) throw typeError(`${fn} options.optimizer`, 'the optimizer of this module', 'the optimizer trains another module');
  return optimizer;
}

/** The AdamWState of an optimizer file's tensors and metadata; its moments must be finite (v >= 0). */
function optimizerState(tensors: Record<string, Tensor>, metadata: Record<string, string>, file: string): AdamWState {
  const step = Number(metadata.step);
  if (metadata.format !== OPTIMIZER_FORMAT || !/^\d+$/.test(metadata.step ?? '') || !Number.isSafeInteger(step)) {
    throw new CheckpointError(`io.load: '${file}' is not an optimizer state written by io.save (metadata ${JSON.stringify(metadata)})`);
  }
  for (const [key, t] of Object.entries(tensors)) {
    const values = t.toFloat32Array();
    const bad = key.startsWith('v.') ? values.findIndex((x) => !(x >= 0 && x < Infinity)) : values.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      const want = key.startsWith('v.') ? 'finite and non-negative (second moments)' : 'finite';
      throw new CheckpointError(`io.load: '${file}' is not an optimizer state io.save can have written: '${key}'[${bad}] is ${values[bad]}, moments must be ${want}`);
    }
  }
  const moments = (prefix: string) =>
    Object.fromEntries(Object.entries(tensors).filter(([key]) => key.startsWith(prefix)).map(([key, t]) => [key.slice(prefix.length), t]));
  const unexpected = Object.keys(tensors).filter((key) => !key.startsWith('m.') && !key.startsWith('v.'));
  if (unexpected.length) throw new RangeError(`io.load: '${file}' holds tensors that are not moments: ${unexpected.map((k) => `'${k}'`).join(', ')}`);
  return { step, m: moments('m.'), v: moments('v.') };
}
