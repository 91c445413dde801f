// nn.Module: named parameters, buffers and submodules; tensors derived from them (cached until
// the parameters move); train/eval; state dicts. And what every module shares: one seed
// scheme, one uniform initialiser and one input check.
import { native } from '../native';
import { uniformGenerator } from '../random';
import { checkNumel, Device, dispose, hostFloats, keep, resolveDevice, Tensor, tensor } from '../tensor';
import { checkBoolean, checkDevice, checkString, checkNonEmpty, checkObject, checkOptions, checkRank, checkSeed, checkTensor, describe, fmtShape, rangeError } from '../validate';

/** How a parameter is trained: 'ssm' parameters (A, dt, P, SGConv sub-kernels, Multires filters)
 * get their own learning rate and no weight decay by default, as the papers train them. */
export type ParameterGroup = 'default' | 'ssm' | 'noDecay';

/** A registered parameter and its optimizer group. */
export interface ParameterInfo {
  /** The parameter (requiresGrad). */
  tensor: Tensor;
  /** Its group: sets the learning rate and weight decay AdamW gives it. */
  group: ParameterGroup;
}

// Not `instanceof`: a Float32Array from another realm (a vm context, jest) is one too.
function isFloat32Array(x: unknown): x is Float32Array {
  return Object.prototype.toString.call(x) === '[object Float32Array]';
}

/**
 * The base of every layer and model: named parameters (with optimizer groups), buffers and
 * submodules; train()/eval(); stateDict()/loadStateDict() with the reference PyTorch names;
 * to(device) and dispose(). Parameters live on one device, the module's. A layer reads its
 * current tensors with `own(name)` (to() and loadStateDict swap or overwrite them), and keeps
 * tensors computed from them (e.g. streaming constants) with `setDerived`, which to() and
 * dispose() drop for every module of the tree.
 */
export abstract class Module {
  /** Whether the module is in training mode (dropout on); see train() and eval(). */
  training = true;
  private readonly ownParameters = new Map<string, ParameterInfo>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  private readonly derived = new Map<string, Record<string, Tensor>>();

  /** Registers a trainable parameter (sets requiresGrad; exempt from tidy). */
  protected registerParameter(name: string, t: Tensor, group: ParameterGroup = 'default'): Tensor {
    t.requiresGrad = true;
    t.name = name;
    this.ownParameters.set(name, { tensor: keep(t), group });
    return t;
  }

  /** Registers a non-trainable tensor that belongs to the state (e.g. SGConv's frozen norm). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    t.name = name;
    this.ownBuffers.set(name, keep(t));
    return t;
  }

  /** Registers a submodule; its parameters are named `${name}.${their name}`. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** The current tensor of this module's own parameter or buffer `name`. */
  protected own(name: string): Tensor {
    const t = this.ownParameters.get(name)?.tensor ?? this.ownBuffers.get(name);
    if (!t) throw new Error(`${this.constructor.name}: no parameter or buffer named '${name}'`);
    return t;
  }

  /**
   * Keeps tensors computed from the parameters under `key` (exempt from tidy), disposing what
   * was kept there before. They are dropped by to(), dispose() and clearDerived().
   */
  protected setDerived<T extends Record<string, Tensor>>(key: string, tensors: T): T {
    this.clearDerived(key);
    Object.values(tensors).forEach((t) => keep(t));
    this.derived.set(key, tensors);
    return tensors;
  }

  /** What setDerived kept under `key`, or undefined (never set, or dropped since). */
  protected getDerived<T extends Record<string, Tensor>>(key: string): T | undefined {
    return this.derived.get(key) as T | undefined;
  }

  /** Disposes what setDerived kept under `key` (every key when omitted). */
  protected clearDerived(key?: string): void {
    for (const k of key === undefined ? [...this.derived.keys()] : [key]) {
      dispose(this.derived.get(k));
      this.derived.delete(k);
    }
  }

