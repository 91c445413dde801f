// lc.distributed: the processes of an MPI launch (mpirun -np N node script.js) as one world of
// ranks, with in-place all-reduce and broadcast of tensors over MPI (and NCCL for CUDA tensors).
// Without an MPI launch, init() gives a world of one process and every collective is a no-op,
// so the same script runs alone or under mpirun.
import * as fs from 'fs';
import * as os from 'os';
import { noGrad } from '../autograd';
import { native, Storage } from '../native';
import { scale } from '../ops/elementwise';
import { Device, Tensor, tensor } from '../tensor';
import { checkInteger, checkOneOf, checkOptions, checkTensor, describe, typeError } from '../validate';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    distributedInfo(): DistributedInfo;
    distributedInit(args: { nccl: boolean }): { rank: number; size: number; localRank: number; localSize: number; cudaDevice: number; nccl: boolean; cudaAware: boolean };
    allReduce(args: { buffers: Storage[]; counts: number[]; pre: number; post: number; bucketFloats: number }): void;
    broadcast(args: { buffers: Storage[]; counts: number[]; root: number; bucketFloats: number }): void;
    distributedBarrier(): void;
    distributedFinalize(): void;
    distributedAbort(args: { code: number }): void;
  }
}

/** What {@link backendInfo} reports about the communication libraries of lc.distributed. */
export interface DistributedInfo {
  /** MPI, loaded at run time: Open MPI (libmpi.so.40) or an MPICH-ABI MPI (libmpich.so.12: MPICH, Intel MPI, MVAPICH). */
  mpi: {
    /** True when a usable libmpi was found (it is loaded, not started: see init()). */
    available: boolean;
    /** Why not, with every file tried (set LONGCONV_MPI_PATH to point at one). */
    reason?: string;
    /** The library file that was loaded. */
    path?: string;
    /** 'Open MPI' or 'MPICH'. */
    abi?: string;
    /** The first line of MPI_Get_library_version. */
    version?: string;
  };
  /** NCCL (libnccl.so.2), for CUDA tensors; needs MPI to start and a CUDA build. */
  nccl: {
    /** True when a usable libnccl was found in a CUDA build (loaded, not started: see init()). */
    available: boolean;
    /** Why not: a CPU-only build, or the files tried (set LONGCONV_NCCL_PATH). */
    reason?: string;
    /** The library file that was loaded. */
    path?: string;
    /** ncclGetVersion, e.g. 22304 for NCCL 2.23.4. */
    version?: number;
  };
}

/** How tensors travel: 'mpi' for everything; 'nccl': NCCL for CUDA tensors, MPI for CPU ones; 'none': a world of one process. */
export type DistributedBackend = 'mpi' | 'nccl' | 'none';

/** The world of ranks after {@link init}. */
export interface World {
  /** This process's rank, 0 … size − 1. */
  rank: number;
  /** The number of processes. */
  size: number;
  /** This process's rank among those on its machine. */
  localRank: number;
  /** The number of processes on this machine. */
  localSize: number;
  /** The transport in use. */
  backend: DistributedBackend;
  /** The CUDA device this process uses (the local rank modulo the machine's GPUs); -1 without CUDA. */
  cudaDevice: number;
  /** Whether the MPI reads CUDA memory itself; otherwise CUDA tensors go through host copies (with backend 'mpi'). */
  cudaAware: boolean;
}

/** Options of {@link init}. */
export interface InitOptions {
  /**
   * 'mpi' starts MPI (a single rank when not launched by mpirun); 'nccl' starts MPI and NCCL.
   * Default: 'mpi' when launched by mpirun or mpiexec, else a world of one process without MPI.
   */
  backend?: 'mpi' | 'nccl';
}

/** Options of {@link allReduce}. */
export interface AllReduceOptions {
  /** 'sum' (default) or 'mean' over the ranks. */
  op?: 'sum' | 'mean';
  /** Tensors smaller than this travel packed into buffers of at most this many bytes, one collective per buffer (default 25 MiB). */
  bucketBytes?: number;
}

