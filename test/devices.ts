// The CUDA side of the tests: one switch that decides how every op file's CUDA-vs-CPU cases
// run, and the comparison they share.
//
// LONGCONV_TEST_CUDA selects the mode:
//   auto     (default) run the CUDA cases where CUDA is available, else skip them after one
//            printed line saying why (the jest run on a machine without a GPU);
//   require  as auto, but an unavailable GPU is a failure of every CUDA case, never a skip
//            (the GPU bundle's parity stage: a broken driver or library must not pass);
//   dry-run  run the CUDA cases with the CPU standing in for the GPU (CPU compared with CPU),
//            on small shapes: exercises the cases and their harness without a GPU.
// LONGCONV_TEST_SHAPES=small (implied by dry-run) swaps each case list for its small version
// (the bundle's --quick run and the sanitizer, whose tools slow kernels 10-100x).
//
// The parity runner of the GPU bundle (gpu/harness.ts) runs these same cases outside jest: it
// installs itself as globalThis.longconvHarness so cudaSuite() can mark the suites it runs.
import * as lc from '../lib';
import { randomArray, relError, t } from './helpers';

export type CudaTestMode = 'auto' | 'require' | 'dry-run';

function readMode(): CudaTestMode {
  const v = process.env.LONGCONV_TEST_CUDA || 'auto';
  if (v !== 'auto' && v !== 'require' && v !== 'dry-run') {
    throw new RangeError(`LONGCONV_TEST_CUDA: expected 'auto', 'require' or 'dry-run', got '${v}'`);
  }
  return v;
}

function readShapes(mode: CudaTestMode): 'full' | 'small' {
  const v = process.env.LONGCONV_TEST_SHAPES || (mode === 'dry-run' ? 'small' : 'full');
  if (v !== 'full' && v !== 'small') throw new RangeError(`LONGCONV_TEST_SHAPES: expected 'full' or 'small', got '${v}'`);
  return v;
}

const mode = readMode();
const info = lc.backendInfo().cuda;

/** How the CUDA cases run in this process. */
export const cudaTests = {
  mode,
  /** Whether the cases run against a real GPU. */
  real: mode !== 'dry-run' && info.available,
  /** The device the CUDA cases use: 'cuda', or 'cpu' standing in for it in a dry run. */
  device: (mode === 'dry-run' ? 'cpu' : 'cuda') as lc.Device,
  /** Whether case lists are their small versions. */
  small: readShapes(mode) === 'small',
  /** Why the cases cannot run on a GPU here (undefined when they can). */
  reason: info.available ? undefined : info.reason,
};

/** The device the CUDA cases run on: 'cuda' (the GPU) or 'cpu' in a dry run. */
export const gpu = cudaTests.device;

/** The suite function of the parity runner, when it (not jest) loads the test files. */
interface Harness {
  cudaDescribe(name: string, fn: () => void): void;
}

let skipNoticePrinted = false;

/**
 * The `describe` of a suite of CUDA cases. Under jest without a GPU (mode auto) it is
 * `describe.skip`, after one line on stdout per test file saying why; with mode require an
 * unavailable GPU fails every case of the suite; in a dry run the cases run on the CPU.
 * `what` names the suite in the skip notice and the failure; `cublas` says the suite needs
 * cuBLAS too (matmul, linear).
 */
export function cudaSuite(what: string, { cublas = false } = {}): (name: string, fn: () => void) => void {
  const harness = (globalThis as { longconvHarness?: Harness }).longconvHarness;
  const register = harness ? harness.cudaDescribe.bind(harness) : describe;
  const reason = !info.available ? info.reason : cublas && !info.cublasAvailable ? `cuBLAS: ${info.cublasReason}` : undefined;
  if (mode === 'dry-run' || reason === undefined) return register;
  if (mode === 'require') {
    return (name, fn) =>
      register(name, () => {
        beforeAll(() => {
          throw new Error(`${what}: CUDA is required (LONGCONV_TEST_CUDA=require) but unavailable: ${reason}`);
        });
        fn();
      });
  }
  if (!skipNoticePrinted) {
    process.stdout.write(`CUDA tests skipped (${what} and the rest of this file): ${reason}\n`);
    skipNoticePrinted = true;
  }
  return harness ? () => undefined : describe.skip;
}

/**
 * `test` for a CUDA case that only means something on a real GPU (device memory, the CUDA
 * allocator's cache, out-of-memory): `test.skip` in a dry run.
 */
export const gpuOnlyTest: jest.It = mode === 'dry-run' ? test.skip : test;

/** The case list for this run: `full`, or `small` on small shapes (dry run, --quick, sanitizer). */
export function cudaCases<T>(full: readonly T[], small: readonly T[]): T[] {
  return [...(cudaTests.small ? small : full)];
}

/**
 * Runs `run` on the GPU device and on the CPU (in that order) and checks that every output
 * array agrees to relative error `tol` (max|gpu − cpu| / max|cpu|), naming the output that
 * does not. Returns both runs' outputs for further checks.
 */
export function forEachDevice<T extends ArrayLike<number>>(run: (device: lc.Device) => T[], tol: number): { gpu: T[]; cpu: T[] } {
  const onGpu = run(gpu);
  const onCpu = run('cpu');
  if (onGpu.length !== onCpu.length) throw new Error(`${onGpu.length} outputs on ${gpu}, ${onCpu.length} on the CPU`);
  onGpu.forEach((g, i) => {
    const err = relError(g, onCpu[i]);
    if (!(err < tol)) throw new Error(`output ${i} of ${onGpu.length}: relative error ${err.toExponential(3)} exceeds ${tol} (${gpu} vs cpu)`);
  });
  return { gpu: onGpu, cpu: onCpu };
}

/** One input of an op compared across devices: its values, shape and whether it gets a gradient. */
export interface OpInput {
  data: Float64Array;
  shape: number[];
  grad: boolean;
}

/** Seeded values in [-scale, scale) of `shape` (rounded to float32). */
export function opInput(shape: number[], seed: number, grad = true, scale = 1): OpInput {
  return { data: randomArray(shape.reduce((a, b) => a * b, 1), seed).map((v) => Math.fround(v * scale)), shape, grad };
}

/**
 * f on `device`: its output and the gradients of the inputs that take one, for a seeded output
 * gradient, as host arrays.
 */
export function runOp(device: lc.Device, inputs: OpInput[], f: (ts: lc.Tensor[]) => lc.Tensor, seed = 99): Float32Array[] {
  return lc.tidy(() => {
    const ts = inputs.map((x) => t(x.data, x.shape, { device, requiresGrad: x.grad }));
    const y = f(ts);
    y.backward(t(randomArray(y.size, seed), [...y.shape], { device }));
    const out = [y.toFloat32Array(), ...ts.filter((x) => x.requiresGrad).map((x) => x.grad!.toFloat32Array())];
    lc.dispose(ts.map((x) => x.grad));
    return out;
  });
}

/** forEachDevice over runOp: f's output and input gradients agree on both devices to `tol`. */
export function compareOp(inputs: OpInput[], f: (ts: lc.Tensor[]) => lc.Tensor, tol = 1e-5): { gpu: Float32Array[]; cpu: Float32Array[] } {
  return forEachDevice((device) => runOp(device, inputs, f), tol);
}
