// nn.Module: named parameters, buffers and submodules; train/eval; state dicts.
import { describe, fmtShape } from '../errors';
import { native } from '../native';
import { Device, keep, resolveDevice, Tensor } from '../tensor';

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
 * to(device) and dispose(). Parameters live on one device, the module's.
 */
export abstract class Module {
  /** Whether the module is in training mode (dropout on); see train() and eval(). */
  training = true;
  private readonly ownParameters = new Map<string, ParameterInfo>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

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
    const out: [string, Tensor][] = [...this.ownBuffers].map(([n, t]) => [prefix + n, t] as [string, Tensor]);
    for (const [name, child] of this.children) out.push(...child.namedBuffers(`${prefix}${name}.`));
    return out;
  }

  /** Submodules by dotted name (this module first, as ''). */
  namedModules(prefix = ''): [string, Module][] {
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
  loadStateDict(dict: Record<string, Tensor | { data: Float32Array; shape: readonly number[] }>, options: { strict?: boolean } = {}): void {
    if (dict === null || typeof dict !== 'object') throw new TypeError(`dict: expected an object of tensors, got ${describe(dict)}`);
    const strict = options.strict ?? true;
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
      else if (value instanceof Tensor && value.isDisposed) problems.push(`'${name}': the tensor was disposed`);
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
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Sets evaluation mode (dropout off). */
  eval(): this {
    return this.train(false);
  }

  /** Moves every parameter and buffer to `device` (in place: the module keeps its tensors' names). */
  to(device: Device | 'auto'): this {
    const target = resolveDevice(device);
    for (const [, m] of this.namedModules()) {
      for (const [name, info] of m.ownParameters) if (info.tensor.device !== target) m.replaceTensor(name, info.tensor.to(target));
      for (const [name, t] of m.ownBuffers) if (t.device !== target) m.replaceTensor(name, t.to(target));
    }
    return this;
  }

  /** The device of the parameters (cpu for a module without any). */
  get device(): Device {
    return this.parameters()[0]?.device ?? this.namedBuffers()[0]?.[1].device ?? 'cpu';
  }

  /** Frees every parameter, gradient and buffer. */
  dispose(): void {
    for (const [, info] of this.namedParameterInfos()) {
      info.tensor.grad?.dispose();
      info.tensor.grad = null;
      info.tensor.dispose();
    }
    for (const [, t] of this.namedBuffers()) t.dispose();
  }
}
