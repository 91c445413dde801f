// AdamW (decoupled weight decay) with parameter groups taken from the module: one fused native
// update per parameter (native/optim.h: adamw_step_cpu / adamw_step_cuda).
import { native, Storage } from '../native';
import { Module, ParameterGroup } from '../nn/module';
import { keep, Tensor, wrap } from '../tensor';
import {
  checkDevice, checkInteger, checkNumber, checkObject, checkOneOf, checkOptions, checkShape, checkTensor, describe, fmtShape, rangeError, typeError,
} from '../validate';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    /** Updates param, m and v in place. */
    adamwStep(args: {
      grad: Storage; param: Storage; m: Storage; v: Storage; n: number;
      lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number;
    }): void;
  }
}

/** Learning rate and weight decay of one parameter group. */
export interface AdamWGroupOptions {
  /** The group's learning rate (>= 0). */
  lr?: number;
  /** The group's decoupled weight decay (>= 0). */
  weightDecay?: number;
}

/** Options of {@link AdamW}. */
export interface AdamWOptions {
  /** Learning rate of the 'default' group (and of 'noDecay' unless given there). Default 1e-3. */
  lr?: number;
  /** Decay rates of the first and second moments. Default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** Added to sqrt(v̂) in the denominator. Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay of the 'default' group. Default 0.01. */
  weightDecay?: number;
  /**
   * Per-parameter exceptions to the groups: the first entry whose `match` finds the parameter's
   * dotted name sets its lr and/or weightDecay (unset fields keep the group's). E.g. S4's
   * `lr.dt: null` (dt at the main lr): `[{ match: /(^|\.)kernel\.log_dt$/, lr: 0.01 }]`.
   */
  overrides?: readonly AdamWOverride[];
  /**
   * Overrides per group. 'ssm' (A, dt, P, SGConv sub-kernels, Multires filters) defaults to
   * lr 1e-3 and weightDecay 0, as the papers train them; 'noDecay' (biases, norms, D) to the
   * main lr and weightDecay 0.
   */
  groups?: {
    /** Kernel/SSM parameters: default lr 1e-3, weightDecay 0. */
    ssm?: AdamWGroupOptions;
    /** Biases, norms and D: default the main lr, weightDecay 0. */
    noDecay?: AdamWGroupOptions;
  };
}

/** An exception to the groups for the parameters whose dotted names `match` finds. */
export interface AdamWOverride extends AdamWGroupOptions {
  /** Tested against each parameter's dotted name. */
  match: RegExp;
}

/** The base hyperparameters of a group (before setLrScale). */
export interface AdamWGroup {
  /** Base learning rate. */
  readonly lr: number;
  /** Decoupled weight decay. */
  readonly weightDecay: number;
}

/**
 * The optimizer's state: the step count and the moments m (exp_avg) and v (exp_avg_sq) by
 * parameter name, each of its parameter's shape.
 */
export interface AdamWState {
  /** Number of step() calls so far. */
  step: number;
  /** First moments (exp_avg) by parameter name. */
  m: Record<string, Tensor>;
  /** Second moments (exp_avg_sq) by parameter name. */
  v: Record<string, Tensor>;
}

interface Moments {
  m: Tensor;
  v: Tensor;
}

/**
 * AdamW as in PyTorch (`torch.optim.AdamW`, decoupled weight decay, bias correction): per
 * parameter p with gradient g at step t,
 *   p ← p·(1 − lr·wd);  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
 *   p ← p − lr/(1 − β1ᵗ) · m / (sqrt(v)/sqrt(1 − β2ᵗ) + eps).
 * Parameters are looked up by name in the module at every step, so the optimizer follows
 * `module.to(device)`; each parameter's group ('default' | 'ssm' | 'noDecay') is the one it was
 * registered with. Parameters without a gradient are skipped; t counts every step() call.
 * Moments are created (zeros) at a parameter's first update, on its device.
 */
export class AdamW {
  /** The module whose parameters are updated. */
  readonly module: Module;
  /** Decay rates of the first and second moments. */
  readonly betas: readonly [number, number];
  /** Added to the denominator. */
  readonly eps: number;
  /** Base learning rate and weight decay per group; the effective lr is lr · lrScale. */
  readonly groups: Readonly<Record<ParameterGroup, AdamWGroup>>;
  /** The per-parameter exceptions to the groups, in order. */
  readonly overrides: readonly Readonly<AdamWOverride>[];
  private scale = 1;
  private steps = 0;
  private moments = new Map<string, Moments>();

