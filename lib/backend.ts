// What the native backends can do here, and the CPU thread count.
import { checkInteger } from './validate';
import { addonPath, native } from './native';
import type { DistributedInfo } from './distributed/collectives';
import './distributed/collectives'; // its native typings

/** What {@link backendInfo} reports about the CPU and CUDA backends. */
export interface BackendInfo {
  /** The CPU backend (always available). */
  cpu: {
    /** Threads the CPU kernels use (see {@link setNumThreads}). */
    threads: number;
    /** The vector instructions of the CPU kernels in use: AVX2 with FMA where the CPU has both, else SSE2. */
    simd: 'AVX2+FMA' | 'SSE2';
  };
  /** The native addon that was loaded. */
  addon: {
    /** Its file: the prebuilt binary (prebuilds/linux-x64/longconv.napi.node) or a local build (build/Release/longconv.node). */
    path: string;
  };
  /** The CUDA backend: whether it can be used here, and on what. */
  cuda: {
    /** True when a CUDA device, a recent enough driver and cuFFT were all found. */
    available: boolean;
    /** Whether the loaded addon was built with CUDA support (false: a CPU-only build, e.g. `LONGCONV_CUDA=OFF`). */
    compiled: boolean;
    /** Why CUDA is unavailable, in words (no driver, driver too old, no device, cuFFT not found, CPU-only build). */
    reason?: string;
    /** The CUDA runtime version the addon was built with and links statically, e.g. '13.0' (absent in a CPU-only build). */
    runtimeVersion?: string;
    /** The CUDA version the installed driver supports, e.g. '13.0' (absent without a driver). */
    driverVersion?: string;
    /** The GPU's name (device 0), when available. */
    device?: string;
    /** The GPU's compute capability, e.g. '9.0', when available. */
    computeCapability?: string;
    /** The GPU's total memory in bytes, when available. */
    memoryBytes?: number;
    /** cuFFT's version number (cufftGetVersion: 1000·major + 100·minor + patch, e.g. 12000 for cuFFT 12.0 of CUDA 13), when cuFFT was loaded. */
    cufftVersion?: number;
    /** The cuFFT library file that was loaded (see the README: `LONGCONV_CUFFT_PATH`, sonames, `CUDA_PATH`). */
    cufftPath?: string;
    /** Whether cuBLAS (needed by matmul and linear on CUDA) was found; the other ops work without it. */
    cublasAvailable?: boolean;
    /** The cuBLAS library file that was loaded (`LONGCONV_CUBLAS_PATH` overrides the search). */
    cublasPath?: string;
    /** Its version (10000·major + 100·minor + patch, as CUBLAS_VERSION, e.g. 130000 for cuBLAS 13.0.0). */
    cublasVersion?: number;
    /** Why cuBLAS cannot be used, when it cannot. */
    cublasReason?: string;
    /** The device memory's peak bandwidth in bytes/s (2 × memory clock × bus width), when the device reports them. */
    peakBandwidthBytesPerSecond?: number;
  };
  /** The communication libraries of lc.distributed: whether MPI and NCCL were found, and why not. */
  distributed: DistributedInfo;
}

/**
 * Reports the loaded addon, the CPU kernels (threads, vector instructions), whether (and why
 * not) CUDA can be used, with the CUDA libraries found, and what lc.distributed can use.
 */
export function backendInfo(): BackendInfo {
  const { cpu, cuda } = native.backendInfo();
  return { cpu, addon: { path: addonPath }, cuda, distributed: native.distributedInfo() };
}

/** Most CPU threads {@link setNumThreads} and `LONGCONV_NUM_THREADS` accept. */
export const MAX_THREADS = 1024;

/**
 * Sets the number of CPU threads the kernels use (default: `LONGCONV_NUM_THREADS` when it is
 * an integer from 1 to 1024, else the number of cores). The setting is per process: Node
 * worker threads share one pool of CPU threads, and their parallel kernels take turns. When
 * the system refuses some threads (process or container limits), the pool runs with those it
 * got, and {@link getNumThreads} says how many.
 * @throws TypeError for a non-integer, RangeError outside 1..1024.
 */
export function setNumThreads(n: number): void {
  native.setNumThreads(checkInteger(n, 'n', { min: 1, max: MAX_THREADS }));
}

/** The number of CPU threads the kernels use (once they have run: the threads actually started). */
export function getNumThreads(): number {
  return native.numThreads();
}

/**
 * Releases the caches on every device: the blocks the caching allocators keep for reuse, and
 * the FFT plans and tables (see `caches` in {@link memory}).
 */
export function emptyCache(): void {
  native.emptyCache();
}

/**
 * Sets the byte limit of the CPU caches: FFT/DFT plans and tables and the allocator's freed
 * blocks together (default: `LONGCONV_CACHE_LIMIT` bytes when set, else 1/8 of physical memory,
 * at most 1 GiB). Beyond it, freed blocks go first (largest first), then the least recently
 * used plans; 0 caches nothing. The limit applies at once.
 * @throws TypeError for a non-integer, RangeError for a negative or unsafe integer.
 */
export function setCacheLimit(bytes: number): void {
  native.setCacheLimit(checkInteger(bytes, 'bytes', { min: 0 }));
}

// A bad LONGCONV_NUM_THREADS is reported once per process (the native side keeps the flag, so
// worker threads loading the module do not repeat it).
const threadsWarning = native.numThreadsEnvWarning();
if (threadsWarning) process.emitWarning(threadsWarning, 'LongconvWarning');

/** Waits until queued CUDA work has finished (for timing; every op is otherwise ordered). */
export function synchronize(): void {
  native.synchronize();
}