  /** Replaces the tensor of a registered parameter or buffer (disposing the old one). */
  protected replaceTensor(name: string, t: Tensor): Tensor {
    t.name = name;
    const param = this.ownParameters.get(name);
    if (param) {
      t.requiresGrad = true;
      param.tensor.dispose();
      param.tensor = keep(t);
      return t;
    }
    const buffer = this.ownBuffers.get(name);
    if (!buffer) throw new Error(`replaceTensor: no parameter or buffer named '${name}'`);
    buffer.dispose();
    this.ownBuffers.set(name, keep(t));
    return t;
  }

  /** Every parameter with its dotted name and group, submodules included, in registration order. */
  namedParameterInfos(prefix = ''): [string, ParameterInfo][] {
    checkString(prefix, 'prefix');
    const out: [string, ParameterInfo][] = [];
    for (const [name, info] of this.ownParameters) out.push([prefix + name, info]);
    for (const [name, child] of this.children) out.push(...child.namedParameterInfos(`${prefix}${name}.`));
    return out;
  }

  /** Every parameter with its dotted name, submodules included. */
  namedParameters(): [string, Tensor][] {
    return this.namedParameterInfos().map(([n, info]) => [n, info.tensor]);
  }

  /** Every parameter, submodules included, in registration order. */
  parameters(): Tensor[] {
    return this.namedParameterInfos().map(([, info]) => info.tensor);
  }

  /** Every buffer with its dotted name, submodules included. */
  namedBuffers(prefix = ''): [string, Tensor][] {
    checkString(prefix, 'prefix');
    const out: [string, Tensor][] = [...this.ownBuffers].map(([n, t]) => [prefix + n, t] as [string, Tensor]);
    for (const [name, child] of this.children) out.push(...child.namedBuffers(`${prefix}${name}.`));
    return out;
  }

  /** Submodules by dotted name (this module first, as ''). */
  namedModules(prefix = ''): [string, Module][] {
    checkString(prefix, 'prefix');
    const out: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [name, child] of this.children) out.push(...child.namedModules(`${prefix}${name}.`));
    return out;
  }

  /** Parameters and buffers by dotted name (the tensors themselves, not copies). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values into this module's parameters and buffers. Every name and shape is checked
   * before anything is written, so a bad dict changes nothing. Values may be tensors (any
   * device) or `{data: Float32Array, shape}`. With strict (default), missing and unexpected
   * names are errors.
   * @throws RangeError naming the missing, unexpected or mis-shaped entries.
   */
  loadStateDict(dict: Record<string, Tensor | { data: Float32Array; shape: readonly number[] }>, options?: { strict?: boolean }): void {
    checkObject(dict, 'dict', 'an object of tensors by name');
    const strict = checkBoolean(checkOptions<{ strict?: boolean }>(options, 'options', ['strict']).strict, 'options.strict', true);
    const own = this.stateDict();
    const problems: string[] = [];
    for (const [name, target] of Object.entries(own)) {
      const value = dict[name];
      if (value === undefined) {
        if (strict) problems.push(`missing '${name}' ${fmtShape(target.shape)}`);
        continue;
      }
      const shape = value instanceof Tensor ? value.shape : Array.isArray(value?.shape) ? value.shape : undefined;
      const size = value instanceof Tensor ? value.size : isFloat32Array(value?.data) ? value.data.length : -1;
      const same = !!shape && shape.length === target.shape.length && shape.every((d, i) => d === target.shape[i]);
      if (!same || size !== target.size) problems.push(`'${name}': expected shape ${fmtShape(target.shape)}, got ${shape ? fmtShape(shape) : describe(value)}`);
      else if (value instanceof Tensor && value.isDisposed) problems.push(`'${name}': expected a live Tensor, got a disposed one`);
    }
    if (strict) for (const name of Object.keys(dict)) if (!(name in own)) problems.push(`unexpected '${name}'`);
    if (problems.length) throw new RangeError(`loadStateDict: ${problems.join('; ')}`);
    for (const [name, target] of Object.entries(own)) {
      const value = dict[name];
      if (value === undefined) continue;
      if (value instanceof Tensor) native.copyInto(target.storage, value.storage);
      else {
        const host = native.fromArray('cpu', value.data);
        try {
          native.copyInto(target.storage, host);
        } finally {
          host.dispose();
        }
      }
      target.markModified();
    }
  }

  /** Sets training mode (dropout on) for this module and its submodules. */
  train(mode = true): this {
    checkBoolean(mode, 'mode');
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Sets evaluation mode (dropout off). */
  eval(): this {
    return this.train(false);
  }

  /**
   * Moves every parameter and buffer to `device` (in place: the module keeps its tensors'
   * names), and drops every derived tensor of every module, whatever the device: streaming
   * layers need setupStep() again after to().
   */
  to(device: Device | 'auto'): this {
    const target = resolveDevice(device);
    for (const [, m] of this.namedModules()) {
      m.clearDerived();
      for (const [name, info] of m.ownParameters) if (info.tensor.device !== target) m.replaceTensor(name, info.tensor.to(target));
      for (const [name, t] of m.ownBuffers) if (t.device !== target) m.replaceTensor(name, t.to(target));
    }
    return this;
  }

  /** The device of the parameters (cpu for a module without any). */
  get device(): Device {
    return this.parameters()[0]?.device ?? this.namedBuffers()[0]?.[1].device ?? 'cpu';
  }

  /** Frees every parameter, gradient, buffer and derived tensor. */
  dispose(): void {
    for (const [, m] of this.namedModules()) m.clearDerived();
    for (const [, info] of this.namedParameterInfos()) {
      info.tensor.grad?.dispose();
      info.tensor.grad = null;
      info.tensor.dispose();
    }
    for (const [, t] of this.namedBuffers()) t.dispose();
  }
}