  /**
   * @param module the module whose parameters are trained
   * @throws TypeError for a non-module, unknown options or non-numbers; RangeError for values
   *   out of range (lr, eps, weightDecay < 0; betas outside [0, 1)).
   */
  constructor(module: Module, options?: AdamWOptions) {
    if (!(module instanceof Module)) throw typeError('module', 'an nn.Module', describe(module));
    const opts = checkOptions<AdamWOptions>(options, 'AdamW options', ['lr', 'betas', 'eps', 'weightDecay', 'groups', 'overrides']);
    const nonNegative = { min: 0 };
    const lr = checkNumber(opts.lr, 'AdamW options.lr', nonNegative, 1e-3);
    const weightDecay = checkNumber(opts.weightDecay, 'AdamW options.weightDecay', nonNegative, 0.01);
    const betas = opts.betas === undefined ? [0.9, 0.999] : opts.betas;
    if (!Array.isArray(betas) || betas.length !== 2) throw typeError('AdamW options.betas', '[beta1, beta2]', describe(betas));
    const beta = { min: 0, max: 1, maxExclusive: true };
    this.betas = [checkNumber(betas[0], 'AdamW options.betas[0]', beta), checkNumber(betas[1], 'AdamW options.betas[1]', beta)];
    this.eps = checkNumber(opts.eps, 'AdamW options.eps', nonNegative, 1e-8);
    const groups = checkOptions<NonNullable<AdamWOptions['groups']>>(opts.groups, 'AdamW options.groups', ['ssm', 'noDecay']);
    const group = (name: 'ssm' | 'noDecay', defaults: AdamWGroup): AdamWGroup => {
      const g = checkOptions<AdamWGroupOptions>(groups[name], `AdamW options.groups.${name}`, ['lr', 'weightDecay']);
      return Object.freeze({
        lr: checkNumber(g.lr, `AdamW options.groups.${name}.lr`, nonNegative, defaults.lr),
        weightDecay: checkNumber(g.weightDecay, `AdamW options.groups.${name}.weightDecay`, nonNegative, defaults.weightDecay),
      });
    };
    const overrides = opts.overrides ?? [];
    if (!Array.isArray(overrides)) throw typeError('AdamW options.overrides', 'an array of {match, lr?, weightDecay?}', describe(overrides));
    this.overrides = Object.freeze(overrides.map((o, i) => {
      const name = `AdamW options.overrides[${i}]`;
      const checked = checkOptions<AdamWOverride>(o, name, ['match', 'lr', 'weightDecay']);
      if (!(checked.match instanceof RegExp)) throw typeError(`${name}.match`, 'a RegExp', describe(checked.match));
      return Object.freeze({
        match: checked.match,
        lr: checked.lr === undefined ? undefined : checkNumber(checked.lr, `${name}.lr`, nonNegative),
        weightDecay: checked.weightDecay === undefined ? undefined : checkNumber(checked.weightDecay, `${name}.weightDecay`, nonNegative),
      });
    }));
    this.module = module;
    this.groups = Object.freeze({
      default: Object.freeze({ lr, weightDecay }),
      ssm: group('ssm', { lr: 1e-3, weightDecay: 0 }),
      noDecay: group('noDecay', { lr, weightDecay: 0 }),
    });
  }

  /** Number of step() calls so far (the t of the bias correction is stepCount after a step). */
  get stepCount(): number {
    return this.steps;
  }

  /** The factor set by setLrScale (1 at construction). */
  get lrScale(): number {
    return this.scale;
  }

  /** The learning rate a group's parameters get at the next step: base lr · lrScale. */
  lr(group: ParameterGroup = 'default'): number {
    return this.groups[checkOneOf(group, 'group', ['default', 'ssm', 'noDecay'] as const)].lr * this.scale;
  }

  /** Multiplies every group's base learning rate by `s` from the next step on (for schedules). */
  setLrScale(s: number): void {
    this.scale = checkNumber(s, 's', { min: 0 });
  }

  /**
   * One AdamW update of every parameter that has a gradient. Gradients are checked first
   * (live, the parameter's shape and device), so a bad one changes nothing.
   * @throws TypeError for a disposed parameter or gradient or a gradient on another device;
   *   RangeError for a gradient of the wrong shape.
   */
  step(): void {
    const work: [string, Tensor, Tensor, ParameterGroup][] = [];
    for (const [name, info] of this.module.namedParameterInfos()) {
      const p = checkTensor(info.tensor, `AdamW.step: parameter '${name}'`);
      if (!p.grad) continue;
      const g = checkTensor(p.grad, `AdamW.step: the gradient of '${name}'`);
      checkShape(g, `AdamW.step: the gradient of '${name}'`, p.shape, 'the shape of the parameter');
      checkDevice(g, `AdamW.step: the gradient of '${name}'`, p.device, "the parameter's");
      const moments = this.moments.get(name);
      if (moments && !sameShape(moments.m.shape, p.shape)) {
        throw rangeError(`AdamW.step: parameter '${name}'`, `shape ${fmtShape(moments.m.shape)} (that of its moments)`, fmtShape(p.shape));
      }
      work.push([name, p, g, info.group]);
    }
    this.steps++;
    const [beta1, beta2] = this.betas;
    for (const [name, p, g, groupName] of work) {
      const { m, v } = this.momentsOf(name, p);
      const { lr, weightDecay } = this.hyperparameters(name, groupName);
      native.adamwStep({
        grad: g.storage, param: p.storage, m: m.storage, v: v.storage, n: p.size,
        lr: lr * this.scale, beta1, beta2, eps: this.eps, weightDecay, step: this.steps,
      });
      for (const t of [p, m, v]) t.markModified();
    }
  }

