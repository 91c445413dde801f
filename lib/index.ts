/**
 * longconv: long-sequence convolution models (S4, S4D, SGConv, MultiresConv) for Node.js,
 * with FFT long convolutions and structured kernels on the CPU and NVIDIA GPUs.
 * @packageDocumentation
 */
export { Tensor, tensor, zeros, ones, full, randn, tidy, keep, dispose, memory } from './tensor';
export type { Device, TensorOptions, RandnOptions, DeviceMemory, TensorContainer } from './tensor';
export { noGrad, isGradEnabled } from './autograd';
export { seed } from './random';
export { backendInfo, setNumThreads, getNumThreads, emptyCache, synchronize } from './backend';
export type { BackendInfo } from './backend';
export { add } from './ops/add';
export { fftConv } from './ops/fftconv';
export type { FftConvOptions } from './ops/fftconv';