/** The default bucket: 25 MiB, as PyTorch's DistributedDataParallel. */
export const DEFAULT_BUCKET_BYTES = 25 * 2 ** 20;

let world: World | null = null;
let finalized = false;

/** Whether this process was started by an MPI launcher (Open MPI's mpirun, MPICH's/Intel's mpiexec, or a PMIx launcher such as srun). */
export function launchedByMpi(): boolean {
  const env = process.env;
  return !!(env.OMPI_COMM_WORLD_SIZE || env.PMI_SIZE || env.PMIX_RANK);
}

/** What the MPI and NCCL searches found (or why they found nothing); starts nothing. */
export function info(): DistributedInfo {
  return native.distributedInfo();
}

/**
 * Joins the world: starts MPI (and NCCL with backend 'nccl') when launched by an MPI launcher
 * or asked to, else makes a world of one process. A CUDA build also picks this process's GPU
 * (the local rank modulo the GPUs of the machine): call init() before creating CUDA tensors.
 * Unless $LONGCONV_NUM_THREADS says otherwise, the CPU kernels then use the cores the process
 * is bound to, or else its share of the machine's cores (cores / ranks on the machine).
 * After an init() with MPI, init({backend: 'nccl'}) starts NCCL too (on every rank: it is
 * collective).
 * An exit handler finalizes MPI when the process ends normally and aborts every rank when it
 * ends with an error, so that no rank waits forever for one that died. Calling init() again
 * returns the same world.
 * @throws TypeError for an unknown option or backend; Error when MPI or NCCL is not available
 *   (see backendInfo().distributed) or fails to start, or after finalize().
 */
export function init(options?: InitOptions): World {
  const opts = checkOptions<InitOptions>(options, 'init options', ['backend']);
  const wanted = opts.backend === undefined ? undefined : checkOneOf(opts.backend, 'init options.backend', ['mpi', 'nccl'] as const);
  if (world) {
    if (wanted === 'nccl' && world.backend === 'mpi') {
      world = withNccl(world);
    } else if (wanted && world.backend === 'none') {
      throw new Error(`distributed.init: already initialised with backend '${world.backend}', not '${wanted}'`);
    }
    return world;
  }
  if (finalized) throw new Error('distributed.init: finalize() was called; MPI cannot start twice in one process');
  if (!wanted && !launchedByMpi()) {
    world = { rank: 0, size: 1, localRank: 0, localSize: 1, backend: 'none', cudaDevice: -1, cudaAware: false };
    return world;
  }
  const w = native.distributedInit({ nccl: false });
  world = { rank: w.rank, size: w.size, localRank: w.localRank, localSize: w.localSize, backend: 'mpi', cudaDevice: w.cudaDevice, cudaAware: w.cudaAware };
  if (!process.env.LONGCONV_NUM_THREADS) native.setNumThreads(threadsPerRank(w.localSize));
  process.on('uncaughtExceptionMonitor', reportFatal);
  process.on('exit', onExit);
  // NCCL once MPI and the exit handlers are in place: when it fails to start on any rank, every
  // rank throws (the ranks agree), and an error left uncaught stops them all with its message.
  if (wanted === 'nccl') world = withNccl(world);
  return world;
}

// The world `w` (started over MPI) with NCCL started too, on every rank.
function withNccl(w: World): World {
  return { ...w, backend: native.distributedInit({ nccl: true }).nccl ? 'nccl' : 'mpi' };
}

// The CPU kernels' threads of one of `localSize` ranks on a machine: the cores this process is
// bound to (Open MPI's mpirun binds ranks to cores), or else its share of the machine's cores.
function threadsPerRank(localSize: number): number {
  const usable = os.availableParallelism(), cores = os.cpus().length;
  return Math.max(1, usable < cores ? usable : Math.floor(cores / localSize));
}

