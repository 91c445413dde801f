// Reverse-mode autograd, small enough to read in one sitting. Each op records a GradNode on
// its output: the inputs, the buffers its backward needs, and the backward function itself
// (declared beside the forward, in the op's own file). The nodes form a graph; backward()
// sorts it topologically from the output and runs each node once, after every node that
// feeds it a gradient, accumulating the gradients of tensors used more than once.
import { native, Storage } from './native';
import { BinaryOp, binaryKernel } from './ops/primitives';
import { keep, ones, Tensor } from './tensor';
import { checkFunction, checkShape, checkTensor, codedError, describe, fmtShape, typeError } from './validate';

let gradEnabled = true;

/** Whether ops record the graph (false inside noGrad). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording the graph: for evaluation and parameter updates. */
export function noGrad<T>(fn: () => T): T {
  checkFunction(fn, 'fn');
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** @internal The gradient of each input (null where an input needs none). Receives the output's gradient. */
export type BackwardFn = (gradOutput: Tensor) => (Tensor | null)[];

/** The code of the Error backward() throws when a tensor it needs was changed in place. */
const MODIFIED_IN_PLACE = 'ERR_LONGCONV_MODIFIED_IN_PLACE';
/** The code of the Error backward() throws when an input's requiresGrad was turned on after use. */
const REQUIRES_GRAD_CHANGED = 'ERR_LONGCONV_REQUIRES_GRAD_CHANGED';

/** @internal One recorded op of the graph: its inputs, saved buffers and backward function. */
export class GradNode {
  private released = false;
  // What the inputs were when the op ran: backward computes with their data then (PyTorch's
  // version counter) and produces gradients for those that required them then.
  private readonly versions: (number | undefined)[];
  private readonly tracked: boolean[];

  /** Keeps the inputs' data alive until the node is released (see Tensor.dispose). */
  constructor(
    readonly op: string,
    readonly inputs: (Tensor | null)[],
    readonly backwardFn: BackwardFn,
    private readonly saved: Storage[],
  ) {
    for (const t of inputs) t?.retainForGraph();
    this.versions = inputs.map((t) => t?.version);
    this.tracked = inputs.map((t) => !!t?.requiresGrad);
  }

  /**
   * Frees the buffers saved for backward and lets go of the inputs. Called after backward ran
   * through the node and when its output is freed. Idempotent.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const s of this.saved) s.dispose();
    for (const t of this.inputs) t?.releaseFromGraph();
  }

  run(gradOutput: Tensor): (Tensor | null)[] {
    if (this.released) {
      throw new Error(`backward: the graph through '${this.op}' was already freed (backward ran through it once, or its output was disposed)`);
    }
    this.inputs.forEach((t, i) => {
      if (!t) return;
      if (t.version !== this.versions[i]) {
        throw codedError(
          MODIFIED_IN_PLACE,
          `backward: input ${i} of '${this.op}', the tensor ${t.describe()}, was modified in place after '${this.op}' used it ` +
            `(version ${t.version}, saved at version ${this.versions[i]}): loadStateDict, an optimizer step or a copy into it ` +
            'changed the values its gradient needs; run the forward pass again after changing it',
        );
      }
      if (t.requiresGrad && !this.tracked[i]) {
        throw codedError(
          REQUIRES_GRAD_CHANGED,
          `backward: input ${i} of '${this.op}', the tensor ${t.describe()}, had requiresGrad set to true after '${this.op}' used it; ` +
            'set requiresGrad before using the tensor, then run the forward pass again',
        );
      }
    });
    return this.backwardFn(gradOutput);
  }
}

/** @internal Whether an op over these inputs must record a node. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  return gradEnabled && inputs.some((t) => t?.requiresGrad);
}

/**
 * @internal Attaches a node to `output` when grad is enabled and an input requires grad; otherwise
 * frees `saved` at once. Returns output for chaining.
 */
export function record(output: Tensor, op: string, inputs: (Tensor | null)[], backwardFn: BackwardFn, saved: Storage[] = []): Tensor {
  if (!needsGrad(...inputs)) {
    saved.forEach((s) => s.dispose());
    return output;
  }
  output.requiresGrad = true;
  output.gradNode = new GradNode(op, inputs, backwardFn, saved);
  return output;
}

// previous + g as a new gradient (outside the graph, owned by no tidy scope); frees both.
function accumulated(previous: Tensor, g: Tensor): Tensor {
  const total = keep(new Tensor(binaryKernel(BinaryOp.add, previous, g, previous.shape), previous.shape));
  previous.dispose();
  g.dispose();
  return total;
}

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS: graphs of long models are deep enough to overflow a recursive one.
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (visited.has(t)) continue;
    visited.add(t);
    stack.push([t, true]);
    for (const input of t.gradNode?.inputs ?? []) {
      if (input && input.requiresGrad && !visited.has(input)) stack.push([input, false]);
    }
  }
  return order.reverse();
}

/**
 * @internal Backpropagates from `root`: leaves that require grad accumulate into `.grad`; the graph's
 * saved buffers are freed as it goes. Gradient tensors are not owned by any tidy scope.
 */
export function backward(root: Tensor, grad?: Tensor): void {
  checkTensor(root, 'backward');
  if (!root.requiresGrad) throw new Error('backward: expected a tensor that requires grad (an input of its graph with requiresGrad), got one that does not require grad');
  let seed: Tensor;
  if (grad === undefined) {
    if (root.size !== 1) throw typeError('grad', `a Tensor of shape ${fmtShape(root.shape)} (only one-element tensors default to 1)`, 'undefined');
    seed = keep(ones(root.shape, { device: root.device }));
  } else {
    checkTensor(grad, 'grad');
    checkShape(grad, 'grad', root.shape, "the tensor's");
    if (grad.device !== root.device) throw typeError('grad', `device '${root.device}' (the tensor's)`, `'${grad.device}'`);
    seed = keep(new Tensor(native.copyTo(grad.storage, grad.device), grad.shape)); // ours to free
  }

  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  const accumulate = (t: Tensor, g: Tensor) => {
    const previous = grads.get(t);
    grads.set(t, previous ? accumulated(previous, g) : g);
  };

  // Every tensor on the way is held until its own turn: releasing a node after its backward
  // must not free an upstream intermediate (and its node) that is still to be processed.
  const order = topologicalOrder(root);
  order.forEach((t) => t.retainForGraph());
  let next = 0;
  try {
    for (; next < order.length; next++) {
      const t = order[next];
      const g = grads.get(t);
      grads.delete(t);
      if (g) backpropagateOne(t, g, accumulate);
      t.releaseFromGraph();
    }
  } finally {
    for (let i = next; i < order.length; i++) order[i].releaseFromGraph();
    grads.forEach((g) => g.dispose());
  }
}

function backpropagateOne(t: Tensor, g: Tensor, accumulate: (t: Tensor, g: Tensor) => void): void {
  const node = t.gradNode;
  if (!node) {
    // A leaf: accumulate into .grad (unless the user has disposed of it).
    if (t.isDisposed) g.dispose();
    else t.grad = t.grad ? accumulated(t.grad, g) : g;
    return;
  }
  let inputGrads: (Tensor | null)[];
  try {
    inputGrads = node.run(g);
  } finally {
    g.dispose();
  }
  node.release();
  node.inputs.forEach((input, i) => {
    const ig = inputGrads[i];
    if (!ig) return;
    keep(ig);
    if (input && input.requiresGrad) accumulate(input, ig);
    else ig.dispose();
  });
}
