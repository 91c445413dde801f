// What the native backends can do here, and the CPU thread count.
import { checkPositiveInt } from './validate';
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

/** Sets the number of CPU threads used by the kernels (default: $LONGCONV_NUM_THREADS or all cores). */
export function setNumThreads(n: number): void {
  native.setNumThreads(checkPositiveInt(n, 'n'));
}

/** The number of CPU threads the kernels use. */
export function getNumThreads(): number {
  return native.numThreads();
}

/** Returns the blocks that the CPU and CUDA caching allocators keep for reuse to the system. */
export function emptyCache(): void {
  native.emptyCache();
}

/** Waits until queued CUDA work has finished (for timing; every op is otherwise ordered). */
export function synchronize(): void {
  native.synchronize();
}