// `rank r/n: ` in a world of several ranks (their output is interleaved), else nothing.
function rankPrefix(): string {
  return world && world.size > 1 ? `rank ${world.rank}/${world.size}: ` : '';
}

// Node prints an uncaught exception only after the exit handlers, and onExit's abort ends the
// process first: say it here.
function reportFatal(error: unknown): void {
  fs.writeSync(2, `${rankPrefix()}${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
}

// A normal end finalizes; an error (uncaught exception, non-zero exit code) aborts every rank.
function onExit(code: number): void {
  if (!world || world.backend === 'none') return;
  if (code === 0) finalize();
  else native.distributedAbort({ code });
}

function current(what: string): World {
  if (!world) throw new Error(`distributed.${what}: not initialised (call lc.distributed.init() first)`);
  return world;
}

/** Whether init() was called (and finalize() not since). */
export function isInitialized(): boolean {
  return world !== null;
}

/** The world joined by init(). @throws Error before init(). */
export function getWorld(): World {
  return current('getWorld');
}

/** This process's rank. @throws Error before init(). */
export function rank(): number {
  return current('rank').rank;
}

/** The number of ranks. @throws Error before init(). */
export function size(): number {
  return current('size').size;
}

/** This process's rank among those on its machine. @throws Error before init(). */
export function localRank(): number {
  return current('localRank').localRank;
}

function checkTensors(tensors: unknown, name: string): Tensor[] {
  const list = tensors instanceof Tensor ? [tensors] : tensors;
  if (!Array.isArray(list)) throw typeError(name, 'a Tensor or an array of Tensors', describe(tensors));
  list.forEach((t, i) => checkTensor(t, `${name}[${i}]`));
  return list as Tensor[];
}

function checkBucketBytes(x: unknown, name: string): number {
  return x === undefined ? DEFAULT_BUCKET_BYTES : checkInteger(x, name, { min: 4 });
}

// The tensors by device, in their order: one native call per device.
function byDevice(tensors: Tensor[]): [Device, Tensor[]][] {
  const groups = new Map<Device, Tensor[]>();
  for (const t of tensors) groups.set(t.device, [...(groups.get(t.device) ?? []), t]);
  return [...groups];
}

/**
 * @internal The sum over ranks of pre · tensor, times post, into every tensor (in place). The
 * scalings are applied while the tensors are packed and unpacked.
 */
export function allReduceScaled(tensors: Tensor[], pre: number, post: number, bucketBytes: number): void {
  const w = current('allReduce');
  if (w.backend === 'none') {
    // One rank: the sum is the tensor itself.
    if (pre * post !== 1) {
      for (const t of tensors) {
        const scaled = noGrad(() => scale(t, pre * post));
        native.copyInto(t.storage, scaled.storage);
        scaled.dispose();
      }
    }
    return;
  }
  for (const [, group] of byDevice(tensors)) {
    native.allReduce({ buffers: group.map((t) => t.storage), counts: group.map((t) => t.size), pre, post, bucketFloats: Math.floor(bucketBytes / 4) });
  }
}

/**
 * All-reduce, in place: every rank's tensors become the sum (or mean) over the ranks of that
 * tensor. Every rank must pass tensors of the same sizes in the same order (each rank may keep
 * its own on any device). Tensors smaller than the bucket travel packed together, one
 * collective per bucket; larger ones alone.
 * @param tensors a Tensor or an array of them
 * @returns the tensors, now reduced
 * @throws TypeError for a non-tensor, a disposed one or a bad option; Error before init().
 */
export function allReduce<T extends Tensor | Tensor[]>(tensors: T, options?: AllReduceOptions): T {
  const list = checkTensors(tensors, 'tensors');
  const opts = checkOptions<AllReduceOptions>(options, 'allReduce options', ['op', 'bucketBytes']);
  const op = checkOneOf(opts.op, 'allReduce options.op', ['sum', 'mean'] as const, 'sum');
  const bucketBytes = checkBucketBytes(opts.bucketBytes, 'allReduce options.bucketBytes');
  const w = current('allReduce');
  allReduceScaled(list, 1, op === 'mean' ? 1 / w.size : 1, bucketBytes);
  return tensors;
}

/** Options of {@link broadcast}. */
export interface BroadcastOptions {
  /** As allReduce's: the packing buffer's size in bytes (default 25 MiB). */
  bucketBytes?: number;
}

/**
 * Broadcast, in place: every rank's tensors become rank `root`'s. Every rank must pass tensors
 * of the same sizes in the same order.
 * @returns the tensors
 * @throws TypeError for a non-tensor, a disposed one or a bad option; RangeError for a root
 *   that is not a rank; Error before init().
 */
export function broadcast<T extends Tensor | Tensor[]>(tensors: T, root = 0, options?: BroadcastOptions): T {
  const list = checkTensors(tensors, 'tensors');
  const w = current('broadcast');
  checkInteger(root, 'root', { min: 0, max: w.size - 1 });
  const opts = checkOptions<BroadcastOptions>(options, 'broadcast options', ['bucketBytes']);
  const bucketBytes = checkBucketBytes(opts.bucketBytes, 'broadcast options.bucketBytes');
  if (w.backend === 'none') return tensors;
  for (const [, group] of byDevice(list)) {
    native.broadcast({ buffers: group.map((t) => t.storage), counts: group.map((t) => t.size), root, bucketFloats: Math.floor(bucketBytes / 4) });
  }
  return tensors;
}

/**
 * Broadcast of a JSON value (numbers, strings, arrays, plain objects): every rank returns rank
 * `root`'s `value` (the others' are ignored). For small things such as a run's settings.
 * @throws RangeError for a root that is not a rank; Error before init().
 */
export function broadcastObject<T>(value: T, root = 0): T {
  const w = current('broadcastObject');
  checkInteger(root, 'root', { min: 0, max: w.size - 1 });
  if (w.backend === 'none') return value;
  const text = w.rank === root ? Buffer.from(JSON.stringify(value) ?? 'null', 'utf8') : null;
  const length = tensor([text ? text.length : 0], [1]);
  const n = thenDispose(() => broadcast(length, root).toFloat32Array()[0], length);
  // One byte per float: exact, and small next to a tensor.
  const bytes = tensor(text ? Float32Array.from(text) : new Float32Array(n), [n]);
  return JSON.parse(Buffer.from(thenDispose(() => broadcast(bytes, root).toFloat32Array(), bytes)).toString('utf8'));
}

// fn(), then disposes t.
function thenDispose<R>(fn: () => R, t: Tensor): R {
  try {
    return fn();
  } finally {
    t.dispose();
  }
}

/** Waits until every rank has called barrier(). @throws Error before init(). */
export function barrier(): void {
  if (current('barrier').backend !== 'none') native.distributedBarrier();
}

/**
 * Leaves the world: ends NCCL and MPI (waiting for the other ranks to finalize too). The exit
 * handler does this on a normal exit; MPI cannot start again in this process. A no-op before
 * init().
 */
export function finalize(): void {
  if (!world) return;
  const backend = world.backend;
  world = null;
  if (backend === 'none') return;
  finalized = true;
  process.removeListener('exit', onExit);
  process.removeListener('uncaughtExceptionMonitor', reportFatal);
  native.distributedFinalize();
}

/**
 * Stops every rank: writes `message` (prefixed with this rank) to stderr, then MPI_Abort ends
 * all processes of the launch with exit code `code` — for an error on one rank, which must not
 * leave the others waiting in a collective. Without MPI, exits this process.
 */
export function abort(message: string, code = 1): never {
  checkInteger(code, 'code', { min: 1, max: 255 });
  if (message) fs.writeSync(2, `${rankPrefix()}${message}\n`);
  if (world && world.backend !== 'none') native.distributedAbort({ code });
  process.exit(code);
}