  /** The base lr and weight decay of the parameter `name` of group `group`: its group's, or the first matching override's. */
  hyperparameters(name: string, group: ParameterGroup): AdamWGroup {
    const base = this.groups[group];
    const o = this.overrides.find((x) => name.search(x.match) >= 0); // search: no lastIndex state, even for /g
    return o ? { lr: o.lr ?? base.lr, weightDecay: o.weightDecay ?? base.weightDecay } : base;
  }

  /** Disposes and clears the gradient of every parameter. */
  zeroGrad(): void {
    for (const p of this.module.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** The step count and the moments by parameter name (the optimizer's own tensors, not copies). */
  stateDict(): AdamWState {
    const entries = [...this.moments];
    return {
      step: this.steps,
      m: Object.fromEntries(entries.map(([name, { m }]) => [name, m])),
      v: Object.fromEntries(entries.map(([name, { v }]) => [name, v])),
    };
  }

  /**
   * Checks a state as loadStateDict does, changing nothing: `step` a non-negative integer; m
   * and v naming the same parameters, each a parameter of the module, with its shape.
   * @throws TypeError for a malformed state; RangeError naming every unknown, unmatched or
   *   mis-shaped entry.
   */
  checkStateDict(state: AdamWState): void {
    checkObject(state, 'state', 'an object {step, m, v}');
    checkInteger(state.step, 'state.step', { min: 0 });
    for (const key of ['m', 'v'] as const) checkObject(state[key], `state.${key}`, 'an object of tensors by parameter name');
    const params = new Map(this.module.namedParameters());
    const problems: string[] = [];
    for (const [key, other] of [['m', 'v'], ['v', 'm']] as const) {
      for (const [name, value] of Object.entries(state[key])) {
        const p = params.get(name);
        if (!p) problems.push(`${key}: unexpected '${name}' (not a parameter of the module)`);
        else if (!(value instanceof Tensor)) problems.push(`${key}['${name}']: expected a Tensor, got ${describe(value)}`);
        else if (value.isDisposed) problems.push(`${key}['${name}']: expected a live Tensor, got a disposed one`);
        else if (!sameShape(value.shape, p.shape)) problems.push(`${key}['${name}']: expected shape ${fmtShape(p.shape)}, got ${fmtShape(value.shape)}`);
        if (!Object.prototype.hasOwnProperty.call(state[other], name)) problems.push(`'${name}' is in ${key} but not in ${other}`);
      }
    }
    if (problems.length) throw new RangeError(`AdamW.loadStateDict: ${problems.join('; ')}`);
  }

  /**
   * Replaces the state with copies of `state`'s tensors (on each parameter's device). Parameters
   * absent from it start afresh (zero moments at their next update). Checked first (see
   * checkStateDict): a bad state changes nothing.
   */
  loadStateDict(state: AdamWState): void {
    this.checkStateDict(state);
    const devices = new Map(this.module.namedParameters().map(([n, p]) => [n, p.device]));
    const copy = (t: Tensor, name: string) => keep(wrap(native.copyTo(t.storage, devices.get(name)!), t.shape));
    const loaded = new Map<string, Moments>();
    try {
      for (const [name, m] of Object.entries(state.m)) loaded.set(name, { m: copy(m, name), v: copy(state.v[name], name) });
    } catch (e) {
      for (const { m, v } of loaded.values()) disposeMoments({ m, v });
      throw e;
    }
    this.disposeState();
    this.moments = loaded;
    this.steps = state.step;
  }

  /** Frees the moments (the optimizer can go on: they restart from zero). */
  dispose(): void {
    this.disposeState();
  }

  private disposeState(): void {
    for (const moments of this.moments.values()) disposeMoments(moments);
    this.moments.clear();
  }

  /** The moments of a parameter, created (zeros) or moved to the parameter's device as needed. */
  private momentsOf(name: string, p: Tensor): Moments {
    let moments = this.moments.get(name);
    if (moments && moments.m.device !== p.device) {
      const moved = { m: keep(moments.m.to(p.device)), v: keep(moments.v.to(p.device)) };
      disposeMoments(moments);
      moments = moved;
    }
    if (!moments) {
      const zeros = () => keep(wrap(native.alloc(p.device, p.size, true), p.shape));
      moments = { m: zeros(), v: zeros() };
    }
    this.moments.set(name, moments);
    return moments;
  }
}

function disposeMoments(moments: Moments): void {
  moments.m.dispose();
  moments.v.dispose();
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