/**
 * The one seed scheme of lc.nn: a module draws the seed of each of its random initialisers
 * (and its submodules' seeds) in turn from this stream, which is seeded by the module's
 * `seed` option, or drawn from the global generator (see lc.seed) when it has none.
 * @throws TypeError/RangeError (naming `name`) for a seed that is not an integer in [0, 2^53).
 */
export function seedStream(seed: unknown, name = 'options.seed'): () => number {
  const uniform = uniformGenerator(seed === undefined ? undefined : checkSeed(seed, name));
  return () => Math.floor(uniform() * 2 ** 32);
}

/** A tensor of U(−bound, bound) samples drawn on the host (the same values on every device). */
export function uniformTensor(shape: number[], bound: number, seed: number): Tensor {
  const uniform = uniformGenerator(seed);
  const values = hostFloats(checkNumel(shape, 'the parameter shape'), 'uniformTensor');
  for (let i = 0; i < values.length; i++) values[i] = (2 * uniform() - 1) * bound;
  return tensor(values, shape);
}

/** What a module expects of its input (see checkModuleInput). */
interface InputSpec {
  /** The dimensions by name, e.g. 'B,H,L' (omitted: any rank >= 1). */
  layout?: string;
  /** The axis (negative: from the end) that must hold `size` entries, `what` saying what they are. */
  width?: { axis: number; size: number; what: string };
}

/**
 * The input check of every module of lc.nn: a live tensor on the module's device, of the
 * spec's layout and width, with no empty dimension.
 * @throws TypeError for a non-tensor, a disposed tensor or another device; RangeError otherwise.
 */
export function checkModuleInput(x: unknown, module: Module, spec: InputSpec, name = 'x'): Tensor {
  const t = checkTensor(x, name);
  if (spec.layout) checkRank(t, name, [spec.layout]);
  else if (t.shape.length < 1) throw rangeError(name, 'rank >= 1', `shape ${fmtShape(t.shape)}`);
  const w = spec.width;
  const axis = w && (w.axis < 0 ? w.axis + t.shape.length : w.axis);
  if (w && axis !== undefined && t.shape[axis] !== w.size) {
    throw rangeError(name, `size ${w.size} along axis ${w.axis} (${w.what})`, `shape ${fmtShape(t.shape)}`);
  }
  checkNonEmpty(t, name);
  if (module.parameters().length) checkDevice(t, name, module.device, `the device of this ${module.constructor.name}'s parameters`);
  return t;
}
