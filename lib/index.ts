/**
 * longconv: long-sequence convolution models (S4, S4D, SGConv, MultiresConv) for Node.js,
 * with FFT long convolutions and structured kernels on the CPU and NVIDIA GPUs.
 * @packageDocumentation
 */
export { Tensor, tensor, zeros, ones, full, randn, tidy, keep, dispose, memory } from './tensor';
export type { Device, TensorOptions, RandnOptions, DeviceMemory, CacheMemory, TensorContainer, NestedArray } from './tensor';
export { noGrad, isGradEnabled } from './autograd';
export { seed, withBatchOffset } from './random';
export { backendInfo, setNumThreads, getNumThreads, emptyCache, setCacheLimit, synchronize, MAX_THREADS } from './backend';
export type { BackendInfo } from './backend';
export { fftConv } from './ops/fftconv';
export type { FftConvOptions } from './ops/fftconv';
export { add, sub, mul, div, neg, exp, log, sqrt, square, scale, addScalar } from './ops/elementwise';
export { cmul, cdiv, cexp, cexpm1, clog, conj, complex, real, imag } from './ops/complex';
export { sum, mean } from './ops/reduce';
export { max, min, argmax, argmin } from './ops/max_min';
export type { MaxMinResult } from './ops/max_min';
export { softmax, logSoftmax } from './ops/softmax';
export { reshape, permute, transpose, narrow, concat, stack, pad } from './ops/shape';
export { cauchy } from './ops/cauchy';
export type { CauchyOptions } from './ops/cauchy';
export { vandermonde } from './ops/vandermonde';
export * as kernels from './conv_kernels';
export * as init from './init';
export { multiresConv, multiresDepth } from './ops/multires';
export type { MultiresConvOpOptions } from './ops/multires';
export { rfft, irfft } from './ops/fft';
export * as nn from './nn';
export * as data from './data';
export * as optim from './optim';
export * as io from './io';
export * as distributed from './distributed';
export { gelu, sigmoid, tanh, relu, softplus, glu } from './ops/activations';
export { layerNorm } from './ops/layernorm';
export { batchNorm } from './ops/batchnorm';
export type { BatchNormOpOptions } from './ops/batchnorm';
export { flip } from './ops/flip';
export type { LayerNormOpOptions } from './ops/layernorm';
export { dropout, embedding, maskedMeanPool } from './ops/nn';
export type { DropoutOptions } from './ops/nn';
export { crossEntropy, mse } from './ops/loss';
export { matmul, linear } from './ops/linear';
export type { LinearOpOptions } from './ops/linear';
